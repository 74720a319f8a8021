"""What a run leaves in Prefect: one Markdown artifact, and one custom event per new meeting."""

from __future__ import annotations

from prefect.artifacts import create_markdown_artifact
from prefect.events import emit_event

from newswatch.pipeline.runner import Summary

EVENT_NAME = "newswatch.meeting.detected"


def summary_markdown(summary: Summary) -> str:
    c = summary.counts
    lines = [
        f"# newswatch {summary.flow} run `{summary.run_id}`: {summary.status}",
        "",
        "| sources fetched | new articles | duplicates | new meetings | alerts sent | alerts failed "
        "| errors |",
        "|---|---|---|---|---|---|---|",
        f"| {c.get('sources_fetched', 0)} | {c.get('articles_new', 0)} | {c.get('duplicates', 0)} | "
        f"{c.get('events_new', 0)} | {c.get('alerts_sent', 0)} | {c.get('alerts_failed', 0)} | "
        f"{c.get('errors', 0)} |",
    ]
    if summary.events:
        lines += ["", "## New meetings", ""]
        lines += [f"- **{e['title']}** ({e['meeting_date'] or 'date unknown'}, "
                  f"{e['city'] or 'city unknown'}) — `{e['event_id']}`, {e['mentions']} report(s)"
                  for e in summary.events]
    if summary.failures:
        lines += ["", f"## Failures ({len(summary.failures)})", ""]
        lines += [f"- {f}" for f in summary.failures[:50]]
        if len(summary.failures) > 50:
            lines.append(f"- … and {len(summary.failures) - 50} more (see the fetch_log table)")
    return "\n".join(lines) + "\n"


def publish(summary: Summary) -> None:
    """Emit the run's artifact and events (redacted data only: no channel URLs ever)."""
    create_markdown_artifact(key=f"newswatch-{summary.flow}-summary", markdown=summary_markdown(summary),
                             description=f"newswatch {summary.flow} run {summary.run_id}")
    for e in summary.events:
        emit_event(event=EVENT_NAME,
                   resource={"prefect.resource.id": f"newswatch.event.{e['event_id']}",
                             "prefect.resource.name": e["title"]},
                   payload={k: e[k] for k in ("event_id", "title", "meeting_date", "city", "mentions")})
