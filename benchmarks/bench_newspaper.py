"""Benchmark: newspaper4k, the alternative a user might pick, on the same pages, fully offline.

It runs in a child process so that its network guard (an audit hook, which cannot be removed) and
its imports stay out of the other measurements. The child blocks and counts every socket connect and
name lookup; tldextract is told to use its bundled suffix-list snapshot (no download)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, WARMUP, PageSet

_BLOCKED = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request")


def run(pages: PageSet, repeats: int) -> dict[str, Any]:
    """docs/s of newspaper4k over the pages (median of `repeats`), or why it could not run."""
    import importlib.util

    if importlib.util.find_spec("newspaper") is None:   # not imported here: see the module docstring
        return {"ok": False, "reason": "newspaper4k is not installed (the `bench` extra)"}
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "pages.json"
        listing.write_text(json.dumps([{"path": str(p.path), "url": p.url, "name": p.name}
                                       for p in pages.pages]), encoding="utf-8")
        env = {**os.environ, "TLDEXTRACT_CACHE": str(Path(tmp) / "tldextract"),
               # An empty list: tldextract fetches nothing and uses the snapshot bundled with it.
               "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}
        proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_newspaper", str(listing),
                               str(repeats)], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=3600, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"ok": False, "reason": f"the newspaper4k child failed (exit {proc.returncode}): {tail}"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _child(listing: Path, repeats: int) -> dict[str, Any]:
    attempts: list[str] = []

    def guard(event: str, args: tuple[Any, ...]) -> None:
        if event in _BLOCKED:
            attempts.append(f"{event} {str(args)[:120]}")
            raise OSError(f"benchmark: network blocked ({event})")

    sys.addaudithook(guard)
    import newspaper  # type: ignore[import-untyped]  # no stubs
    from newspaper.configuration import Configuration  # type: ignore[import-untyped]

    from newswatch.core.extract import decode_html

    config = Configuration()
    config.fetch_images = False        # otherwise it downloads candidate images to size them
    config.memorize_articles = False   # no on-disk cache of seen URLs
    config.follow_meta_refresh = False  # a meta refresh would make it fetch another URL
    items = json.loads(listing.read_text(encoding="utf-8"))
    # Decoded before the timing with our own decoder, as for the limit: newspaper4k is timed on
    # its parse alone (it never sees bytes when given input_html).
    blobs = [(i["url"] or f"https://bench.invalid/{i['name']}.html",
              decode_html(Path(i["path"]).read_bytes(), "text/html")) for i in items]
    times: list[float] = []
    empty = failed = 0
    chars = 0
    errors: list[str] = []
    for rep in range(max(1, repeats) + 1):   # round 0: an untimed warm-up on the first pages
        empty = failed = chars = 0
        errors.clear()
        t0 = time.perf_counter()
        for url, data in (blobs[:WARMUP] if rep == 0 else blobs):
            try:
                article = newspaper.Article(url, config=config)
                article.download(input_html=data)
                article.parse()
            except Exception as exc:  # one bad page must not stop the benchmark; counted
                failed += 1
                errors.append(" ".join(f"{url}: {exc.__class__.__name__}: {exc}".split())[:200])
                continue
            text = article.text or ""
            chars += len(text)
            empty += not text.strip()
        if rep > 0:
            times.append(time.perf_counter() - t0)
    return {"ok": True, "items": len(blobs), "runs_s": times, "empty": empty, "failed": failed,
            "chars": chars, "network_attempts": len(attempts), "network_examples": attempts[:3],
            "errors": errors[:3], "version": getattr(newspaper, "__version__", "?"),
            "config": "fetch_images=False, memorize_articles=False, follow_meta_refresh=False; "
                      "tldextract: bundled suffix-list snapshot (TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS empty), "
                      "cache in a temp dir; sockets blocked by an audit hook"}


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")   # newspaper warns at import that nltk (NLP extras) is missing
    print(json.dumps(_child(Path(sys.argv[1]), int(sys.argv[2]))))
