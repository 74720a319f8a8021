"""A run keeps one warehouse connection for its many short transactions. Each DuckDB open replays the
write-ahead log, whose cost grows with every commit since the last checkpoint: one open per source
and per transaction made a 200-feed monitor run spend most of its 33-45 s opening the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.monitor import monitor
from newswatch.io.warehouse import Warehouse

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

FEEDS = 30
PAGE = ("<html><head><title>Story {n}</title></head><body><article><p>Story number {n} from the regional "
        "desk describes the harbour and the market of the day in some detail for its readers.</p><p>The "
        "mayor spoke about tram line {n} and the library's opening hours again this week.</p></article>"
        "</body></html>")


def _project(root: Path) -> Path:
    lines = ["sources:"]
    for n in range(FEEDS):
        (root / f"f{n}.xml").write_text(
            f"<?xml version='1.0'?><rss version='2.0'><channel><title>feed {n}</title><item><title>Story {n}"
            f"</title><link>p{n}.html</link></item></channel></rss>", encoding="utf-8")
        (root / f"p{n}.html").write_text(PAGE.format(n=n), encoding="utf-8")
        lines.append(f"  - id: s{n}\n    url: f{n}.xml")
    (root / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "sources.yaml"


def test_a_monitor_run_over_many_feeds_opens_the_warehouse_a_few_times(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources, db = _project(tmp_path), tmp_path / "news.duckdb"
    opens: list[bool] = []
    real_open = Warehouse._open

    def counting_open(self: Warehouse, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        opens.append(True)
        return real_open(self, **kwargs)

    monkeypatch.setattr(Warehouse, "_open", counting_open)
    first = monitor(sources=str(sources), warehouse=str(db), workers=1)
    first_opens = len(opens)
    opens.clear()
    again = monitor(sources=str(sources), warehouse=str(db), workers=1)   # every feed unchanged
    assert first.counts["articles_new"] == FEEDS and first.counts["sources_fetched"] == FEEDS
    assert again.counts.get("articles_new", 0) == 0 and again.counts["sources_fetched"] == FEEDS
    # open_run (the migrations of a new file, each in its transaction, then the run's row) and one
    # connection held for the rest: not one or two per source.
    assert first_opens <= 8, first_opens
    assert len(opens) <= 4, len(opens)
    with duckdb.connect(str(db), read_only=True) as con:
        logged = con.execute("SELECT count(*) FROM fetch_log WHERE kind = 'feed'").fetchone()
    assert logged == (2 * FEEDS,)


@pytest.mark.parametrize(("limit", "replay_s", "checkpoints"),
                         [(4096, 1e9, True), (1 << 40, 0.0, True), (1 << 40, 1e9, False)])
def test_a_run_that_leaves_a_long_write_ahead_log_checkpoints_at_its_end(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int, replay_s: float,
        checkpoints: bool) -> None:
    """Each open replays the log, so a run checkpoints at its end when the log is longer than
    WAL_CHECKPOINT_BYTES (tiny here), or when its first open took longer than REPLAY_CHECKPOINT_S
    (0 here: any open); the control, with both out of reach, keeps its log."""
    from newswatch.io import warehouse

    monkeypatch.setattr(warehouse, "WAL_CHECKPOINT_BYTES", limit)
    monkeypatch.setattr(warehouse, "REPLAY_CHECKPOINT_S", replay_s)
    sources, db = _project(tmp_path), tmp_path / "news.duckdb"
    summary = monitor(sources=str(sources), warehouse=str(db), workers=1)
    assert summary.counts["articles_new"] == FEEDS
    wal = Warehouse(db).wal_bytes()
    assert (wal == 0) if checkpoints else (wal > 4096), wal
    with duckdb.connect(str(db), read_only=True) as con:   # nothing lost either way
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (FEEDS,)
        assert con.execute("SELECT status FROM runs").fetchall() == [("ok",)]
