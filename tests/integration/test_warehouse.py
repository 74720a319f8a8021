"""The warehouse on a real DuckDB file: migrations, rollback, and the cross-process write lock."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from newswatch.errors import WarehouseLockedError
from newswatch.io import records
from newswatch.io.warehouse import (
    AUTO_CHECKPOINT_BYTES,
    DUCKDB_CHECKPOINT_BYTES,
    MIGRATIONS_DIR,
    ROW_GROUP_ROWS,
    Warehouse,
    insert_rows,
)

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


def test_runs_append_small_row_groups_so_a_checkpoint_rewrites_little(tmp_path: Path) -> None:
    """Every connection attaches the file with ROW_GROUP_ROWS: three runs of 5,000 articles, each on
    its own connection and checkpointed at its end, leave several row groups none larger than that.
    (With DuckDB's default of 122,880 rows they would be one row group, rewritten whole by every
    checkpoint, since `articles` has an index.)"""
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    for run in range(3):
        with wh.transaction() as con:
            con.execute("INSERT INTO articles (article_id, url, canonical_url, source_id, fetched_at, language, "
                        "content_hash, text) SELECT 'a' || i, 'u', 'u', 's', TIMESTAMP '2024-01-01', 'en', 'h', "
                        "repeat('word ', 100) FROM range(?, ?) t(i)", [run * 5000, (run + 1) * 5000])
        assert wh.checkpoint_if_long(0)
    with wh.reader() as con:
        groups, largest = con.execute("SELECT count(DISTINCT row_group_id), max(count) "
                                      "FROM pragma_storage_info('articles')").fetchone() or (0, 0)
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (15000,)
    assert largest <= ROW_GROUP_ROWS < 15000
    assert groups >= 15000 // ROW_GROUP_ROWS


@pytest.mark.parametrize("name", ["memory.duckdb", "it's here.duckdb"])
def test_any_file_name_opens(tmp_path: Path, name: str) -> None:
    """The file is attached under its stem, or 'warehouse' when the stem is one of DuckDB's own names;
    quotes in the path are escaped."""
    wh = Warehouse(tmp_path / name)
    wh.migrate()
    with wh.transaction() as con:
        con.execute("INSERT INTO fetch_log (run_id, source_id, url, status, fetched_at) "
                    "VALUES ('r', 's', 'u', 'ok', TIMESTAMP '2024-01-01')")
    with wh.reader() as con:
        assert con.execute("SELECT count(*) FROM fetch_log").fetchone() == (1,)


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


def test_a_second_warehouse_in_the_same_process_waits_for_the_first(tmp_path: Path) -> None:
    """Each connection attaches the file itself, and DuckDB lets a process attach a file once at a
    time: a second Warehouse on the same file queues like a second process would, then writes."""
    path = tmp_path / "w.duckdb"
    first = Warehouse(path, hold_seconds=3600)
    first.migrate()
    second = Warehouse(path, lock_timeout=0.5)
    with first.held():
        with first.transaction() as con:
            con.execute("INSERT INTO fetch_log (run_id, source_id, url, status, fetched_at) "
                        "VALUES ('a', 's', 'u', 'ok', TIMESTAMP '2024-01-01')")
        with pytest.raises(WarehouseLockedError) as err, second.transaction():
            pass
        assert "another connection of this process holds the warehouse" in str(err.value)
        patient = Warehouse(path, lock_timeout=20)
        done = threading.Event()

        def write() -> None:
            with patient.transaction() as con:
                con.execute("INSERT INTO fetch_log (run_id, source_id, url, status, fetched_at) "
                            "VALUES ('b', 's', 'u', 'ok', TIMESTAMP '2024-01-01')")
            done.set()

        thread = threading.Thread(target=write)
        thread.start()
        assert not done.wait(0.5)   # queued behind the held connection
    thread.join(20)
    assert done.is_set()
    with second.reader() as con:
        assert con.execute("SELECT run_id FROM fetch_log ORDER BY 1").fetchall() == [("a",), ("b",)]


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


def _page(n: int, raw: bytes | None) -> dict[str, object]:
    return {"page_id": f"p_{n:04d}", "url": f"https://x.invalid/{n}", "source_id": "s", "raw": raw,
            "fetched_at": datetime(2024, 1, 1, 0, n % 60), "status": "pending", "run_id": "r"}


def test_page_bodies_are_stored_once_and_read_back_with_their_pages(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    bodies = {n: zlib.compress(f"<p>page {n}</p>".encode() * 50) for n in range(6)}
    with wh.transaction() as con:
        # page 2 twice in one batch, page 5 without a body
        batch = [_page(n, bodies[n]) for n in (0, 1, 2, 2)] + [_page(5, None)]
        assert records.store_pages(con, batch) == 4
    with wh.transaction() as con:   # a second batch repeating stored pages stores only the new ones
        assert records.store_pages(con, [_page(n, bodies[n]) for n in (1, 3, 4)]) == 2
        pending = records.pending_pages(con, 100)
        assert con.execute("SELECT count(*), count(DISTINCT page_id) FROM page_bodies").fetchone() == (5, 5)
    got = {p["page_id"]: p["raw"] for p in pending}
    assert got == {f"p_{n:04d}": (bodies[n] if n != 5 else None) for n in range(6)}
    with wh.transaction() as con:
        records.mark_pages(con, [{"page_id": p, "status": "processed"} for p in got])
        assert records.pending_pages(con, 100) == []
        assert records.reset_pages_for_reprocess(con) == 5   # pages with a kept body come back
        assert {p["page_id"] for p in records.pending_pages(con, 100)} == {f"p_{n:04d}" for n in range(5)}


def test_a_checkpoint_leaves_stored_page_bodies_where_they_are(tmp_path: Path) -> None:
    """Storing more pages must not rewrite the bodies stored before (DuckDB rewrites the last row
    group of a table with an index, and vacuum merges small row groups): the blocks holding the
    first batch's bodies stay the same through later batches and checkpoints."""
    wh = Warehouse(tmp_path / "w.duckdb", hold_seconds=3600)
    wh.migrate()
    query = ("SELECT list(DISTINCT block_id ORDER BY block_id) FROM pragma_storage_info('page_bodies') "
             "WHERE column_name = 'raw' AND row_group_id = 0 AND block_id >= 0")
    first: list[int] | None = None
    with wh.held():
        for batch in range(8):
            with wh.transaction() as con:
                records.store_pages(con, [_page(batch * 40 + i, os.urandom(20_000)) for i in range(40)])
            with wh.transaction() as con:
                con.execute("CHECKPOINT")
            with wh.transaction() as con:
                blocks = con.execute(query).fetchone()[0]  # type: ignore[index]
            first = first or blocks
            assert first and blocks == first, (batch, first, blocks)


