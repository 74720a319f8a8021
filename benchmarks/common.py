"""Shared by the benchmark sections: which pages to use, repeat-and-median timing, machine facts."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / ".." / "shared" / "corpus"
SEED_PAGES = REPO / "seeds" / "pages"
WARMUP = 10        # pages run once, untimed, before a timed extraction loop
# The round step that times trafilatura with the tuning newswatch gives it (core/tuning.py).
TUNED = "trafilatura (tuned)"
VERSIONED = ("trafilatura", "duckdb", "prefect", "newspaper4k", "langdetect", "feedparser", "lxml")


@dataclass(frozen=True)
class Page:
    """One input page of the throughput benchmarks, read once into memory."""

    name: str          # unique, file-name safe
    path: Path
    url: str | None    # the page's original URL when the manifest knows it
    lang: str | None
    data: bytes


@dataclass(frozen=True)
class PageSet:
    """The pages a run uses and where they came from (printed in the report)."""

    label: str
    pages: tuple[Page, ...]

    @property
    def total_bytes(self) -> int:
        return sum(len(p.data) for p in self.pages)


def corpus_available() -> bool:
    return (CORPUS / "html" / "manifest.json").is_file()


def corpus_rows(selection: str = "news") -> list[dict[str, Any]]:
    """Manifest rows of real pages (`news`: news_article true as well), one row per original URL.

    Synthetic Readability cases are left out, as the corpus README asks. Two captures of one URL
    (lifehacker-working / lifehacker-post-comment-load) count once: the first by path is kept."""
    rows = json.loads((CORPUS / "html" / "manifest.json").read_text(encoding="utf-8"))
    rows = [r for r in rows if r["kind"] == "real-page"
            and (selection == "real" or r["news_article"] is True)]
    seen: set[str] = set()
    out = []
    for row in sorted(rows, key=lambda r: r["path"]):
        if row.get("url"):
            if row["url"] in seen:
                continue
            seen.add(row["url"])
        out.append(row)
    return out


def load_pages(*, smoke: bool, selection: str = "news") -> PageSet:
    """The corpus pages when ../shared/corpus exists (and not smoke), else seeds/pages/*.html."""
    if not smoke and corpus_available():
        rows = corpus_rows(selection)
        pages = tuple(Page(name=f"{r['source']}--{Path(r['path']).stem}", path=CORPUS / r["path"],
                           url=r.get("url"), lang=r.get("lang"), data=(CORPUS / r["path"]).read_bytes())
                      for r in rows)
        what = "news pages" if selection == "news" else "real pages"
        return PageSet(f"../shared/corpus/html: {len(pages)} {what} (kind real-page"
                       f"{', news_article true' if selection == 'news' else ''}; one per URL)", pages)
    files = sorted(SEED_PAGES.glob("*.html"))
    if not files:
        raise SystemExit(f"no pages: ../shared/corpus is absent and {SEED_PAGES} has no *.html")
    pages = tuple(Page(name=p.stem, path=p, url=None, lang=None, data=p.read_bytes()) for p in files)
    why = "smoke mode" if smoke else "../shared/corpus is absent"
    return PageSet(f"seeds/pages: {len(pages)} seed pages ({why})", pages)


@dataclass
class Timing:
    """Repeated wall times of one measurement over `items` items; the median is what we report."""

    items: int
    seconds: list[float]

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rate(self) -> float:
        """Items per second at the median time."""
        return self.items / self.median_s if self.median_s > 0 else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "median_s": round(self.median_s, 4), "rate": round(self.rate, 2),
                "runs_s": [round(s, 4) for s in self.seconds]}


def time_repeated(fn: Callable[[], Any], items: int, repeats: int,
                  warmup: Callable[[], Any] | None = None) -> Timing:
    """Run fn `repeats` times and keep each wall time (perf_counter); `warmup` runs once, untimed,
    first (lazy imports and caches inside trafilatura, htmldate and friends would be billed to run 1)."""
    if warmup is not None:
        warmup()
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return Timing(items, times)


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """Cores, platform and the versions that matter for these figures."""
    return {"cores": os.cpu_count(), "platform": platform.platform(), "processor": platform.machine(),
            "python": sys.version.split()[0],
            "versions": {d: version(d) for d in VERSIONED}}


def peak_rss_mb_self() -> float:
    """This process's peak resident set size so far, in MB (ru_maxrss is in KB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_SYLLABLES = ("ka", "to", "ri", "mar", "sen", "lo", "ve", "din", "pra", "gel", "us", "tan", "mi", "or",
              "bel", "cha", "nu", "est", "fa", "gri", "hal", "im", "jo", "kel", "lum", "ne", "pol", "qua")


def pseudo_words(count: int, seed: int = 1) -> list[str]:
    """A fixed vocabulary of pronounceable made-up words (synthetic articles share no real text)."""
    import random

    rng = random.Random(seed)
    words: dict[str, None] = {}
    while len(words) < count:
        words["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4)))] = None
    return list(words)


def synthetic_text(n: int, vocab: list[str], words: int = 300) -> str:
    """Article-like text number n: sentences of 8-20 words, deterministic in n."""
    import random

    rng = random.Random(n)
    out: list[str] = []
    left = words
    while left > 0:
        k = min(left, rng.randint(8, 20))
        sentence = " ".join(rng.choice(vocab) for _ in range(k))
        out.append(sentence[:1].upper() + sentence[1:] + ".")
        left -= k
    return " ".join(out)
