"""Benchmark: each pipeline stage alone (feeds, extraction, language, dedupe, meetings, warehouse append),
so the slowest one is obvious. Every figure is items per second at the median of the repeats."""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import CORPUS, REPO, WARMUP, Page, PageSet, Timing, pseudo_words, synthetic_text, time_repeated
from newswatch.models import Settings

APPEND_ROWS = 20_000
APPEND_BATCH = Settings().backfill_write_rows   # rows per transaction, as a backfill writes
STORE_PAGES = 20_000   # ~850 MB of stored (zstd) page bodies at the corpus' sizes
STORE_BATCH = 200      # pages per batch, as runner.INGEST_BATCH


def feed_inputs(smoke: bool) -> tuple[str, list[tuple[str, bytes]]]:
    """(label, [(name, bytes)]): every feed in ../shared/corpus/feeds/manifest.json, else seeds/feeds."""
    manifest = CORPUS / "feeds" / "manifest.json"
    if not smoke and manifest.is_file():
        rows = json.loads(manifest.read_text(encoding="utf-8"))
        items = [(r["path"], (CORPUS / r["path"]).read_bytes()) for r in sorted(rows, key=lambda r: r["path"])]
        return f"../shared/corpus/feeds: {len(items)} feeds (all of the manifest, malformed ones too)", items
    files = sorted((REPO / "seeds" / "feeds").glob("*.xml"))
    return f"seeds/feeds: {len(files)} feeds", [(p.name, p.read_bytes()) for p in files]


def bench_feeds(smoke: bool, repeats: int) -> dict[str, Any]:
    from newswatch.core.feeds import parse_feed
    from newswatch.errors import FeedError

    label, items = feed_inputs(smoke)
    entries = failed = 0

    def once() -> None:
        nonlocal entries, failed
        entries = failed = 0
        for name, data in items:
            try:
                entries += len(parse_feed(data, base_url=f"https://bench.invalid/{name}").entries)
            except FeedError:
                failed += 1

    once()   # warm-up, and the entry count
    timing = time_repeated(once, entries, repeats)
    return {"label": label, "feeds": len(items), "entries": entries, "refused_feeds": failed,
            "timing": timing, "feeds_per_s": len(items) / timing.median_s}


