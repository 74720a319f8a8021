"""Benchmark: newswatch end to end without Prefect — local feed -> extract -> language -> dedupe ->
detect -> DuckDB — timed from the start of collect to the end of finish_run, with 1 and 2 workers."""

from __future__ import annotations

import cProfile
import html
import io
import pstats
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from benchmarks.common import PageSet, Timing

# Pipeline functions whose cumulative time the profile table shows, in pipeline order:
# (label, file suffix, function name).
PROFILED: tuple[tuple[str, str, str], ...] = (
    ("collect: whole stage", "pipeline/collect.py", "collect_source"),
    ("collect: parse_feed", "core/feeds.py", "parse_feed"),
    ("collect: read_local (page files)", "io/files.py", "read_local"),
    ("collect: compress_raw (zstd, raw pages)", "pipeline/collect.py", "compress_raw"),
    ("collect: records.store_pages", "io/records.py", "store_pages"),
    ("process: pending_pages (read batch)", "io/records.py", "pending_pages"),
    ("process: process_page (all CPU work)", "pipeline/process.py", "process_page"),
    ("process: extract", "core/extract.py", "extract"),
    ("process: detect_language", "core/language.py", "detect_language"),
    ("process: fingerprint (content hash + MinHash)", "core/dedupe.py", "fingerprint"),
    ("process: meetings.detect", "core/meetings/detect.py", "detect"),
    ("process: first use: meetings.load_watch", "core/meetings/watch.py", "load_watch"),
    ("process: first use: langdetect profiles", "langdetect/detector_factory.py", "init_factory"),
    ("process: rawpage.unpack of raw pages", "core/rawpage.py", "unpack"),
    ("store: store_batch (whole)", "pipeline/store.py", "store_batch"),
    ("store: stories.lookup_candidates", "io/stories.py", "lookup_candidates"),
    ("store: assign_stories", "core/dedupe.py", "assign_stories"),
    ("store: records.insert_articles", "io/records.py", "insert_articles"),
    ("store: stories.store_signatures", "io/stories.py", "store_signatures"),
    ("store: records.mark_pages", "io/records.py", "mark_pages"),
    ("warehouse: connect (open)", "io/warehouse.py", "_open"),
    ("warehouse: connection close", "~", "<method 'close' of '_duckdb.DuckDBPyConnection' objects>"),
    ("finish_run", "pipeline/runner.py", "finish_run"),
)


def build_site(pages: PageSet, root: Path) -> Path:
    """pages/NNNN.html + feed.xml (RSS 2.0 linking them by relative path) + sources.yaml -> its path."""
    (root / "pages").mkdir(parents=True, exist_ok=True)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    items = []
    for i, page in enumerate(pages.pages):
        (root / "pages" / f"{i:04d}.html").write_bytes(page.data)
        items.append(f"<item><title>{html.escape(page.name)}</title><link>pages/{i:04d}.html</link>"
                     f"<guid isPermaLink='false'>bench-{i:04d}</guid>"
                     f"<pubDate>{format_datetime(start + timedelta(minutes=i))}</pubDate></item>")
    (root / "feed.xml").write_text(
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>bench</title>"
        f"<link>https://bench.invalid/</link><description>bench</description>{''.join(items)}"
        "</channel></rss>", encoding="utf-8")
    sources = root / "sources.yaml"
    sources.write_text("sources:\n  - id: bench\n    url: feed.xml\n", encoding="utf-8")
    return sources


def run_once(sources: Path, warehouse: Path, workers: int,
             profiler: cProfile.Profile | None = None) -> tuple[float, dict[str, int]]:
    """One monitor pass through the pipeline functions (no Prefect); seconds from collect to finish.
    The calls are the monitor flow's (flows/monitor.py), on one warehouse connection held for the run."""
    from newswatch.pipeline import collect, runner

    ctx = runner.open_run("monitor", sources=sources, warehouse=warehouse, workers=workers)
    source = ctx.config.sources[0]
    if profiler is not None:
        profiler.enable()
    t0 = time.perf_counter()
    with ctx.warehouse.held():
        outcome = collect.collect_source(ctx, source, runner.feed_states(ctx).get(source.id))
        runner.process_pending(ctx)
        summary = runner.finish_run(ctx)
    elapsed = time.perf_counter() - t0
    if profiler is not None:
        profiler.disable()
    close = getattr(ctx.fetcher, "close", None)
    if close is not None:
        close()
    counts = {"entries": outcome.entries, "pages_stored": outcome.new_pages,
              "articles_new": summary.counts.get("articles_new", 0),
              "duplicates": summary.counts.get("duplicates", 0),
              "pages_failed": summary.counts.get("pages_failed", 0),
              "events_new": summary.counts.get("events_new", 0), "errors": outcome.errors}
    return elapsed, counts


