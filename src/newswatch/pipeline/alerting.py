"""Stage 3: deliver due outbox alerts after the events are committed, then record each outcome."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from newswatch.core.alerts import render
from newswatch.faults import checkpoint
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
    # Held: one connection across the sends (no reopen and log replay per alert); `pause()` still
    # gives the file up to other processes between sends once it has been held `hold_seconds`.
    with ctx.warehouse.held():
        return _deliver(ctx, out)


def _deliver(ctx: RunContext, out: DeliveryOutcome) -> DeliveryOutcome:
    now = ctx.clock()
    with ctx.warehouse.transaction() as con:
        due = outbox.due_alerts(con, list(ctx.channels), now)
        views = records.event_views(con, sorted({str(a["event_id"]) for a in due}))
    checkpoint("before-delivery")
    for alert in due:
        ctx.warehouse.pause()
        view = views.get(str(alert["event_id"]))
        if view is None:
            continue
        # alert_id in the payload lets a receiver drop the rare re-delivery after a crash mid-send.
        message = render(view)
        message = replace(message, payload={**message.payload, "alert_id": alert["alert_id"]})
        # The transaction that records the outcome is open before the send, so the outcome is
        # committed milliseconds after it: a crash can re-send at most the one alert in flight.
        with ctx.warehouse.transaction() as con:
            result = ctx.notifier.send(ctx.channels[str(alert["channel"])], message)
            checkpoint("alert-sent")
            outbox.record_delivery(con, [{**alert, "ok": result.ok, "error": result.error}], ctx.clock())
        if result.ok:
            out.sent += 1
        else:
            out.failed += 1
            out.errors.append(f"alert {alert['alert_id']} on {alert['channel']}: {result.error}")
    return out