def bench_extract(pages: PageSet, repeats: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """core.extract.extract over the pages; also returns the extracted texts for the next stages."""
    from newswatch.core.extract import extract
    from newswatch.errors import NewswatchError

    docs: list[dict[str, Any]] = []

    def once(subset: tuple[Page, ...] = pages.pages) -> None:
        docs.clear()
        for p in subset:
            url = p.url or f"https://bench.invalid/{p.name}.html"
            try:
                ex = extract(p.data, url=url, content_type="text/html")
            except NewswatchError:
                continue
            docs.append({"name": p.name, "url": url, "title": ex.title or "", "text": ex.text,
                         "published_at": ex.date})

    timing = time_repeated(once, len(pages.pages), repeats, warmup=lambda: once(pages.pages[:WARMUP]))
    return {"timing": timing, "extracted": len(docs), "empty": sum(not d["text"].strip() for d in docs)}, docs


def bench_language(docs: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    from newswatch.core.language import detect_language

    langs: dict[str, int] = {}

    def once() -> None:
        langs.clear()
        for d in docs:
            code, _ = detect_language(d["text"], hint=None)
            langs[code] = langs.get(code, 0) + 1
            d["language"] = code

    timing = time_repeated(once, len(docs), repeats)
    return {"timing": timing, "languages": dict(sorted(langs.items(), key=lambda kv: -kv[1]))}


def bench_signature(docs: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    """Content hash + MinHash signature of each text (`dedupe.fingerprint`, as process_page calls it):
    the per-article dedupe work done in the workers."""
    from newswatch.core.dedupe import fingerprint

    def once() -> None:
        for d in docs:
            fingerprint(d["text"])

    return {"timing": time_repeated(once, len(docs), repeats)}


def bench_meetings(docs: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    from newswatch.core.meetings import detect, load_watch
    from newswatch.models import MeetingInput

    watch = load_watch()
    inputs = [MeetingInput(article_id=f"a_{i:08d}", title=d["title"], text=d["text"],
                           language=d.get("language", "und"), published_at=d["published_at"], url=d["url"],
                           source_id="bench") for i, d in enumerate(docs)]
    found = 0

    def once() -> None:
        nonlocal found
        found = sum(detect(m, watch) is not None for m in inputs)

    timing = time_repeated(once, len(inputs), repeats)
    return {"timing": timing, "detections": found}


def _article_rows(count: int) -> list[dict[str, Any]]:
    vocab = pseudo_words(3000)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(count):
        text = synthetic_text(n, vocab, words=350)
        aid = "a_" + hashlib.sha256(f"https://bench.invalid/{n}".encode()).hexdigest()[:32]
        rows.append({
            "article_id": aid, "url": f"https://bench.invalid/{n}", "canonical_url": f"https://bench.invalid/{n}",
            "source_id": f"src-{n % 20}", "title": text[:80], "author": None, "sitename": "bench",
            "description": text[:160], "published_at": start + timedelta(minutes=n),
            "fetched_at": start + timedelta(minutes=n, seconds=30), "language": "en",
            "language_confidence": 0.99, "text": text, "content_hash": hashlib.sha256(text.encode()).hexdigest(),
            "story_id": aid, "duplicate_of": None, "similarity": None, "run_id": "bench",
        })
    return rows


def _with_real_texts(rows: list[dict[str, Any]], texts: list[str]) -> list[dict[str, Any]]:
    """The same rows carrying the corpus's extracted texts (cycled) instead of synthetic ones."""
    out = []
    for n, row in enumerate(rows):
        text = texts[n % len(texts)]
        out.append({**row, "text": text, "title": text[:80], "description": text[:160],
                    "content_hash": hashlib.sha256(f"{n}:{text}".encode()).hexdigest()})
    return out


def bench_append(repeats: int, rows: int = APPEND_ROWS, batch: int = APPEND_BATCH,
                 texts: list[str] | None = None) -> dict[str, Any]:
    """records.insert_articles into a real DuckDB file, one transaction per `batch` rows on a held
    connection, as a backfill writes (settings.backfill_write_rows; Warehouse.held), timed until
    every row is in the database file: DuckDB's automatic checkpoints (newswatch's threshold) and one
    final CHECKPOINT included. For reference: transactions of a monitor run's batch (MONITOR_BATCH),
    DuckDB's default threshold (16 MB), a connection per transaction (which keeps that default), the
    inserts alone (no checkpoint) with the final CHECKPOINT timed apart, and, given `texts` (the
    extracted corpus texts), the same rows carrying those texts, with the compression DuckDB chose
    for the text column of each (it decides per segment at a checkpoint)."""
    from newswatch.io import records
    from newswatch.io.warehouse import AUTO_CHECKPOINT_BYTES, DUCKDB_CHECKPOINT_BYTES, ROW_GROUP_ROWS, Warehouse
    from newswatch.pipeline.runner import BATCH_SIZE as MONITOR_BATCH  # a monitor run writes batch by batch

    synthetic = _article_rows(rows)
    real = _with_real_texts(synthetic, texts) if texts else None
    with tempfile.TemporaryDirectory() as tmp:
        counter = [0]
        final: list[float] = []
        segments: dict[str, dict[str, int]] = {}   # text column segments by compression, per kind of text

        def once(hold: bool = True, threshold: int | None = None, defer: bool = False,
                 data: list[dict[str, Any]] = synthetic, size: int = batch) -> float:
            counter[0] += 1
            wh = Warehouse(Path(tmp) / f"append-{counter[0]}.duckdb", hold_seconds=3600 if hold else 0,
                           auto_checkpoint_bytes=2**40 if defer else threshold)
            wh.migrate()
            with wh.held() if hold else contextlib.nullcontext():
                t0 = time.perf_counter()
                for i in range(0, len(data), size):
                    with wh.transaction() as con:
                        records.insert_articles(con, data[i:i + size])
                inserted = time.perf_counter() - t0
                with wh.transaction() as con:
                    con.execute("CHECKPOINT")
                elapsed = time.perf_counter() - t0
                if defer:
                    final.append(elapsed - inserted)
            with wh.reader() as con:
                stored = con.execute("SELECT count(*) FROM articles").fetchone()
                if hold and threshold is None and not defer and size == batch:
                    segments["real" if data is real else "synthetic"] = dict(con.execute(
                        "SELECT compression, count(*) FROM pragma_storage_info('articles') WHERE "
                        "column_name = 'text' AND segment_type = 'VARCHAR' GROUP BY ALL ORDER BY ALL").fetchall())
            assert stored is not None and stored[0] == len(data), stored
            return inserted if defer else elapsed

        variants: dict[str, Callable[[], float]] = {
            "held": once, "monitor": lambda: once(size=MONITOR_BATCH),
            "default": lambda: once(threshold=DUCKDB_CHECKPOINT_BYTES),
            # a connection per batch: opening replays the write-ahead log every time
            "per_batch": lambda: once(hold=False), "deferred": lambda: once(defer=True)}
        if real:
            variants["real"] = lambda: once(data=real)
        times: dict[str, list[float]] = {name: [] for name in variants}
        names = list(variants)
        for r in range(max(1, repeats)):   # round-robin, starting one further each round: drift is shared
            for name in names[r % len(names):] + names[:r % len(names)]:
                times[name].append(variants[name]())
        held, default, per_batch, deferred = (times[n] for n in ("held", "default", "per_batch", "deferred"))
    extra: dict[str, Any] = {}
    if real:
        extra = {"real_texts": Timing(len(real), times["real"]), "real_text_kb": _mean_kb(real),
                 "real_text_count": len(set(texts or ())),
                 "real_text_segments": segments["real"], "text_segments": segments["synthetic"]}
    return {"timing": Timing(len(synthetic), held), "batch": batch, "text_kb": _mean_kb(synthetic), **extra,
            "monitor_batch": MONITOR_BATCH, "monitor": Timing(len(synthetic), times["monitor"]),
            "auto_checkpoint_mb": AUTO_CHECKPOINT_BYTES // 2**20,
            "duckdb_default_threshold": Timing(len(synthetic), default),
            "connection_per_batch": Timing(len(synthetic), per_batch),
            "no_checkpoint": Timing(len(synthetic), deferred),
            "final_checkpoint_s": round(sorted(final)[len(final) // 2], 3), "rows_per_group": ROW_GROUP_ROWS}


def _mean_kb(rows: list[dict[str, Any]]) -> float:
    return round(sum(len(r["text"].encode()) for r in rows) / len(rows) / 1024, 1)


def bench_store_pages(pages: PageSet, count: int, batch: int = STORE_BATCH) -> dict[str, Any]:
    """What a run writes per batch of pages, with real page sizes: records.store_pages (pages and
    their stored bodies: the corpus pages, cycled under new ids), pending_pages, mark_pages, each in a
    transaction on a held connection, `count` pages into one file. Reports pages/s and the batch time
    early and late, which shows whether storing gets slower as the warehouse grows."""
    from newswatch.core.rawpage import pack
    from newswatch.io import records
    from newswatch.io.warehouse import Warehouse

    bodies = [pack(p.data) for p in pages.pages]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(Path(tmp) / "pages.duckdb", hold_seconds=3600)
        wh.migrate()
        t0 = time.perf_counter()
        with wh.held():
            for i in range(0, count, batch):
                rows = [{"page_id": "p_" + hashlib.sha256(f"bench-{n}".encode()).hexdigest()[:32],
                         "url": f"https://bench.invalid/{n}", "source_id": "bench", "content_type": "text/html",
                         "http_status": 200, "feed_published_at": start + timedelta(minutes=n),
                         "raw": bodies[n % len(bodies)], "fetched_at": start, "status": "pending", "run_id": "bench"}
                        for n in range(i, min(count, i + batch))]
                b0 = time.perf_counter()
                with wh.transaction() as con:
                    records.store_pages(con, rows)
                with wh.transaction() as con:
                    got = records.pending_pages(con, batch)
                with wh.transaction() as con:
                    records.mark_pages(con, [{"page_id": g["page_id"], "status": "processed"} for g in got])
                assert len(got) == len(rows) and all(g["raw"] is not None for g in got)
                times.append(time.perf_counter() - b0)
        elapsed = time.perf_counter() - t0
        file_mb = sum(f.stat().st_size for f in Path(tmp).glob("pages.duckdb*")) / 2**20
    tenth = max(1, len(times) // 10)
    return {"timing": Timing(count, [elapsed]), "batch": batch,
            "body_kb": round(sum(map(len, bodies)) / len(bodies) / 1024, 1),
            "first_batches_s": round(sum(times[:tenth]) / tenth, 3),
            "last_batches_s": round(sum(times[-tenth:]) / tenth, 3), "max_batch_s": round(max(times), 3),
            "file_mb": round(file_mb),
            "body_mb": round(sum(len(bodies[n % len(bodies)]) for n in range(count)) / 2**20)}


def run(pages: PageSet, *, smoke: bool, repeats: int, dedupe: dict[str, Any] | None) -> dict[str, Any]:
    """Every stage; `dedupe` is bench_dedupe.run()'s result (or None when it is unavailable)."""
    out: dict[str, Any] = {"feeds": bench_feeds(smoke, repeats)}
    extract_res, docs = bench_extract(pages, repeats)
    out["extract"] = extract_res
    out["language"] = bench_language(docs, repeats)
    out["signature"] = bench_signature(docs, repeats)
    out["meetings"] = bench_meetings(docs, repeats)
    out["append"] = bench_append(repeats, rows=2000 if smoke else APPEND_ROWS,
                                 texts=[d["text"] for d in docs if d["text"]])
    out["store_pages"] = bench_store_pages(pages, 400 if smoke else STORE_PAGES)
    out["dedupe"] = dedupe
    return out
