"""The `backfill` flow: feeds by date range, a folder of saved pages, a URL list, or a reprocess."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import State, flow
from prefect.states import Failed

from flows import tasks
from flows.publish import publish
from flows.tasks import ref
from newswatch.errors import NewswatchError
from newswatch.pipeline import backfill as bf
from newswatch.pipeline import runner
from newswatch.pipeline.collect import Window
from newswatch.pipeline.context import RunContext
from newswatch.pipeline.runner import Summary


@flow(name="backfill", flow_run_name="backfill-{mode}", validate_parameters=False)
def backfill(mode: str = "feeds", sources: str = "sources.yaml", warehouse: str = "warehouse/news.duckdb",
             since: datetime | None = None, until: datetime | None = None, from_dir: str | None = None,
             urls: str | None = None, notify: list[str] | None = None, notify_backfill: bool = False,
             lock_timeout: float = 60.0, workers: int | None = None, progress: bool = False) -> Summary | State:
    """A one-off backfill. Records meetings; alerts only with notify_backfill (else rows say suppressed)."""
    try:
        return _backfill(mode, sources, warehouse, since, until, from_dir, urls, notify or [], notify_backfill,
                         lock_timeout, workers, progress)
    except NewswatchError as exc:
        return Failed(message=str(exc), data=exc)   # one line, no traceback; the CLI maps the exit code


def _backfill(mode: str, sources: str, warehouse: str, since: datetime | None, until: datetime | None,
              from_dir: str | None, urls: str | None, notify: list[str], notify_backfill: bool,
              lock_timeout: float, workers: int | None, progress: bool) -> Summary:
    ctx = runner.open_run("backfill", sources=sources, warehouse=warehouse, notify=notify,
                          lock_timeout=lock_timeout, workers=workers,
                          alerts_status="pending" if notify_backfill else "suppressed",
                          params={"mode": mode, "since": since, "until": until, "from_dir": from_dir,
                                  "urls": urls, "notify_backfill": notify_backfill})
    with ctx.warehouse.held():   # one connection for the run's many short transactions
        if mode == "feeds":
            window = Window(since=since, until=until)
            futures = [tasks.collect_source.submit(ref(ctx), s, None, window)
                       for s in ctx.config.sources if s.enabled]
            for fut in futures:
                outcome = fut.result()
                ctx.counts["sources_fetched"] += outcome.feed_status in ("ok", "not_modified")
                ctx.counts["errors"] += outcome.errors
                ctx.failures.extend(outcome.messages)
            tasks.process_pending(ref(ctx), progress=progress)
        elif mode == "dir":
            root = Path(str(from_dir)).resolve()
            files = bf.list_pages(root)
            _stream(ctx, files, lambda c, batch, i: tasks.ingest_dir(c, batch, i, base_dir=str(root)), progress)
        elif mode == "urls":
            _stream(ctx, bf.read_url_list(Path(str(urls))), tasks.ingest_urls, progress)
        elif mode == "reprocess":
            tasks.process_pending(ref(ctx), reprocess=True, progress=progress)
        else:
            raise ValueError(f"unknown backfill mode {mode!r}")
        if notify_backfill:
            delivery = tasks.deliver_alerts(ref(ctx))
            ctx.counts["alerts_sent"] += delivery.sent
            ctx.counts["alerts_failed"] += delivery.failed
            ctx.failures.extend(delivery.errors)
        summary = runner.finish_run(ctx)
    publish(summary)
    return summary


def _stream(ctx: RunContext, items: Sequence[Any], ingest: Any, progress: bool) -> None:
    """runner.stream with Prefect tasks for the ingesting, and a progress line on a terminal."""
    total = len(items)
    done = [0]

    def show(n: int) -> None:
        done[0] += n
        pct = 100 * done[0] // max(total, 1)
        print(f"\rbackfill: {done[0]}/{total} pages ({pct}%), {ctx.counts['articles_new']} new articles",
              end="", file=sys.stderr, flush=True)

    runner.stream(ctx, items, lambda batch, index: ingest(ref(ctx), batch, index), show if progress else None)
    if progress:
        print(file=sys.stderr)
