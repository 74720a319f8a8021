"""Benchmark: the limit — bare trafilatura, one process, the same call and options as core/extract.py.

The options are not copied here: they are captured from core/extract.py itself, by calling
extract() once with trafilatura's function swapped for a recorder, so the two cannot drift apart.
The limit is stock trafilatura: while it is timed, trafilatura is as installed, without the tuning
newswatch gives it (core/tuning.py); `prepare(..., tuning="newswatch")` times the latter."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from benchmarks.common import WARMUP, PageSet


class _Captured(BaseException):
    """Raised by the recorder to stop extract() right after it called trafilatura (a BaseException,
    so extract()'s own `except Exception` lets it through)."""


def extract_call() -> tuple[Any, dict[str, Any]]:
    """(the trafilatura function core/extract.py calls, the keyword options it passes)."""
    from newswatch.core import extract as ours

    real = ours.bare_extraction
    seen: dict[str, Any] = {}

    def recorder(*args: Any, **kwargs: Any) -> None:
        seen.update(kwargs)
        raise _Captured

    ours.bare_extraction = recorder  # type: ignore[assignment]
    try:
        ours.extract(b"<html><body><p>probe</p></body></html>", url="https://bench.invalid/probe")
    except _Captured:
        pass
    finally:
        ours.bare_extraction = real  # type: ignore[assignment]
    if not seen:
        raise RuntimeError("core/extract.py did not call trafilatura.bare_extraction")
    seen.pop("url", None)
    return real, seen


def prepare(pages: PageSet, tuning: str = "stock") -> tuple[Callable[[], float], dict[str, Any]]:
    """(one timed pass over the pages -> seconds, what the report says about the limit).

    trafilatura gets the page already decoded to str (by core.extract.decode_html, outside the
    timing), exactly what our extract() hands it: the limit is pure trafilatura work, so the bar is
    as high as it can be. The first pass is preceded by an untimed warm-up on WARMUP pages.
    `tuning`: "stock" times trafilatura as installed; "newswatch" with the tuning core/tuning.py gives
    it (a C element class lookup, no search for unused metadata). The process is tuned again after."""
    from newswatch.core import tuning as tune
    from newswatch.core.extract import decode_html

    func, options = extract_call()
    inputs = [(decode_html(p.data, "text/html"), p.url or f"https://bench.invalid/{p.name}.html")
              for p in pages.pages]
    shown = ", ".join(f"{k}={v!r}" for k, v in sorted(options.items()))
    meta: dict[str, Any] = {"empty": 0, "options": shown, "items": len(inputs),
                            "call": f"trafilatura.{func.__name__}(html_str, url=..., **options)",
                            "tuning": tuning}

    def once(items: list[tuple[str, str]] = inputs) -> None:
        meta["empty"] = 0
        for text, url in items:
            try:
                doc = func(text, url=url, **options)
            except Exception:   # counted like an empty result; the pipeline records such pages as failed
                doc = None
            meta["empty"] += doc is None or not (doc.text or "").strip()

    warm = [False]

    def timed() -> float:
        tune.apply(tuning == "newswatch")
        try:
            if not warm[0]:
                once(inputs[:WARMUP])
                warm[0] = True
            t0 = time.perf_counter()
            once()
            return time.perf_counter() - t0
        finally:
            tune.apply(True)

    return timed, meta

