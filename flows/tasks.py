"""Prefect tasks: each wraps one pipeline stage in a few lines (per source, per processing pass)."""

from __future__ import annotations

from typing import Any, cast

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from newswatch.errors import TransientError
from newswatch.models import Source
from newswatch.pipeline import alerting, collect, runner
from newswatch.pipeline.context import RunContext


def ref(ctx: RunContext) -> RunContext:
    """Pass the run context to tasks by reference: Prefect must not walk (and copy) it as data, since
    tasks add their counts to it."""
    return cast(RunContext, quote(ctx))


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only what is worth retrying (timeouts, 5xx, 429); never config, lock or parse errors."""
    try:
        state.result()
    except TransientError:
        return True
    except Exception:
        return False
    return False


@task(name="collect", task_run_name="collect-{source.id}", cache_policy=NO_CACHE, retries=2,
      retry_delay_seconds=5, retry_condition_fn=_transient)
def collect_source(ctx: RunContext, source: Source, state: dict[str, Any] | None,
                   window: collect.Window | None = None) -> collect.SourceOutcome:
    """Fetch one feed and its new pages; store them raw."""
    return collect.collect_source(ctx, source, state, window)


@task(name="process", task_run_name="process-{ctx.flow}", cache_policy=NO_CACHE)
def process_pending(ctx: RunContext, reprocess: bool = False, progress: bool = False) -> dict[str, int]:
    """Extract, detect language, dedupe and detect meetings over every pending page."""
    bar = _progress(progress)
    runner.process_pending(ctx, reprocess=reprocess, on_batch=bar)
    return dict(ctx.counts)


@task(name="deliver-alerts", task_run_name="deliver-alerts-{ctx.run_id}", cache_policy=NO_CACHE)
def deliver_alerts(ctx: RunContext) -> alerting.DeliveryOutcome:
    """Send due outbox alerts (new ones and earlier failures)."""
    return alerting.deliver_due(ctx)


def _progress(enabled: bool) -> Any:
    """A callback printing progress to a terminal (stderr), or None."""
    if not enabled:
        return None
    import sys

    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        print(f"\rprocessed {done[0]} pages", end="", file=sys.stderr, flush=True)

    return tick


@task(name="ingest-dir", task_run_name="ingest-dir-{ctx.run_id}-{index}", cache_policy=NO_CACHE)
def ingest_dir(ctx: RunContext, files: list[Any], index: int, base_dir: str | None = None) -> int:
    """Store one batch of saved pages raw."""
    from pathlib import Path

    from newswatch.pipeline import backfill

    return backfill.ingest_dir(ctx, files, Path(base_dir) if base_dir else None)


@task(name="ingest-urls", task_run_name="ingest-urls-{ctx.run_id}-{index}", cache_policy=NO_CACHE,
      retries=1, retry_delay_seconds=5, retry_condition_fn=_transient)
def ingest_urls(ctx: RunContext, urls: list[str], index: int) -> int:
    """Fetch and store one batch of URLs."""
    from newswatch.pipeline import backfill

    return backfill.ingest_urls(ctx, urls)