def test_migration_moves_stored_raw_pages_to_page_bodies(tmp_path: Path) -> None:
    old = tmp_path / "migrations-0003"
    old.mkdir()
    for f in sorted(MIGRATIONS_DIR.glob("000[123]_*.sql")):
        (old / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate(old)
    raws = {n: zlib.compress(f"page {n}".encode()) for n in range(3)}
    with wh.transaction() as con:   # a warehouse written before 0004: the raw page inside `pages`
        for n in (2, 0, 1):
            con.execute("INSERT INTO pages (page_id, url, source_id, raw, fetched_at, status) "
                        "VALUES (?, ?, 's', ?, ?, 'processed')",
                        [f"p_{n}", f"https://x.invalid/{n}", raws[n], datetime(2024, 1, 1, n)])
        con.execute("INSERT INTO pages (page_id, url, source_id, fetched_at, status) "
                    "VALUES ('p_none', 'https://x.invalid/none', 's', '2024-01-02', 'failed')")
    assert wh.migrate() == ["0004_page_bodies.sql"]
    with wh.transaction() as con:
        assert "raw" not in {r[0] for r in con.execute("DESCRIBE pages").fetchall()}
        assert con.execute("SELECT p.page_id, b.seq, b.raw FROM pages p JOIN page_bodies b "
                           "ON b.seq = p.body_seq ORDER BY b.seq").fetchall() == [
            (f"p_{n}", n + 1, raws[n]) for n in range(3)]
        assert records.reset_pages_for_reprocess(con) == 3
        assert [p["raw"] for p in records.pending_pages(con, 10)] == [raws[0], raws[1], raws[2]]
        records.store_pages(con, [_page(9, b"new")])   # numbering goes on after the migrated bodies
        assert con.execute("SELECT seq FROM page_bodies WHERE page_id = 'p_0009'").fetchone() == (4,)


def test_id_lookups_bind_one_value_whatever_the_number_of_ids(tmp_path: Path) -> None:
    """DuckDB's client looks for pandas per bound value (per element of a list parameter), walking
    sys.path each time when pandas is absent; records.py binds a batch's ids as one joined string,
    so the import machinery runs as often for 200 ids as for 2."""
    looked: list[str] = []

    class Spy:
        def find_spec(self, name: str, path: object = None, target: object = None) -> None:
            looked.append(name)

    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    with wh.transaction() as con:
        records.store_pages(con, [_page(i, b"x") for i in range(3)])
    counts = []
    for n in (2, 200):
        ids = [f"p_{i:04d}" for i in range(1, n + 1)]   # p_0001 and p_0002 are stored, p_0000 is not
        looked.clear()
        sys.meta_path.insert(0, Spy())  # type: ignore[arg-type]
        try:
            with wh.transaction() as con:
                assert records.known_page_ids(con, ids) == {"p_0001", "p_0002"}
                assert [p["page_id"] for p in records.pending_pages(con, 10, ids)] == ["p_0000"]
                assert records.existing_article_ids(con, ids) == set()
        finally:
            sys.meta_path.pop(0)
        counts.append(len(looked))
    assert counts[0] == counts[1], counts


def test_connections_draw_no_progress_bar(tmp_path: Path) -> None:
    """DuckDB draws a progress bar on the console for statements over 2 s (seen on checkpoints of a
    100,000-article warehouse, in a redirected log): every connection newswatch opens turns it off,
    so it never lands in a run's log or in `newswatch sql` output."""
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    with wh.transaction() as con:
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    with wh.reader() as con:
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)


