"""The alert outbox in the warehouse: rows written with new events, delivered after commit."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import duckdb

from newswatch.io.warehouse import insert_rows, query_dicts, to_utc_naive

Con = duckdb.DuckDBPyConnection
RETRY_FREE_ATTEMPTS = 3          # the first retries happen on the very next runs, no waiting
MAX_BACKOFF = timedelta(hours=6)


def alert_id(event_id: str, channel_id: str) -> str:
    """Deterministic: one alert per (event, channel), ever."""
    return "al_" + hashlib.sha256(f"{event_id}|{channel_id}".encode()).hexdigest()[:16]


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failures: none for the first few (the next scheduled
    run retries), then doubling from one minute, capped at six hours."""
    if attempts < RETRY_FREE_ATTEMPTS:
        return timedelta(0)
    return min(timedelta(minutes=2 ** (attempts - RETRY_FREE_ATTEMPTS)), MAX_BACKOFF)


def create_alerts(con: Con, event_ids: Sequence[str], channel_ids: Sequence[str], *, status: str,
                  now: datetime, run_id: str) -> int:
    """Outbox rows for new events, in the caller's transaction (the same one that stores the events)."""
    rows = [{"alert_id": alert_id(e, c), "event_id": e, "channel": c, "status": status, "attempts": 0,
             "created_at": to_utc_naive(now), "next_attempt_at": to_utc_naive(now), "run_id": run_id}
            for e in event_ids for c in channel_ids]
    insert_rows(con, "alerts", rows, ("alert_id", "event_id", "channel", "status", "attempts",
                                      "created_at", "next_attempt_at", "run_id"))
    return len(rows)


def due_alerts(con: Con, channel_ids: Sequence[str], now: datetime) -> list[dict[str, object]]:
    """Pending or failed alerts whose back-off has passed, on channels configured in this run."""
    if not channel_ids:
        return []
    return query_dicts(
        con, "SELECT alert_id, event_id, channel, attempts FROM alerts WHERE status IN ('pending', 'failed') "
             "AND channel IN (SELECT unnest(?)) AND coalesce(next_attempt_at, created_at) <= ? "
             "ORDER BY created_at, event_id, channel", [list(channel_ids), to_utc_naive(now)])


def record_delivery(con: Con, results: Sequence[Mapping[str, object]], now: datetime) -> None:
    """Mark each tried alert sent or failed (attempts + 1, error, next_attempt_at)."""
    for r in results:
        attempts = int(str(r["attempts"])) + 1
        if r["ok"]:
            con.execute("UPDATE alerts SET status = 'sent', attempts = ?, error = NULL, sent_at = ? "
                        "WHERE alert_id = ? AND status <> 'sent'",
                        [attempts, to_utc_naive(now), r["alert_id"]])
        else:
            con.execute("UPDATE alerts SET status = 'failed', attempts = ?, error = ?, next_attempt_at = ? "
                        "WHERE alert_id = ? AND status <> 'sent'",
                        [attempts, r["error"], to_utc_naive(now + backoff(attempts)), r["alert_id"]])
