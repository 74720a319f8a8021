"""runner.process_pending writes each batch from a thread while the next is extracted: every write must
happen there, in order, the rows must not depend on how long extraction or writing took, and a failed
write must stop the run."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from newswatch.pipeline import collect, runner
from tests.integration.test_pool_start import site

PAGES = 30   # enough for collect to start the pool, which then takes every batch


def _run(sources: Path, db: Path, batch_size: int, workers: int = 1,
         on_batch: object = None) -> list[tuple[object, ...]]:
    ctx = runner.open_run("monitor", sources=sources, warehouse=db, workers=workers)
    collect.collect_source(ctx, ctx.config.sources[0], None)
    try:
        runner.process_pending(ctx, batch_size=batch_size, on_batch=on_batch)  # type: ignore[arg-type]
    finally:
        runner.finish_run(ctx)
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT a.article_id, a.story_id, a.language, a.content_hash, p.status "
                           "FROM pages p LEFT JOIN articles a USING (article_id) ORDER BY p.page_id").fetchall()


@pytest.mark.slow
def test_batches_written_by_the_thread_give_the_same_rows(tmp_path: Path) -> None:
    sources = site(tmp_path / "site", PAGES)
    calls: list[tuple[str, int]] = []
    pooled = _run(sources, tmp_path / "pooled.duckdb", batch_size=8, workers=2,
                  on_batch=lambda n: calls.append((threading.current_thread().name, n)))
    inline = _run(sources, tmp_path / "inline.duckdb", batch_size=8, workers=1)
    whole = _run(sources, tmp_path / "whole.duckdb", batch_size=PAGES + 10)
    assert len(pooled) == PAGES and pooled == inline   # same batches, other timings: the same rows
    assert {status for *_, status in pooled} == {"processed"}
    # The same articles, languages and hashes in one batch. (Story ids may differ: the pages are near
    # copies of one another, and a story is named after its first article in the batch order.)
    assert [(r[0], r[2], r[3], r[4]) for r in pooled] == [(r[0], r[2], r[3], r[4]) for r in whole]
    # Four batches (8, 8, 8, 6), each written by the writer thread, in order.
    assert [n for _, n in calls] == [8, 8, 8, 6]
    assert all(name.startswith("newswatch-write") for name, _ in calls), calls


@pytest.mark.slow
def test_a_failed_write_stops_the_run_and_keeps_the_rest_pending(tmp_path: Path) -> None:
    sources = site(tmp_path / "site", PAGES)
    db = tmp_path / "news.duckdb"
    written: list[int] = []

    def fail_on_second(n: int) -> None:   # runs after a batch's commit, in the writer thread
        written.append(n)
        if len(written) == 2:
            raise RuntimeError("progress display broke")

    with pytest.raises(RuntimeError, match="progress display broke"):
        _run(sources, db, batch_size=5, on_batch=fail_on_second)
    with duckdb.connect(str(db), read_only=True) as con:
        counts = dict(con.execute("SELECT status, count(*) FROM pages GROUP BY 1").fetchall())
    # The two batches committed before the error are processed; no batch was written after it.
    assert counts == {"processed": 10, "pending": PAGES - 10}
    assert written == [5, 5]