def _article(aid: str, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "article_id": aid, "url": f"https://example.org/{aid}", "canonical_url": f"https://example.org/{aid}",
        "source_id": "s", "title": aid, "published_at": None, "fetched_at": datetime(2024, 5, 1, 12, 0),
        "language": "en", "language_confidence": 0.9, "text": f"text of {aid}", "content_hash": aid}
    row.update(fields)
    return row


def test_times_are_stored_as_naive_utc_whatever_the_session_zone(tmp_path: Path) -> None:
    tehran = timezone(timedelta(hours=3, minutes=30))
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    rows = [_article("a1", published_at=datetime(2023, 2, 14, 10, 0, tzinfo=tehran),
                     fetched_at=datetime(2023, 2, 14, 9, 0, tzinfo=UTC)),
            _article("a2", published_at=datetime(2023, 2, 14, 10, 0)),   # naive: already UTC
            _article("a3")]
    with wh.transaction() as con:
        con.execute("SET TimeZone = 'America/New_York'")   # must not matter
        assert records.insert_articles(con, rows) == 3
    with wh.reader() as con:
        got = con.execute("SELECT article_id, published_at, fetched_at FROM articles ORDER BY 1").fetchall()
    assert got == [("a1", datetime(2023, 2, 14, 6, 30), datetime(2023, 2, 14, 9, 0)),
                   ("a2", datetime(2023, 2, 14, 10, 0), datetime(2024, 5, 1, 12, 0)),
                   ("a3", None, datetime(2024, 5, 1, 12, 0))]


def test_a_stored_article_fails_its_batch_and_a_reprocessed_one_is_replaced(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    with wh.transaction() as con:
        records.insert_articles(con, [_article("a1")])
    with pytest.raises(duckdb.ConstraintException), wh.transaction() as con:
        records.insert_articles(con, [_article("b1"), _article("a1", title="again")])
    with wh.transaction() as con:   # reprocessing: delete and insert the same id in one transaction
        records.delete_derived(con, ["a1"])
        records.insert_articles(con, [_article("a1", title="rebuilt")])
    with wh.reader() as con:
        assert con.execute("SELECT article_id, title FROM articles").fetchall() == [("a1", "rebuilt")]


def _log_sizes(path: Path, threshold: int) -> list[int]:
    """The write-ahead log's size after each of 12 commits of ~30 kB of articles."""
    wh = Warehouse(path, auto_checkpoint_bytes=threshold, hold_seconds=60)
    wh.migrate()
    logged: list[int] = []
    with wh.held():
        for b in range(12):
            with wh.transaction() as con:
                records.insert_articles(con, [_article(f"a{b}-{i}", text="x" * 3000) for i in range(10)])
            logged.append(wh.wal_bytes())
    with wh.reader() as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (120,)
    return logged


def test_duckdb_checkpoints_by_itself_at_the_warehouse_threshold(tmp_path: Path) -> None:
    assert Warehouse(tmp_path / "d.duckdb").auto_checkpoint_bytes == AUTO_CHECKPOINT_BYTES
    assert Warehouse(tmp_path / "d.duckdb", hold_seconds=0).auto_checkpoint_bytes == DUCKDB_CHECKPOINT_BYTES
    small = _log_sizes(tmp_path / "small.duckdb", 2**20)
    large = _log_sizes(tmp_path / "large.duckdb", 8 * 2**20)
    # DuckDB checkpoints when the log plus its estimate of the commit passes the threshold, and the
    # estimate is generous: at 1 MB the log is reset after ~0.3 MB, at 8 MB never in these ~0.4 MB.
    assert any(b < a for a, b in itertools.pairwise(small)), small
    assert all(b > a for a, b in itertools.pairwise(large)), large
