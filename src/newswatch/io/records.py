"""Table-level reads and writes of the warehouse; callers own the transaction (see warehouse.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import duckdb
import pyarrow as pa

from newswatch.io.warehouse import IDS, from_utc_naive, id_list, insert_rows, query_dicts, to_utc_naive
from newswatch.models import EventRecord, EventView, MentionView, Participant

Con = duckdb.DuckDBPyConnection

ARTICLE_COLUMNS = (
    "article_id", "url", "canonical_url", "source_id", "title", "author", "sitename", "description",
    "published_at", "fetched_at", "language", "language_confidence", "text", "content_hash",
    "story_id", "duplicate_of", "similarity", "run_id",
)
PAGE_COLUMNS = (
    "page_id", "url", "final_url", "source_id", "content_type", "http_status", "feed_title",
    "feed_published_at", "language_hint", "fetched_at", "status", "run_id", "body_seq",
)
FETCH_LOG_COLUMNS = (
    "run_id", "source_id", "url", "kind", "status", "http_status", "error", "attempts", "fetched_at",
)


# ---- runs -------------------------------------------------------------------------------------

def start_run(con: Con, run_id: str, flow: str, started_at: datetime, parameters: str) -> None:
    con.execute("INSERT INTO runs (run_id, flow, started_at, status, parameters) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING", [run_id, flow, to_utc_naive(started_at), "running", parameters])


def finish_run(con: Con, run_id: str, finished_at: datetime, status: str,
               counts: Mapping[str, int]) -> None:
    con.execute(
        "UPDATE runs SET finished_at = ?, status = ?, sources_fetched = ?, articles_new = ?, "
        "duplicates = ?, events_new = ?, alerts_sent = ?, errors = ? WHERE run_id = ?",
        [to_utc_naive(finished_at), status, counts.get("sources_fetched", 0),
         counts.get("articles_new", 0), counts.get("duplicates", 0), counts.get("events_new", 0),
         counts.get("alerts_sent", 0), counts.get("errors", 0), run_id])


def insert_fetch_log(con: Con, rows: Sequence[Mapping[str, Any]]) -> None:
    insert_rows(con, "fetch_log", rows, FETCH_LOG_COLUMNS, on_conflict="", timestamps=("fetched_at",))


# ---- feeds and pages --------------------------------------------------------------------------

def feed_states(con: Con) -> dict[str, dict[str, Any]]:
    rows = query_dicts(con, "SELECT source_id, url, etag, last_modified, content_hash FROM feed_state")
    return {r["source_id"]: r for r in rows}


def save_feed_state(con: Con, source_id: str, url: str, etag: str | None, last_modified: str | None,
                    content_hash: str | None, fetched_at: datetime) -> None:
    con.execute(
        "INSERT INTO feed_state VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_id) DO UPDATE SET "
        "url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified, "
        "content_hash = excluded.content_hash, last_fetched_at = excluded.last_fetched_at",
        [source_id, url, etag, last_modified, content_hash, to_utc_naive(fetched_at)])


def known_page_ids(con: Con, page_ids: Sequence[str]) -> set[str]:
    """Which of these pages are already stored (fetched before, in any state)."""
    if not page_ids:
        return set()
    rows = con.execute(f"SELECT page_id FROM pages WHERE page_id IN {IDS}", [id_list(page_ids)]).fetchall()
    return {r[0] for r in rows}


def store_pages(con: Con, rows: Sequence[Mapping[str, Any]]) -> int:
    """Pages and their raw bodies (`raw`, zlib), idempotent on page_id: a page fetched twice, or
    twice in one batch, is stored once. Returns how many were new."""
    known = known_page_ids(con, [r["page_id"] for r in rows])
    fresh: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["page_id"] not in known and r["page_id"] not in fresh:
            fresh[r["page_id"]] = dict(r)
    row = con.execute("SELECT coalesce(max(seq), 0) FROM page_bodies").fetchone()
    seq = int(row[0]) if row else 0
    bodies = []
    for page in fresh.values():
        if page.get("raw") is not None:
            seq += 1
            page["body_seq"] = seq
            bodies.append({"seq": seq, "page_id": page["page_id"], "raw": page["raw"]})
    insert_rows(con, "pages", list(fresh.values()), PAGE_COLUMNS, on_conflict="",
                timestamps=("fetched_at", "feed_published_at"))
    insert_rows(con, "page_bodies", bodies, ("seq", "page_id", "raw"), on_conflict="")
    return len(fresh)


def pending_pages(con: Con, limit: int, exclude: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The next batch of pages to process with their raw bodies, oldest story first so story ids
    are stable; `exclude`: page ids processed and not written yet, still pending. The join on `seq`
    lets DuckDB skip the row groups of page_bodies outside the batch's range (a run's pages are
    the last ones stored)."""
    return query_dicts(
        con,
        "SELECT p.page_id, p.url, p.final_url, p.source_id, p.content_type, p.feed_title, "
        "p.feed_published_at, p.language_hint, b.raw, p.fetched_at FROM (SELECT * FROM pages "
        f"WHERE status = 'pending' AND page_id NOT IN {IDS} "
        "ORDER BY coalesce(feed_published_at, fetched_at), page_id LIMIT ?) p "
        "LEFT JOIN page_bodies b ON b.seq = p.body_seq "
        "ORDER BY coalesce(p.feed_published_at, p.fetched_at), p.page_id", [id_list(exclude), limit])


