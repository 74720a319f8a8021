"""Benchmark: newspaper4k, the alternative a user might pick, on the same pages, fully offline.

It runs in a child process so that its network guard (an audit hook, which cannot be removed) and
its imports stay out of the other measurements. The child blocks and counts every socket connect and
name lookup; tldextract is told to use its bundled suffix-list snapshot (no download)."""

from __future__ import annotations

import contextlib
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


class Session:
    """newspaper4k in a child process that stays up, so its passes can be timed in the same rounds as
    the limit and newswatch (`once`), each one beside them. `close` returns what the report says."""

    def __init__(self, pages: PageSet) -> None:
        import importlib.util

        self.reason = ""
        self.proc: subprocess.Popen[str] | None = None
        if importlib.util.find_spec("newspaper") is None:   # not imported here: see the module docstring
            self.reason = "newspaper4k is not installed (the `bench` extra)"
            return
        self._tmp = tempfile.TemporaryDirectory()
        listing = Path(self._tmp.name) / "pages.json"
        listing.write_text(json.dumps([{"path": str(p.path), "url": p.url, "name": p.name}
                                       for p in pages.pages]), encoding="utf-8")
        env = {**os.environ, "TLDEXTRACT_CACHE": str(Path(self._tmp.name) / "tldextract"),
               # An empty list: tldextract fetches nothing and uses the snapshot bundled with it.
               "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}
        self._stderr = open(Path(self._tmp.name) / "stderr.txt", "w+", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.bench_newspaper", str(listing)],
                                     cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, text=True)
        # Set up and warmed up (an untimed pass over the first pages). If the child fails, self.reason
        # says why: the report prints it and the rounds go on without newspaper4k.
        with contextlib.suppress(RuntimeError):
            self._ask("")

    @property
    def ok(self) -> bool:
        return self.proc is not None and not self.reason

    def _ask(self, command: str) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        if command:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        while line and not line.startswith("{"):   # anything newspaper4k itself prints
            line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=60)
            self._stderr.seek(0)
            err = self._stderr.read()
            tail = (err.strip().splitlines() or ["no output"])[-1]
            self.reason = f"the newspaper4k child failed (exit {self.proc.returncode}): {tail}"
            raise RuntimeError(self.reason)
        return dict(json.loads(line))

    def once(self) -> float:
        """One timed pass over all the pages, in seconds."""
        return float(self._ask("pass")["s"])

    def close(self) -> dict[str, Any]:
        """{ok: True, items, runs_s, empty, failed, ...} or {ok: False, reason}."""
        if self.proc is None:
            return {"ok": False, "reason": self.reason}
        try:
            out = {"ok": True, **self._ask("done")} if not self.reason else {"ok": False, "reason": self.reason}
        except RuntimeError:
            out = {"ok": False, "reason": self.reason}
        finally:
            self.proc.kill()
            self.proc.wait(timeout=60)
            for stream in (self.proc.stdin, self.proc.stdout, self._stderr):
                if stream is not None:
                    stream.close()
            self._tmp.cleanup()
        return out


def _child(listing: Path) -> None:
    """Serve passes, one JSON line each: {"ready": true} once warmed up, then for each "pass" read on
    stdin the seconds it took, and for "done" the whole account."""
    attempts: list[str] = []

    def guard(event: str, args: tuple[Any, ...]) -> None:
        if event in _BLOCKED:
            attempts.append(f"{event} {str(args)[:120]}")
            raise OSError(f"benchmark: network blocked ({event})")

    sys.addaudithook(guard)
    # No stubs; and not installed at all outside the bench environment (`make lint` checks this file).
    import newspaper  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from newspaper.configuration import Configuration  # type: ignore[import-untyped,import-not-found,unused-ignore]

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
    count = {"empty": 0, "failed": 0, "chars": 0}
    errors: list[str] = []

    def one_pass(batch: list[tuple[str, str]]) -> float:
        count.update(empty=0, failed=0, chars=0)
        errors.clear()
        t0 = time.perf_counter()
        for url, data in batch:
            try:
                article = newspaper.Article(url, config=config)
                article.download(input_html=data)
                article.parse()
            except Exception as exc:  # one bad page must not stop the benchmark; counted
                count["failed"] += 1
                errors.append(" ".join(f"{url}: {exc.__class__.__name__}: {exc}".split())[:200])
                continue
            text = article.text or ""
            count["chars"] += len(text)
            count["empty"] += not text.strip()
        return time.perf_counter() - t0

    one_pass(blobs[:WARMUP])   # untimed warm-up on the first pages
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip() == "pass":
            times.append(one_pass(blobs))
            print(json.dumps({"s": times[-1]}), flush=True)
        elif line.strip() == "done":
            break
    print(json.dumps({
        "items": len(blobs), "runs_s": times, **count, "network_attempts": len(attempts),
        "network_examples": attempts[:3], "errors": errors[:3], "version": getattr(newspaper, "__version__", "?"),
        "config": "fetch_images=False, memorize_articles=False, follow_meta_refresh=False; "
                  "tldextract: bundled suffix-list snapshot (TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS empty), "
                  "cache in a temp dir; sockets blocked by an audit hook"}), flush=True)

if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")   # newspaper warns at import that nltk (NLP extras) is missing
    _child(Path(sys.argv[1]))
