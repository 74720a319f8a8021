"""DuckDB warehouse: open with lock retry, ordered migrations, short batch transactions, Arrow inserts."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from newswatch.errors import WarehouseLockedError

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "warehouse" / "migrations"
MIGRATION_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Every open of the file replays the write-ahead log, and the replay grows with each commit since the
# last checkpoint (~0.13 ms a small commit here: 1,200 of them made an open of a 20,000-article
# warehouse take 0.15-0.17 s instead of 0.01-0.02 s). A checkpoint, on the other hand, rewrites the
# parts of the `lsh_buckets` index that new articles touched, and their keys are random: at 100,000
# articles it wrote ~300 MB in 1.5-2.3 s whether one run's articles were pending or sixteen runs'
# (which an open replayed in 0.09 s). So a run checkpoints at its end only when the log is longer than
# WAL_CHECKPOINT_BYTES (a few busy runs: page bodies are most of it), or when replaying it made the
# run's first open slower than REPLAY_CHECKPOINT_S (many small commits, e.g. runs where every feed
# answered 304).
WAL_CHECKPOINT_BYTES = 8 * 1024 * 1024
REPLAY_CHECKPOINT_S = 0.1
# DuckDB's own automatic checkpoint, when a commit would take the log past this (DuckDB's default:
# 16 MB). Each checkpoint costs something whatever it writes: ~27 ms on an empty warehouse, plus the
# last row group of each table with an index rewritten (~25 us a row, up to ROW_GROUP_ROWS rows),
# plus the `lsh_buckets` index pages new articles touched (see above). Fewer, larger checkpoints
# write the same rows for less: appending 20,000 articles, final checkpoint included, 15,500 ->
# 17,600 rows/s (medians of 5, interleaved; CPU -9 %). A 20,000-page backfill took as long either
# way (155-165 s) with a 75 MB higher peak. The price: an open replays up to 64 MB of log (~0.4 s,
# against ~0.1 s for 16 MB). A warehouse opened per transaction (hold_seconds=0) replays the log at
# every open, so it keeps DuckDB's 16 MB.
AUTO_CHECKPOINT_BYTES = 64 * 1024 * 1024
DUCKDB_CHECKPOINT_BYTES = 16 * 1024 * 1024


# Rows per row group of the tables newswatch writes (DuckDB's default: 122,880). DuckDB 1.5 rewrites
# the whole last row group of a table with an index at every checkpoint (the primary keys of
# `articles`, `pages`, `article_signatures`): with the default, a run's end checkpoint on a
# 100,000-article warehouse rewrote ~100,000 article texts and signatures, 1.8-3.8 s and ~180 MB
# written however few articles the run added (with 4,096 rows: 0.1-0.4 s, ~8 MB). ROW_GROUP_SIZE
# is an ATTACH option, not stored in the file, so every connection newswatch opens gives it
# (benchmarks/results/latest.md, Growth, has the figures).
ROW_GROUP_ROWS = 4096
RESERVED_ALIASES = {"memory", "system", "temp", "main"}


def _attach(path: Path, *, read_only: bool, row_group_rows: int) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file, attached with `row_group_rows` and made the default
    database under the name `duckdb <file>` gives it (the file's stem)."""
    alias = path.stem if path.stem.lower() not in RESERVED_ALIASES else "warehouse"
    options = f"ROW_GROUP_SIZE {int(row_group_rows)}" + (", READ_ONLY" if read_only else "")
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {_literal(str(path))} AS {_identifier(alias)} ({options})")
        con.execute(f"USE {_identifier(alias)}")
        # DuckDB draws a progress bar on the console for statements over 2 s (a checkpoint on a large
        # warehouse): it would land in the middle of a run's log or `newswatch sql --format csv`.
        con.execute("SET enable_progress_bar = false")
    except BaseException:
        con.close()
        raise
    return con


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def to_utc_naive(value: datetime | None) -> datetime | None:
    """DuckDB TIMESTAMP columns hold naive UTC; convert aware datetimes on the way in."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def from_utc_naive(value: datetime | None) -> datetime | None:
    """The reverse of to_utc_naive: naive UTC from DuckDB -> aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _is_lock_error(exc: Exception) -> bool:
    """Another process holds the file, or (`unique file handle`) another connection of this one:
    each connection attaches the file anew, and DuckDB lets one process attach it once at a time."""
    text = str(exc).lower()
    return ("lock" in text and ("conflicting" in text or "could not set" in text)) or (
        "unique file handle conflict" in text)


