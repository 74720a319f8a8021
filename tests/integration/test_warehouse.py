"""The warehouse on a real DuckDB file: migrations, rollback, and the cross-process write lock."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from newswatch.errors import WarehouseLockedError
from newswatch.io.warehouse import Warehouse, insert_rows

CONTRACT_TABLES = {
    "articles": {"article_id", "url", "canonical_url", "source_id", "title", "published_at", "fetched_at",
                 "language", "language_confidence", "text", "content_hash", "story_id", "duplicate_of"},
    "events": {"event_id", "event_type", "meeting_date", "city", "host_country", "title", "first_seen_at"},
    "event_participants": {"event_id", "name", "country", "role"},
    "event_mentions": {"event_id", "article_id", "evidence"},
    "alerts": {"alert_id", "event_id", "channel", "status", "attempts", "error", "created_at", "sent_at"},
    "runs": {"run_id", "flow", "started_at", "finished_at", "status", "articles_new", "duplicates",
             "events_new", "alerts_sent"},
    "fetch_log": {"run_id", "source_id", "url", "status", "http_status", "error", "fetched_at"},
}


def test_migrations_create_contract_tables_once(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    first = wh.migrate()
    assert first and first[0] == "0001_initial.sql"
    assert wh.migrate() == []
    with wh.transaction() as con:
        for table, cols in CONTRACT_TABLES.items():
            have = {r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
            assert cols <= have, (table, cols - have)
        versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert versions == sorted(versions) and len(versions) == len(first)


def test_failed_transaction_writes_nothing(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    with pytest.raises(RuntimeError), wh.transaction() as con:
        insert_rows(con, "fetch_log", [{"run_id": "r", "source_id": "s", "url": "u", "status": "ok",
                                        "fetched_at": datetime(2020, 1, 1)}],
                    ("run_id", "source_id", "url", "status", "fetched_at"), on_conflict="")
        raise RuntimeError("crash in the middle of a batch")
    with wh.transaction() as con:
        assert con.execute("SELECT count(*) FROM fetch_log").fetchone() == (0,)


HOLDER = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("held", flush=True)
time.sleep(float(sys.argv[3]))
"""


def _hold(path: Path, mode: str, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), mode, str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.parametrize("mode", ["ro", "rw"])
def test_locked_by_another_process_gives_up_after_timeout(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "w.duckdb"
    Warehouse(path).migrate()
    holder = _hold(path, mode, 30)
    try:
        wh = Warehouse(path, lock_timeout=1.0)
        start = time.monotonic()
        with pytest.raises(WarehouseLockedError) as err, wh.transaction():
            pass
        waited = time.monotonic() - start
        assert 0.9 <= waited < 5, waited
        assert "another process holds the warehouse" in str(err.value)
        assert f"PID {holder.pid}" in str(err.value)
    finally:
        holder.kill()
        holder.wait()


def test_waits_for_a_short_lock_then_writes(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    Warehouse(path).migrate()
    holder = _hold(path, "ro", 1.5)
    try:
        wh = Warehouse(path, lock_timeout=20)
        with wh.transaction() as con:
            con.execute("INSERT INTO runs (run_id, flow, started_at, status) VALUES ('r', 'monitor', now(), 'ok')")
        with wh.transaction() as con:
            assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    finally:
        holder.wait()


PROBE = """
import duckdb, sys
try:
    duckdb.connect(sys.argv[1], read_only=True).close()
    print("free")
except duckdb.Error:
    print("locked")
"""


def _other_process_sees(path: Path) -> str:
    """Whether another process can open the file right now ('free' or 'locked')."""
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip()


def test_held_connection_spans_batches_and_is_given_up(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    clock = [0.0]
    wh = Warehouse(path, hold_seconds=10, monotonic=lambda: clock[0])
    wh.migrate()
    assert _other_process_sees(path) == "free"        # outside held(): closed after each transaction
    with wh.held():
        with wh.transaction() as con:
            con.execute("INSERT INTO runs (run_id, flow, started_at, status) VALUES ('a', 'backfill', now(), 'ok')")
        assert _other_process_sees(path) == "locked"  # kept open between batches
        clock[0] = 9.0
        wh.pause()
        assert _other_process_sees(path) == "locked"  # not held long enough yet
        clock[0] = 10.0
        wh.pause()
        assert _other_process_sees(path) == "free"    # given up: another process gets its turn
        with pytest.raises(RuntimeError), wh.transaction() as con:
            con.execute("INSERT INTO runs (run_id, flow, started_at, status) VALUES ('b', 'backfill', now(), 'ok')")
            raise RuntimeError("batch failed")
        assert _other_process_sees(path) == "free"    # a failed transaction drops the connection
        with wh.transaction() as con:
            con.execute("INSERT INTO runs (run_id, flow, started_at, status) VALUES ('c', 'backfill', now(), 'ok')")
    assert _other_process_sees(path) == "free"        # and the block's end closes it
    with wh.reader() as con:
        assert con.execute("SELECT list(run_id ORDER BY run_id) FROM runs").fetchone() == (["a", "c"],)
