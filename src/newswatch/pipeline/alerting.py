"""Stage 3: deliver due outbox alerts after the events are committed, then record each outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from newswatch.core.alerts import render
from newswatch.io import outbox, records
from newswatch.pipeline.context import RunContext


@dataclass
class DeliveryOutcome:
    """What one delivery round did."""

    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def deliver_due(ctx: RunContext) -> DeliveryOutcome:
    """Send every pending/failed alert whose back-off has passed, on the channels of this run."""
    out = DeliveryOutcome()
    if not ctx.channels:
        return out
    now = ctx.clock()
    with ctx.warehouse.transaction() as con:
        due = outbox.due_alerts(con, list(ctx.channels), now)
        views = records.event_views(con, sorted({str(a["event_id"]) for a in due}))
    results = []
    for alert in due:
        view = views.get(str(alert["event_id"]))
        if view is None:
            continue
        result = ctx.notifier.send(ctx.channels[str(alert["channel"])], render(view))
        results.append({**alert, "ok": result.ok, "error": result.error})
        if result.ok:
            out.sent += 1
        else:
            out.failed += 1
            out.errors.append(f"alert {alert['alert_id']} on {alert['channel']}: {result.error}")
    if results:
        with ctx.warehouse.transaction() as con:
            outbox.record_delivery(con, results, ctx.clock())
    return out