class Warehouse:
    """One DuckDB file. Connections are opened per short transaction and closed right after, so
    other processes (a second run, an analyst's shell) get their turn between batches. Inside
    `held()`, batch after batch reuse one connection for up to `hold_seconds` (its indexes stay in
    memory), and `pause()` gives the file up before work that needs no warehouse."""

    def __init__(self, path: str | Path, *, lock_timeout: float = 60.0, hold_seconds: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic,
                 row_group_rows: int = ROW_GROUP_ROWS,
                 auto_checkpoint_bytes: int | None = None) -> None:
        self.path = Path(path)
        self.row_group_rows = row_group_rows
        self.auto_checkpoint_bytes = auto_checkpoint_bytes if auto_checkpoint_bytes is not None else (
            AUTO_CHECKPOINT_BYTES if hold_seconds > 0 else DUCKDB_CHECKPOINT_BYTES)
        self.lock_timeout = lock_timeout
        self.hold_seconds = hold_seconds
        self._held: duckdb.DuckDBPyConnection | None = None
        self._held_since = 0.0
        self._hold_depth = 0
        self._sleep = sleep
        self._monotonic = monotonic
        # One writer per process at a time: tasks run in threads, and DuckDB would otherwise raise
        # write-write conflicts between two transactions of the same process.
        self._lock = threading.RLock()
        self.first_open_s: float | None = None   # how long this object's first open took (log replay)

    def _open(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        deadline = self._monotonic() + self.lock_timeout
        delay = 0.1
        while True:
            try:
                started = time.perf_counter()
                con = _attach(self.path, read_only=read_only, row_group_rows=self.row_group_rows)
                if self.first_open_s is None:
                    self.first_open_s = time.perf_counter() - started
                if not read_only:
                    # Closing the last connection would checkpoint, and a checkpoint rewrites every
                    # index: a cost that grows with the warehouse, paid per batch. Committed batches
                    # stay in the write-ahead log instead (durable, replayed by any reader, the duckdb
                    # CLI included) until DuckDB's automatic checkpoint at checkpoint_threshold or
                    # the end of a run (checkpoint_if_long).
                    con.execute("PRAGMA disable_checkpoint_on_shutdown")
                    # A checkpoint's vacuum merges the small row groups a table without an index
                    # gets at each checkpoint (page_bodies: one per ~400 pages) and so rewrites the
                    # raw pages again and again (19 s of checkpoints per 40,000 pages instead of
                    # 2.7 s). Appends never leave anything to reclaim, and tables with an index
                    # are not vacuumed by DuckDB 1.5 anyway.
                    con.execute("SET max_vacuum_tasks = 0")
                    con.execute(f"SET checkpoint_threshold = '{int(self.auto_checkpoint_bytes)}B'")
                return con
            except (duckdb.IOException, duckdb.ConnectionException, duckdb.BinderException) as exc:
                if not _is_lock_error(exc):
                    raise
                if self._monotonic() >= deadline:
                    holder = re.search(r"PID (\d+)", str(exc))
                    who = ("another connection of this process holds the warehouse"
                           if "unique file handle" in str(exc).lower() else
                           "another process holds the warehouse"
                           + (f" (held by PID {holder.group(1)})" if holder else ""))
                    raise WarehouseLockedError(
                        f"{self.path}: {who}; gave up after "
                        f"{self.lock_timeout:g} s (--lock-timeout). Nothing was written; "
                        f"fetched work is kept for the next run.") from None
                self._sleep(min(delay, max(0.0, deadline - self._monotonic())))
                delay = min(delay * 2, 1.0)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction on a fresh connection: commit on success, roll back on any error."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            yield from self._transaction()

    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._held
        if con is None:
            con = self._open()
            if self._hold_depth and self.hold_seconds > 0:
                self._held, self._held_since = con, self._monotonic()
        committed = False
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            committed = True
        finally:
            if con is not self._held:
                con.close()
            elif not committed:   # after any failure the next transaction starts on a new connection
                self._release()

    def wal_bytes(self) -> int:
        """Size of the write-ahead log (0 when there is none)."""
        wal = self.path.with_name(self.path.name + ".wal")
        try:
            return wal.stat().st_size
        except FileNotFoundError:
            return 0

    def checkpoint_if_long(self, max_wal_bytes: int | None = None) -> bool:
        """CHECKPOINT when the write-ahead log has grown past `max_wal_bytes` (WAL_CHECKPOINT_BYTES),
        or when this object's first open, which replayed it, took longer than REPLAY_CHECKPOINT_S:
        so that the next opens (the next run's, `newswatch sql`, the duckdb CLI) replay little.
        True when it did."""
        limit = WAL_CHECKPOINT_BYTES if max_wal_bytes is None else max_wal_bytes
        wal = self.wal_bytes()
        slow_replay = self.first_open_s is not None and self.first_open_s > REPLAY_CHECKPOINT_S
        if wal == 0 or (wal <= limit and not slow_replay):
            return False
        with self.transaction() as con:
            con.execute("CHECKPOINT")
        return True

    @contextmanager
    def held(self) -> Iterator[None]:
        """Transactions inside reuse one connection: no log replay and no cold index per batch.
        The file is given up by `pause()` once held `hold_seconds`, and at the end of the block."""
        with self._lock:
            self._hold_depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._hold_depth -= 1
                if self._hold_depth == 0:
                    self._release()

    def pause(self) -> None:
        """Call before work that needs no warehouse (extraction, fetching): closes a connection held
        for `hold_seconds` or more, so another writer or a reader gets the file meanwhile."""
        with self._lock:
            if self._held is not None and self._monotonic() - self._held_since >= self.hold_seconds:
                self._release()

    def _release(self) -> None:
        con, self._held = self._held, None
        if con is not None:
            con.close()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (used by `newswatch sql`)."""
        con = self._open(read_only=True)
        try:
            yield con
        finally:
            con.close()

    def migrate(self, migrations_dir: Path = MIGRATIONS_DIR) -> list[str]:
        """Apply pending migrations in order, each in a transaction with its schema_migrations row."""
        applied: list[str] = []
        files = sorted(p for p in migrations_dir.glob("*.sql") if MIGRATION_RE.match(p.name))
        with self.transaction() as con:
            con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                        "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
            done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
        for file in files:
            m = MIGRATION_RE.match(file.name)
            assert m is not None
            version = int(m.group(1))
            if version in done:
                continue
            with self.transaction() as con:
                con.execute(file.read_text(encoding="utf-8"))
                con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                            [version, m.group(2), to_utc_naive(datetime.now(UTC))])
            applied.append(file.name)
        return applied


UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
NAIVE_TIMESTAMP = pa.timestamp("us")


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Mapping[str, Any]],
                columns: Sequence[str], *, on_conflict: str = "DO NOTHING",
                timestamps: Collection[str] = ()) -> int:
    """Insert a batch through one Arrow table (~25k rows/s, vs ~900 for executemany). `timestamps`:
    columns of datetimes, converted to naive UTC (as to_utc_naive) a column at a time by Arrow."""
    if not rows:
        return 0
    data: dict[str, Any] = {}
    for c in columns:
        values = [r.get(c) for r in rows]
        # Arrow reads an aware datetime in its own zone and a naive one as UTC, as to_utc_naive does.
        data[c] = pa.array(values, type=UTC_TIMESTAMP).cast(NAIVE_TIMESTAMP) if c in timestamps else values
    batch = pa.table(data)
    name = f"_batch_{table}"
    con.register(name, batch)
    try:
        cols = ", ".join(columns)
        conflict = f" ON CONFLICT {on_conflict}" if on_conflict else ""
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}{conflict}")
    finally:
        con.unregister(name)
    return len(rows)


ID_SEP = "\x1f"   # ASCII unit separator; never inside our ids (hex digests)
# `... IN {IDS}` with one parameter, id_list(ids): DuckDB's Python client looks for pandas once per
# bound value, each element of a list parameter included, and without pandas every look walks
# sys.path: a 200-id list parameter costs ~25 ms, the same ids joined in one string ~1.5 ms.
ID_ARRAY = f"string_split(?, chr({ord(ID_SEP)}))"   # the ids as a VARCHAR[]
IDS = f"(SELECT unnest({ID_ARRAY}))"


def id_list(ids: Sequence[str]) -> str:
    """Ids as the one parameter of IDS or ID_ARRAY."""
    joined = ID_SEP.join(ids)
    if joined.count(ID_SEP) != max(len(ids) - 1, 0):
        raise ValueError("an id contains the ASCII unit separator")
    return joined


def query_dicts(con: duckdb.DuckDBPyConnection, sql: str,
                params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """Run a parameterised query and return rows as dicts."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
