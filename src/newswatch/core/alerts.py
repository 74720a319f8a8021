"""Event -> alert message: a title, Markdown and plain-text bodies, and a structured JSON payload."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from newswatch.models import EventView, MentionView, Participant

ALERT_TYPE = "newswatch.meeting.detected"
EVIDENCE_MAX_CHARS = 400
FALLBACK_TITLE = "Iran–Iraq defense meeting"
# Month names are spelled out here rather than taken from strftime("%b"), which follows the locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_COUNTRIES = {"IR": "Iran", "IQ": "Iraq"}
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class AlertMessage:
    """One alert, ready for any channel: Markdown where supported, text otherwise, JSON for webhooks."""

    title: str
    markdown: str
    text: str
    payload: dict[str, Any]


def format_date(day: date) -> str:
    """15 Nov 2020, the same in every locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces."""
    return _SPACE.sub(" ", text).strip()


def trim(text: str, limit: int = EVIDENCE_MAX_CHARS) -> str:
    """One line, cut at a word boundary to at most `limit` characters (an ellipsis marks the cut)."""
    flat = one_line(text)
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:          # a very long word: cut inside it rather than lose half the text
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def render(view: EventView) -> AlertMessage:
    """The alert for one event. Deterministic: lists are sorted, nothing depends on the clock."""
    event = view.event
    title = one_line(event.title) or FALLBACK_TITLE
    if event.meeting_date is not None and format_date(event.meeting_date) not in title:
        title = f"{title} — {format_date(event.meeting_date)}"
    # Total sort keys, so that no input order can leak into the message.
    participants = sorted(event.participants,
                          key=lambda p: (p.country, p.name, p.role is not None, p.role or ""))
    mentions = sorted(view.mentions, key=lambda m: (m.source_id, m.url, m.article_id, m.language,
                                                    m.title, m.evidence))
    languages = sorted({m.language for m in mentions if m.language})
    sources = sorted({m.source_id for m in mentions if m.source_id})
    evidence = _lead_evidence(mentions)
    payload: dict[str, Any] = {
        "type": ALERT_TYPE,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "title": one_line(event.title),
        "meeting_date": event.meeting_date.isoformat() if event.meeting_date else None,
        "city": event.city,
        "host_country": event.host_country,
        "participants": [{"name": p.name, "country": p.country, "role": p.role}
                         for p in participants],
        "mentions": [{"article_id": m.article_id, "url": m.url, "source_id": m.source_id,
                      "language": m.language, "title": one_line(m.title),
                      "evidence": trim(m.evidence)} for m in mentions],
        "languages": languages,
        "sources": sources,
    }
    place = _place(event.city, event.host_country, event.meeting_date)
    return AlertMessage(
        title=title,
        markdown=_markdown(participants, place, evidence, mentions, languages),
        text=_text(participants, place, evidence, mentions, languages),
        payload=payload,
    )


def _lead_evidence(mentions: list[MentionView]) -> str:
    """The sentence shown in the body: an English report's if there is one (most readers read it),
    else the first report's in sort order."""
    with_evidence = [m for m in mentions if one_line(m.evidence)]
    if not with_evidence:
        return ""
    english = [m for m in with_evidence if m.language == "en"]
    return trim((english or with_evidence)[0].evidence)


def _who(p: Participant) -> str:
    country = _COUNTRIES.get(p.country, p.country)
    return f"{p.name} ({country}, {p.role})" if p.role else f"{p.name} ({country})"


def _place(city: str | None, host: str | None, day: date | None) -> str:
    where = city or "place unknown"
    if host:
        where += f", {_COUNTRIES.get(host, host)}"
    return f"{where} — {format_date(day) if day else 'date unknown'}"


def _md(text: str) -> str:
    """Feed text made inert in Markdown: one line, emphasis/code/link characters escaped, and
    &, <, > as entities (Markdown-to-HTML channels such as e-mail and Slack's mrkdwn both want that)."""
    flat = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]])", r"\\\1", flat)


def _link_target(url: str) -> str:
    """A URL that cannot end a Markdown link early."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _markdown(participants: list[Participant], place: str, evidence: str,
              mentions: list[MentionView], languages: list[str]) -> str:
    lines = ["**Participants**"]
    lines += [f"- {_md(_who(p))}" for p in participants] or ["- (not identified)"]
    lines += ["", f"**Where and when:** {_md(place)}"]
    if evidence:
        lines += ["", f"> {_md(evidence)}"]
    lines += ["", f"**Reports ({len(mentions)}) — languages: {', '.join(languages) or 'none'}**"]
    for m in mentions:
        label = _md(m.title) or _md(m.url) or m.article_id
        link = f"[{label}]({_link_target(m.url)})" if m.url else label
        lines.append(f"- {link} — {_md(m.source_id)}, {_md(m.language)}")
    return "\n".join(lines)


def _text(participants: list[Participant], place: str, evidence: str,
          mentions: list[MentionView], languages: list[str]) -> str:
    # The title is not repeated: Apprise sends it on its own or puts it above the body itself.
    lines = ["Participants:"]
    lines += [f"- {_who(p)}" for p in participants] or ["- (not identified)"]
    lines += ["", f"Where and when: {place}"]
    if evidence:
        lines += ["", f'Evidence: "{evidence}"']
    lines += ["", f"Reports ({len(mentions)}) — languages: {', '.join(languages) or 'none'}"]
    for m in mentions:
        lines.append(f"- {one_line(m.title) or m.article_id} ({m.source_id}, {m.language})")
        if m.url:
            lines.append(f"  {m.url}")
    return "\n".join(lines)
