"""Open a run, drive its stages, close it: the composition root shared by the flows and the benchmarks."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from newswatch.config import load_config
from newswatch.faults import checkpoint
from newswatch.io import records
from newswatch.io.http import HttpFetcher
from newswatch.io.notify import AppriseNotifier, Notifier, channel_id, resolve_channels, validate_channel
from newswatch.io.warehouse import Warehouse
from newswatch.models import Config
from newswatch.pipeline.context import RunContext, new_run_id, parameters_json, utcnow
from newswatch.pipeline.process import PageProcessor
from newswatch.pipeline.store import store_batch

BATCH_SIZE = 200   # pages per batch handed to the workers (and per write transaction of a monitor run)


@dataclass
class Summary:
    """What a run did: printed by the CLI, stored in `runs`, published as an artifact."""

    run_id: str
    flow: str
    status: str = "ok"
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    new_event_ids: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1


def channels_for(config: Config, notify: Sequence[str], env: Mapping[str, str]) -> dict[str, str]:
    """Channel id (secret-free) -> Apprise URL, validated."""
    urls = resolve_channels(list(notify), env, config.notify_env)
    for url in urls:
        validate_channel(url)
    return {channel_id(u): u for u in urls}


def open_run(flow: str, *, sources: str | Path, warehouse: str | Path, notify: Sequence[str] = (),
             lock_timeout: float = 60.0, workers: int | None = None, alerts_status: str = "pending",
             notifier: Notifier | None = None, clock: Callable[[], datetime] = utcnow,
             fetcher: Any = None, env: Mapping[str, str] | None = None,
             params: Mapping[str, object] | None = None) -> RunContext:
    """Validate config and channels, migrate the warehouse and record the run as started."""
    config = load_config(sources)
    channels = channels_for(config, notify, os.environ if env is None else env)
    wh = Warehouse(warehouse, lock_timeout=lock_timeout, hold_seconds=config.settings.hold_s)
    now = clock()
    ctx = RunContext(config=config, warehouse=wh, fetcher=fetcher or HttpFetcher(config.settings),
                     notifier=notifier or AppriseNotifier(), channels=channels, flow=flow,
                     run_id=new_run_id(flow, now), clock=clock, alerts_status=alerts_status,
                     workers=workers if workers is not None else config.settings.workers)
    wh.migrate()
    with wh.transaction() as con:
        records.start_run(con, ctx.run_id, flow, now, parameters_json(
            sources=str(sources), warehouse=str(warehouse), channels=sorted(channels), **(params or {})))
    return ctx


def feed_states(ctx: RunContext) -> dict[str, dict[str, Any]]:
    with ctx.warehouse.transaction() as con:
        return records.feed_states(con)


def process_pending(ctx: RunContext, *, reprocess: bool = False, batch_size: int = BATCH_SIZE,
                    write_rows: int | None = None, on_batch: Callable[[int], None] | None = None,
                    feed: Callable[[], bool] | None = None) -> None:
    """Turn every pending page into articles/events, batch by batch, until none is left.

    Pipelined: the next batch goes to the worker pool before this process writes the last one, so
    the spawned workers extract while the run writes. Processed batches are written together once
    they hold `write_rows` articles (default: `settings.backfill_write_rows` for a backfill, every
    batch for a monitor run), and at the end. `feed()`, when given, stores more pages (a streamed
    backfill's next chunk) and says whether it did; it is called while the workers extract, and
    again whenever nothing is pending, until it returns False."""
    if write_rows is None:
        write_rows = ctx.config.settings.backfill_write_rows if ctx.flow == "backfill" else 0
    if reprocess:
        with ctx.warehouse.transaction() as con:
            records.reset_pages_for_reprocess(con)
    run = ctx.processor
    if run is None:   # one warm pool for the whole run, closed by finish_run
        run = ctx.processor = PageProcessor(ctx.workers)
    fed = feed is not None
    with ctx.warehouse.held():
        held_ids: list[str] = []           # pages processed, not written yet: still pending, so left out
        held: list[dict[str, Any]] = []    # their results
        articles = 0
        while True:
            with ctx.warehouse.transaction() as con:
                batch = records.pending_pages(con, batch_size, held_ids)
            handle = run.submit(batch) if batch else None
            # A full group, or the last: one transaction (pages that gave no article count once more,
            # bounding what is held when most of a backfill fails).
            if held and (handle is None or articles >= write_rows or len(held) >= 2 * write_rows):
                _write(ctx, held, reprocess, on_batch)
                held_ids, held, articles = [], [], 0
            if fed and feed is not None:
                ctx.warehouse.pause()   # reading files or fetching URLs needs no warehouse
                fed = feed()
            if handle is None:
                if fed:
                    continue
                break
            ctx.warehouse.pause()   # extraction needs no warehouse: others may take their turn
            results = run.results(handle)
            held_ids.extend(p["page_id"] for p in batch)
            held.extend(results)
            articles += sum(1 for r in results if "article" in r)
    if reprocess:
        with ctx.warehouse.transaction() as con:
            ctx.counts["events_removed"] += records.delete_orphan_events(con)


def _write(ctx: RunContext, results: list[dict[str, Any]], reprocess: bool,
           on_batch: Callable[[int], None] | None) -> None:
    """Store processed batches in one transaction and count them."""
    outcome = store_batch(ctx, results, reprocess=reprocess)
    checkpoint("batch-committed")
    # A reprocess rewrites stored articles: they are not new, and the summary says so.
    ctx.counts["articles_reprocessed" if reprocess else "articles_new"] += outcome.articles_new
    ctx.counts["duplicates"] += outcome.duplicates
    ctx.counts["events_new"] += outcome.events_new
    ctx.counts["pages_failed"] += outcome.failed
    if on_batch is not None:
        on_batch(len(results))


INGEST_BATCH = 200   # saved pages or URLs stored, then processed, per step of a streamed backfill


def stream(ctx: RunContext, items: Sequence[Any], ingest: Callable[[list[Any], int], int],
           on_batch: Callable[[int], None] | None = None, batch_size: int = INGEST_BATCH) -> None:
    """Ingest and process chunk by chunk on one held connection: memory stays bounded, an interrupted
    run resumes, and the next chunk is read or fetched while the workers extract the last one.
    `ingest(chunk, index)` stores a chunk raw and returns the pages stored; `on_batch(n)` follows
    each chunk stored."""
    starts = iter(enumerate(range(0, len(items), batch_size)))

    def feed() -> bool:
        index, start = next(starts, (-1, -1))
        if start < 0:
            return False
        chunk = list(items[start:start + batch_size])
        ctx.counts["pages_stored"] += ingest(chunk, index)
        if on_batch is not None:
            on_batch(len(chunk))
        return True

    process_pending(ctx, feed=feed)


def finish_run(ctx: RunContext) -> Summary:
    """Record the run's end and counts; the status is partial when any source, page or alert failed."""
    if ctx.processor is not None:
        ctx.processor.close()
        ctx.processor = None
    failed = ctx.counts["errors"] + ctx.counts["pages_failed"] + ctx.counts["alerts_failed"]
    status = "partial" if failed else "ok"
    ctx.counts["errors"] = failed
    with ctx.warehouse.transaction() as con:
        records.finish_run(con, ctx.run_id, ctx.clock(), status, ctx.counts)
        events = records.event_views(con, ctx.new_event_ids)
    ctx.warehouse.checkpoint_if_long()
    return Summary(run_id=ctx.run_id, flow=ctx.flow, status=status, counts=dict(ctx.counts),
                   failures=list(ctx.failures), new_event_ids=list(ctx.new_event_ids),
                   events=[{"event_id": v.event.event_id, "title": v.event.title,
                            "meeting_date": str(v.event.meeting_date or ""), "city": v.event.city,
                            "mentions": len(v.mentions)} for v in events.values()])
