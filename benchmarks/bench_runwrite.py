"""Benchmark: what a monitor run's write costs as the warehouse grows — its batch and its end checkpoint
at 1k, 10k and 100k stored articles, with newswatch's row groups and with DuckDB's default ones — and
what a sequence of runs pays for end checkpoints under the run-end policy (`checkpoint_if_long`)."""

from __future__ import annotations

import hashlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import pseudo_words, synthetic_text

RUN_ARTICLES = 50      # what one monitor run adds (a few dozen feeds, a few new articles each)
BUILD_BATCH = 1000     # articles per transaction while the warehouse is filled
ROUNDS = 3             # runs timed at each size
SEQUENCE_RUNS = 10     # consecutive runs under each checkpoint policy
BODY_BYTES = 48_000    # a stored page body (zlib of a corpus news page: 48.9 kB on average; zstd: 42.7)
OLD_WAL_LIMIT = 256 * 1024   # the run-end policy before 2026-12-03's fourth session: log size only
DUCKDB_DEFAULT_ROWS = 122_880
TEXT_WORDS = 450       # ~3 kB of text an article, as the corpus's news pages give


def _io_written() -> int | None:
    """Bytes this process has passed to write calls so far (/proc/self/io `wchar`), None elsewhere."""
    try:
        with open("/proc/self/io", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class _Articles:
    """Synthetic article rows and their stored signatures, as store_batch writes them."""

    def __init__(self) -> None:
        vocab = pseudo_words(3000)
        self.texts = [synthetic_text(n, vocab, words=TEXT_WORDS) for n in range(500)]
        self.start = datetime(2024, 1, 1, tzinfo=UTC)

    def batch(self, lo: int, n: int) -> tuple[list[dict[str, Any]], list[Any], list[Any]]:
        from newswatch.core import dedupe

        rows, items, assigned = [], [], []
        for k in range(lo, lo + n):
            aid = "a_" + hashlib.sha256(f"runwrite-{k}".encode()).hexdigest()[:32]
            text = self.texts[k % len(self.texts)]
            digest = hashlib.sha256(f"{k}".encode()).hexdigest()
            rows.append({
                "article_id": aid, "url": f"https://bench.invalid/{k}", "canonical_url": f"https://bench.invalid/{k}",
                "source_id": f"src-{k % 20}", "title": text[:80], "author": None, "sitename": "bench",
                "description": text[:160], "published_at": self.start + timedelta(minutes=k),
                "fetched_at": self.start + timedelta(minutes=k, seconds=30), "language": "en",
                "language_confidence": 0.99, "text": text, "content_hash": digest, "story_id": aid,
                "duplicate_of": None, "similarity": None, "run_id": "bench"})
            # A signature of random values: each article gets its own 65 LSH bucket rows, as a new
            # story does (the write cost is what is measured here, not duplicate finding).
            sig = np.random.default_rng(k).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
            items.append(dedupe.DedupeItem(aid, digest, sig, ("9999", aid)))
            assigned.append(dedupe.StoryAssignment(aid, aid, None, None, "new"))
        return rows, items, assigned


def _pages(lo: int, n: int) -> list[dict[str, Any]]:
    """`n` stored pages with incompressible bodies of BODY_BYTES (what compressed output looks like)."""
    now = datetime(2024, 6, 1, tzinfo=UTC)
    return [{"page_id": "p_" + hashlib.sha256(f"runwrite-page-{k}".encode()).hexdigest()[:32],
             "url": f"https://bench.invalid/p/{k}", "source_id": "bench", "content_type": "text/html",
             "http_status": 200, "raw": np.random.default_rng(k).bytes(BODY_BYTES), "fetched_at": now,
             "status": "processed", "run_id": "bench"} for k in range(lo, lo + n)]


def _sequence(path: Path, rows_per_group: int, arts: _Articles, start: int,
              limit: int | None) -> dict[str, Any]:
    """SEQUENCE_RUNS runs one after the other, each a Warehouse opened afresh: RUN_ARTICLES pages
    stored with their bodies, their articles written, then `checkpoint_if_long(limit)` (None: the
    current policy). Returns the end checkpoints' seconds, the runs' (open, writes, end), and how
    many runs checkpointed at their end."""
    from newswatch.io import records
    from newswatch.io.warehouse import Warehouse

    ends: list[float] = []
    whole: list[float] = []
    taken = 0
    for r in range(SEQUENCE_RUNS):
        lo = start + r * RUN_ARTICLES
        begin = time.perf_counter()
        wh = Warehouse(path, hold_seconds=3600, row_group_rows=rows_per_group)
        with wh.held():
            with wh.transaction() as con:
                records.store_pages(con, _pages(lo, RUN_ARTICLES))
            with wh.transaction() as con:
                _write(con, arts, lo, RUN_ARTICLES)
            t0 = time.perf_counter()
            taken += wh.checkpoint_if_long(limit)
            ends.append(time.perf_counter() - t0)
        whole.append(time.perf_counter() - begin)
    # The whole runs too: the writes include DuckDB's own automatic checkpoints (Warehouse.auto_checkpoint_bytes).
    return {"end_s_total": round(sum(ends), 2), "checkpoints": taken, "runs": SEQUENCE_RUNS,
            "end_s_max": round(max(ends), 3), "run_s_total": round(sum(whole), 2)}


def _write(con: Any, arts: _Articles, lo: int, n: int) -> None:
    from newswatch.io import records
    from newswatch.io.stories import store_signatures

    rows, items, assigned = arts.batch(lo, n)
    records.insert_articles(con, rows)
    store_signatures(con, items, assigned)


@contextmanager
def _timed(into: list[float]) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    into.append(time.perf_counter() - t0)


def _variant(root: Path, rows_per_group: int, sizes: tuple[int, ...], rounds: int,
             arts: _Articles) -> dict[str, Any]:
    """Fill one warehouse size after size; at each size time `rounds` runs, each on a Warehouse
    opened afresh (as a run opens it): one transaction of RUN_ARTICLES articles and their signatures,
    then the end checkpoint (runner.finish_run's `checkpoint_if_long`, forced here)."""
    from newswatch.io.warehouse import Warehouse

    path = root / f"rows-{rows_per_group}.duckdb"
    out: dict[str, Any] = {"rows_per_group": rows_per_group, "sizes": {}}
    stored = 0
    build_s = 0.0
    filler = Warehouse(path, hold_seconds=3600, row_group_rows=rows_per_group)
    filler.migrate()
    for size in sorted(sizes):
        t0 = time.perf_counter()
        with filler.held():
            for lo in range(stored, size, BUILD_BATCH):
                with filler.transaction() as con:
                    _write(con, arts, lo, min(BUILD_BATCH, size - lo))
        filler.checkpoint_if_long(0)
        build_s += time.perf_counter() - t0
        stored = size
        write_s: list[float] = []
        checkpoint_s: list[float] = []
        written: list[float] = []
        for r in range(rounds):
            wh = Warehouse(path, hold_seconds=3600, row_group_rows=rows_per_group)
            before = _io_written()
            with wh.held():
                with _timed(write_s), wh.transaction() as con:
                    _write(con, arts, 10_000_000 + size * 10 + r * RUN_ARTICLES, RUN_ARTICLES)
                with _timed(checkpoint_s):
                    wh.checkpoint_if_long(0)
            after = _io_written()
            if before is not None and after is not None:
                written.append((after - before) / 2**20)
        out["sizes"][size] = {
            "write_s": round(statistics.median(write_s), 3),
            "checkpoint_s": round(statistics.median(checkpoint_s), 3),
            "checkpoint_runs_s": [round(x, 3) for x in checkpoint_s],
            "written_mb": round(statistics.median(written), 1) if written else None,
            "file_mb": round(path.stat().st_size / 2**20, 1)}
    out["build_s"] = round(build_s, 1)
    if rows_per_group != DUCKDB_DEFAULT_ROWS:
        # The run-end policy over consecutive runs at the largest size: the old one (log size over
        # 256 kB) then the current one, each from a checkpointed file.
        out["sequence"] = {}
        for name, limit, start in (("log over 256 kB (before)", OLD_WAL_LIMIT, 20_000_000),
                                   ("current policy", None, 30_000_000)):
            Warehouse(path, row_group_rows=rows_per_group).checkpoint_if_long(0)
            out["sequence"][name] = _sequence(path, rows_per_group, arts, start, limit)
    path.unlink(missing_ok=True)
    return out


def run(sizes: tuple[int, ...] = (1000, 10000, 100000), smoke: bool = False,
        rounds: int = ROUNDS) -> dict[str, Any]:
    """Both variants (newswatch's ROW_GROUP_ROWS, DuckDB's default), built and measured one after the
    other on the same synthetic articles."""
    from newswatch.io.warehouse import ROW_GROUP_ROWS

    if smoke:
        sizes, rounds = (200, 1000), 1
    arts = _Articles()
    result: dict[str, Any] = {"run_articles": RUN_ARTICLES, "rounds": rounds,
                              "text_kb": round(statistics.mean(len(t) for t in arts.texts) / 1024, 1),
                              "variants": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, rows in (("newswatch", ROW_GROUP_ROWS), ("duckdb default", DUCKDB_DEFAULT_ROWS)):
            result["variants"][name] = _variant(Path(tmp), rows, sizes, rounds, arts)
    return result


def main() -> None:
    res = run(smoke=False)
    for name, v in res["variants"].items():
        for size, row in v["sizes"].items():
            print(f"{name} ({v['rows_per_group']:,} rows a group) at {size:,}: write {row['write_s']} s, "
                  f"checkpoint {row['checkpoint_s']} s, {row['written_mb']} MB written, file {row['file_mb']} MB")


if __name__ == "__main__":
    main()