def run(pages: PageSet, *, repeats: int, workers: tuple[int, ...] = (1, 2),
        limit: Callable[[], float] | None = None,
        others: dict[str, Callable[[], float]] | None = None) -> dict[str, Any]:
    """docs/s at each worker count, median of `repeats` passes, each into a fresh warehouse.

    Passes go in rounds: one timed pass of the limit (`limit()`, when given), one end-to-end pass per
    worker count and one pass of each of `others` (named, e.g. newspaper4k), back to back, in an
    order turned by one place each round so that none always follows the same one. This machine's
    speed drifts by 10-30 % over minutes, so each round's ratios compare runs made back to back; the
    report gives the medians of those ratios."""
    others = others or {}
    out: dict[str, Any] = {"workers": {w: {"seconds": []} for w in workers}, "limit_s": [],
                           "others_s": {name: [] for name in others}, "orders": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sources = build_site(pages, root / "site")
        # One untimed pass first: the first use of dateparser's locales, langdetect's profiles and the
        # watch costs ~1 s per process. This process keeps them; the 2-worker pool's fresh worker
        # processes pay them on every run, since runner.process_pending starts a new pool each time.
        out["warmup_s"] = round(run_once(sources, root / "wh-warmup.duckdb", 1)[0], 2)
        steps: list[tuple[str, Callable[[int], None]]] = []
        if limit is not None:
            def limit_step(_i: int, limit: Callable[[], float] = limit) -> None:
                out["limit_s"].append(limit())
            steps.append(("limit", limit_step))
        for w in workers:
            def e2e(i: int, w: int = w) -> None:
                seconds, counts = run_once(sources, root / f"wh-{w}-{i}.duckdb", w)
                out["workers"][w]["seconds"].append(seconds)
                out["workers"][w]["counts"] = counts
            steps.append((f"{w} worker{'s' if w > 1 else ''}", e2e))
        for name, fn in others.items():
            def other(_i: int, name: str = name, fn: Callable[[], float] = fn) -> None:
                out["others_s"][name].append(fn())
            steps.append((name, other))
        for i in range(max(1, repeats)):
            turn = i % len(steps)
            order = steps[turn:] + steps[:turn]
            out["orders"].append([label for label, _ in order])
            for _label, step in order:
                step(i)
    for row in out["workers"].values():
        row["timing"] = Timing(len(pages.pages), row.pop("seconds"))
        e2e_s = row["timing"].seconds
        if out["limit_s"]:   # e2e docs/s over the limit's, round by round: limit seconds / e2e seconds
            row["round_ratios"] = [round(lim / s, 3) for lim, s in zip(out["limit_s"], e2e_s, strict=True)]
        row["vs_others"] = {name: [round(o / s, 3) for o, s in zip(secs, e2e_s, strict=True)]
                            for name, secs in out["others_s"].items()}
    return out


def profile(pages: PageSet, out_file: Path | None = None) -> dict[str, Any]:
    """One extra workers=1 pass under cProfile (not timed): cumulative seconds per pipeline function."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sources = build_site(pages, root / "site")
        prof = cProfile.Profile()
        elapsed, _ = run_once(sources, root / "wh.duckdb", 1, profiler=prof)
    stats = pstats.Stats(prof)
    raw: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    rows = []
    for label, suffix, func in PROFILED:
        cum = calls = 0.0
        for (filename, _line, name), (_cc, nc, _tt, ct, _callers) in raw.items():
            if name == func and (filename.endswith(suffix) or suffix == filename):
                cum += ct
                calls += nc
        rows.append({"label": label, "cum_s": round(cum, 3), "calls": int(calls)})
    top = io.StringIO()
    pstats.Stats(prof, stream=top).sort_stats("tottime").print_stats(25)
    if out_file is not None:
        out_file.write_text(_portable(top.getvalue()), encoding="utf-8")
    return {"elapsed_s": round(elapsed, 3), "rows": rows, "top": top.getvalue()}


def pool(pages: PageSet, *, repeats: int) -> dict[str, Any]:
    """Page processing alone (extract, language, signature, detection: `PageProcessor`, what a batch
    runs) over the same pages read back from the warehouse, with 1 worker (in process) and with a pool
    of 2 workers. The pool's first batch (spawning and warming its processes) is timed apart as the
    cold start; the figures are batches on the warm pool, as in a backfill or a busy run."""
    from newswatch.io import records
    from newswatch.pipeline import collect, runner
    from newswatch.pipeline.process import PageProcessor

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sources = build_site(pages, root / "site")
        ctx = runner.open_run("monitor", sources=sources, warehouse=root / "pool.duckdb", workers=1)
        collect.collect_source(ctx, ctx.config.sources[0], None)
        with ctx.warehouse.transaction() as con:
            batch = records.pending_pages(con, len(pages.pages))
        runner.finish_run(ctx)
    out: dict[Any, Any] = {"pages": len(batch)}
    one = PageProcessor(1)
    one(batch)   # this process's first-use costs (the 2-worker pool's cold start pays its own)
    out[1] = Timing(len(batch), [_timed(one, batch) for _ in range(max(1, repeats))])
    two = PageProcessor(2)
    try:
        out["cold_s"] = round(_timed(two, batch), 2)
        out[2] = Timing(len(batch), [_timed(two, batch) for _ in range(max(1, repeats))])
    finally:
        two.close()
    out["ratio"] = round(out[2].rate / out[1].rate, 2)
    return out


def _timed(processor: Any, batch: list[dict[str, Any]]) -> float:
    t0 = time.perf_counter()
    processor(batch)
    return time.perf_counter() - t0


def _portable(text: str) -> str:
    """Profile paths without this machine's folders: <venv>/..., <python>/... and repo-relative."""
    import sys

    repo = str(Path(__file__).resolve().parents[1])
    return (text.replace(sys.prefix, "<venv>").replace(sys.base_prefix, "<python>")
            .replace(repo + "/", ""))