def mark_pages(con: Con, updates: Sequence[Mapping[str, Any]]) -> None:
    """Set status / article_id / error of processed pages in one statement."""
    if not updates:
        return
    batch = pa.table({
        "page_id": [u["page_id"] for u in updates],
        "status": [u["status"] for u in updates],
        "article_id": [u.get("article_id") for u in updates],
        "error": [u.get("error") for u in updates],
    })
    con.register("_page_updates", batch)
    try:
        con.execute("UPDATE pages SET status = u.status, article_id = u.article_id, error = u.error "
                    "FROM _page_updates u WHERE pages.page_id = u.page_id")
    finally:
        con.unregister("_page_updates")


def reset_pages_for_reprocess(con: Con) -> int:
    row = con.execute("SELECT count(*) FROM pages WHERE body_seq IS NOT NULL").fetchone()
    con.execute("UPDATE pages SET status = 'pending', error = NULL WHERE body_seq IS NOT NULL")
    return int(row[0]) if row else 0


# ---- articles ---------------------------------------------------------------------------------

def existing_article_ids(con: Con, ids: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    rows = con.execute(f"SELECT article_id FROM articles WHERE article_id IN {IDS}", [id_list(ids)]).fetchall()
    return {r[0] for r in rows}


def insert_articles(con: Con, rows: Sequence[Mapping[str, Any]]) -> int:
    """Articles not stored yet (the caller checks, as store_batch does in the same transaction): a
    stored article_id fails the batch with DuckDB's constraint error rather than being skipped.
    Plain INSERT: ON CONFLICT DO NOTHING cost ~20 us a row of index probes (~13 % of the append)."""
    return insert_rows(con, "articles", rows, ARTICLE_COLUMNS, on_conflict="",
                       timestamps=("published_at", "fetched_at"))


def delete_derived(con: Con, article_ids: Sequence[str]) -> None:
    """Before re-processing articles: drop what was derived from them (rebuilt in the same txn)."""
    if not article_ids:
        return
    ids = [id_list(article_ids)]
    for table in ("event_mentions", "lsh_buckets", "article_signatures", "articles"):
        con.execute(f"DELETE FROM {table} WHERE article_id IN {IDS}", ids)


# ---- events -----------------------------------------------------------------------------------

def load_events(con: Con) -> list[EventRecord]:
    """Every stored event with its participants (events are few: one per real meeting)."""
    parts: dict[str, list[Participant]] = {}
    for eid, name, country, role in con.execute(
            "SELECT event_id, name, country, role FROM event_participants ORDER BY event_id, name"
    ).fetchall():
        parts.setdefault(eid, []).append(Participant(name=name, country=country, role=role))
    out = []
    for r in query_dicts(con, "SELECT event_id, event_type, meeting_date, city, host_country, title, "
                              "first_seen_at FROM events ORDER BY event_id"):
        out.append(EventRecord(event_id=r["event_id"], meeting_date=r["meeting_date"], city=r["city"],
                               host_country=r["host_country"], title=r["title"],
                               participants=tuple(parts.get(r["event_id"], ())),
                               first_seen_at=from_utc_naive(r["first_seen_at"]),
                               event_type=r["event_type"]))
    return out


def upsert_events(con: Con, events: Sequence[EventRecord], *, visitor: Mapping[str, str | None],
                  now: datetime, run_id: str) -> None:
    """Insert new events or update changed ones, and replace their participant lists."""
    if not events:
        return
    rows = [{
        "event_id": e.event_id, "event_type": e.event_type, "meeting_date": _date(e.meeting_date),
        "city": e.city, "host_country": e.host_country, "visitor_country": visitor.get(e.event_id),
        "title": e.title, "first_seen_at": to_utc_naive(e.first_seen_at or now),
        "updated_at": to_utc_naive(now), "run_id": run_id,
    } for e in events]
    insert_rows(con, "events", rows, tuple(rows[0]), on_conflict=(
        "(event_id) DO UPDATE SET meeting_date = excluded.meeting_date, city = excluded.city, "
        "host_country = excluded.host_country, visitor_country = coalesce(excluded.visitor_country, "
        "events.visitor_country), title = excluded.title, updated_at = excluded.updated_at"))
    ids = [e.event_id for e in events]
    con.execute(f"DELETE FROM event_participants WHERE event_id IN {IDS}", [id_list(ids)])
    parts = [{"event_id": e.event_id, "name": p.name, "country": p.country, "role": p.role}
             for e in events for p in e.participants]
    insert_rows(con, "event_participants", parts, ("event_id", "name", "country", "role"))


def insert_mentions(con: Con, rows: Sequence[Mapping[str, Any]]) -> None:
    insert_rows(con, "event_mentions", rows,
                ("event_id", "article_id", "evidence", "meeting_date", "detected_at"),
                on_conflict="DO UPDATE SET evidence = excluded.evidence, "
                            "meeting_date = excluded.meeting_date", timestamps=("detected_at",))


def delete_orphan_events(con: Con) -> int:
    """Events left without any mention (after a reprocess under new rules)."""
    orphans = [r[0] for r in con.execute(
        "SELECT event_id FROM events WHERE event_id NOT IN (SELECT event_id FROM event_mentions)"
    ).fetchall()]
    if orphans:
        con.execute(f"DELETE FROM event_participants WHERE event_id IN {IDS}", [id_list(orphans)])
        con.execute(f"DELETE FROM events WHERE event_id IN {IDS}", [id_list(orphans)])
    return len(orphans)


# ---- helpers ----------------------------------------------------------------------------------

def _date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def event_views(con: Con, event_ids: Sequence[str]) -> dict[str, EventView]:
    """Events with participants and every mention so far (for alert messages)."""
    if not event_ids:
        return {}
    wanted = set(event_ids)
    events = {e.event_id: e for e in load_events(con) if e.event_id in wanted}
    mentions: dict[str, list[MentionView]] = {}
    for r in query_dicts(
            con, "SELECT m.event_id, m.article_id, m.evidence, a.url, a.source_id, a.language, a.title "
                 "FROM event_mentions m JOIN articles a USING (article_id) "
                 f"WHERE m.event_id IN {IDS} "
                 "ORDER BY m.event_id, a.published_at NULLS LAST, a.article_id", [id_list(sorted(wanted))]):
        mentions.setdefault(r["event_id"], []).append(MentionView(
            article_id=r["article_id"], url=r["url"], source_id=r["source_id"], language=r["language"],
            title=r["title"] or "", evidence=r["evidence"]))
    return {eid: EventView(event=e, mentions=tuple(mentions.get(eid, ()))) for eid, e in events.items()}
