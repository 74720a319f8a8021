"""The `monitor` flow: one monitoring pass over sources.yaml into the warehouse, then alerts."""

from __future__ import annotations

from prefect import State, flow
from prefect.states import Failed

from flows import tasks
from flows.publish import publish
from flows.tasks import ref
from newswatch.errors import NewswatchError
from newswatch.pipeline import runner
from newswatch.pipeline.runner import Summary


@flow(name="monitor", flow_run_name="monitor-{sources}", log_prints=False, validate_parameters=False)
def monitor(sources: str = "sources.yaml", warehouse: str = "warehouse/news.duckdb",
            notify: list[str] | None = None, lock_timeout: float = 60.0,
            workers: int | None = None) -> Summary | State:
    """Fetch every enabled feed, store new articles, detect meetings, alert once per new meeting."""
    try:
        return _monitor(sources, warehouse, notify or [], lock_timeout, workers)
    except NewswatchError as exc:
        # Expected failures (locked warehouse, bad config) end the run as Failed with one line,
        # not a traceback; the CLI turns the exception into its exit code.
        return Failed(message=str(exc), data=exc)


def _monitor(sources: str, warehouse: str, notify: list[str], lock_timeout: float,
             workers: int | None) -> Summary:
    ctx = runner.open_run("monitor", sources=sources, warehouse=warehouse, notify=notify,
                          lock_timeout=lock_timeout, workers=workers)
    with ctx.warehouse.held():   # one connection for the run's many short transactions (see Warehouse)
        states = runner.feed_states(ctx)
        enabled = [s for s in ctx.config.sources if s.enabled]
        futures = [tasks.collect_source.submit(ref(ctx), s, states.get(s.id)) for s in enabled]
        for fut in futures:
            outcome = fut.result()
            ctx.counts["sources_fetched"] += outcome.feed_status in ("ok", "not_modified")
            ctx.counts["errors"] += outcome.errors
            ctx.failures.extend(outcome.messages)
        tasks.process_pending(ref(ctx))
        delivery = tasks.deliver_alerts(ref(ctx))
        ctx.counts["alerts_sent"] += delivery.sent
        ctx.counts["alerts_failed"] += delivery.failed
        ctx.failures.extend(delivery.errors)
        summary = runner.finish_run(ctx)
    publish(summary)
    return summary
