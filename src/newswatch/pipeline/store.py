"""Stage 2, the writing part: one transaction per batch stores articles, stories, events and outbox rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from newswatch.core.dedupe import DedupeItem, assign_stories
from newswatch.core.meetings import merge_events
from newswatch.io import outbox, records, stories
from newswatch.io.warehouse import to_utc_naive
from newswatch.models import Detection
from newswatch.pipeline.context import RunContext


@dataclass
class BatchOutcome:
    """Counts of one stored batch."""

    articles_new: int = 0
    duplicates: int = 0
    failed: int = 0
    events_new: int = 0
    mentions: int = 0


def _order_key(article: dict[str, Any]) -> tuple[str, str]:
    """Earliest first (publication, else fetch time; naive UTC ISO so text order is time order)."""
    when = to_utc_naive(article.get("published_at") or article.get("fetched_at"))
    return (when.isoformat() if when else "9999", article["article_id"])


def store_batch(ctx: RunContext, results: Sequence[dict[str, Any]], *,
                reprocess: bool = False) -> BatchOutcome:
    """Dedupe against the warehouse and write the batch; events and their alerts in the same commit."""
    out = BatchOutcome()
    now = ctx.clock()
    page_updates: list[dict[str, Any]] = []
    ok = [r for r in results if "article" in r]
    for r in results:
        if "error" in r:
            out.failed += 1
            page_updates.append({"page_id": r["page_id"], "status": "failed", "error": r["error"]})
            ctx.failures.append(f"page {r['page_id']}: {r['error']}")
    with ctx.warehouse.transaction() as con:
        ids = [r["article"]["article_id"] for r in ok]
        if reprocess:
            records.delete_derived(con, ids)
        existing = records.existing_article_ids(con, ids)
        fresh: list[dict[str, Any]] = []
        seen: set[str] = set()
        for r in sorted(ok, key=lambda r: _order_key(r["article"])):
            aid = r["article"]["article_id"]
            if aid in existing or aid in seen:   # the same article under another link
                out.duplicates += 1
                page_updates.append({"page_id": r["page_id"], "status": "duplicate_url", "article_id": aid})
                continue
            seen.add(aid)
            fresh.append(r)
            page_updates.append({"page_id": r["page_id"], "status": "processed", "article_id": aid})
        items = [DedupeItem(article_id=r["article"]["article_id"], content_hash=r["article"]["content_hash"],
                            signature=r["signature"], order_key=_order_key(r["article"])) for r in fresh]
        assignments = assign_stories(items, stories.lookup_candidates(con, items))
        rows = []
        for r, a in zip(fresh, assignments, strict=True):
            rows.append({**r["article"], "story_id": a.story_id, "duplicate_of": a.duplicate_of,
                         "similarity": a.similarity, "run_id": ctx.run_id})
            if a.duplicate_of is not None:
                out.duplicates += 1
        out.articles_new = records.insert_articles(con, rows)
        stories.store_signatures(con, items, assignments)
        detections: list[Detection] = [r["detection"] for r in fresh if r.get("detection") is not None]
        if detections:
            _store_events(ctx, con, detections, now, out, reprocess=reprocess)
        records.mark_pages(con, page_updates)
    return out


def _store_events(ctx: RunContext, con: Any, detections: Sequence[Detection], now: Any,
                  out: BatchOutcome, *, reprocess: bool = False) -> None:
    stored = records.load_events(con)
    known = {e.event_id for e in stored}
    if reprocess:
        # Rebuild events from what the current rules detect: a stored event absorbs detections only
        # once this run has rebuilt it, so an official or city the rules no longer find is dropped and
        # the result equals a fresh run (same ids, which hash the first article). first_seen_at and
        # the alerts of an event found again are kept; events no longer found are removed at the end.
        stored = [e for e in stored if e.event_id in ctx.rebuilt_events]
    merged = merge_events(detections, stored)
    found_again = [e for e in merged.new_events if e.event_id in known]
    new = [e.__class__(**{**e.__dict__, "first_seen_at": now}) for e in merged.new_events
           if e.event_id not in known]
    ctx.rebuilt_events.update(eid for eid, _, _ in merged.mentions)
    by_article = {d.article_id: d for d in detections}
    visitor: dict[str, str | None] = {}
    for event_id, article_id, _ in merged.mentions:
        visitor.setdefault(event_id, by_article[article_id].visitor_country)
    records.upsert_events(con, [*new, *found_again, *merged.updated_events], visitor=visitor, now=now,
                          run_id=ctx.run_id)
    records.insert_mentions(con, [
        {"event_id": eid, "article_id": aid, "evidence": ev, "meeting_date": by_article[aid].meeting_date,
         "detected_at": now} for eid, aid, ev in merged.mentions])
    new_ids = [e.event_id for e in new]
    outbox.create_alerts(con, new_ids, sorted(ctx.channels), status=ctx.alerts_status, now=now,
                         run_id=ctx.run_id)
    out.events_new += len(new_ids)
    out.mentions += len(merged.mentions)
    ctx.new_event_ids.extend(new_ids)
