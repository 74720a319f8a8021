"""Small frozen dataclasses passed between the stages of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Settings:
    """Global settings from the `settings:` block of sources.yaml."""

    allow_private_hosts: bool = False
    timeout_s: float = 20.0
    max_bytes: int = 5_000_000
    user_agent: str = "newswatch/0.1 (+https://github.com/newswatch)"
    max_connections: int = 8          # concurrent page fetches in all
    per_host: int = 2                 # concurrent fetches to one host
    retries: int = 2                  # extra attempts for transient errors
    backoff_s: float = 0.5            # first back-off; doubles each attempt
    max_retry_after_s: float = 30.0   # a server's Retry-After is honoured up to this
    workers: int = 2                  # extraction processes, the run's own included
    hold_s: float = 10.0              # a run keeps the warehouse open across batches this long; 0: never
    backfill_write_rows: int = 4096   # a backfill writes its articles this many at a time; 0: every batch


@dataclass(frozen=True)
class Source:
    """One feed from sources.yaml. `url` is absolute: http(s):// or file://."""

    id: str
    url: str
    language: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class Config:
    """A validated sources.yaml."""

    path: str
    settings: Settings
    sources: tuple[Source, ...]
    notify_env: tuple[str, ...] = ()   # names of environment variables holding Apprise URLs


@dataclass(frozen=True)
class FetchResult:
    """What one fetch gave: bytes on success, a reason otherwise. Never raises for HTTP errors."""

    url: str
    final_url: str
    status: str                        # ok | not_modified | error | refused
    http_status: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    attempts: int = 1
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a parsed feed; `link` is absolute (resolved against the feed URL)."""

    link: str
    title: str | None = None
    published: datetime | None = None  # UTC, naive-free (tz-aware)
    summary: str | None = None
    guid: str | None = None


@dataclass(frozen=True)
class Extracted:
    """Text and metadata of one page (trafilatura, one pass)."""

    text: str
    title: str | None = None
    author: str | None = None
    date: datetime | None = None       # UTC
    sitename: str | None = None
    canonical_url: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Participant:
    """One official at a meeting: canonical Latin-script name, IR/IQ, role."""

    name: str
    country: str
    role: str | None = None


@dataclass(frozen=True)
class MeetingInput:
    """What the meeting watch reads from one stored article."""

    article_id: str
    title: str
    text: str
    language: str
    published_at: datetime | None
    url: str = ""
    source_id: str = ""


@dataclass(frozen=True)
class Detection:
    """One article's report of an Iran-Iraq defense meeting."""

    article_id: str
    participants: tuple[Participant, ...]
    evidence: str
    city: str | None = None
    host_country: str | None = None      # where it took place: IR, IQ or another ISO code
    visitor_country: str | None = None
    meeting_date: date | None = None
    score: float = 0.0
    published_at: datetime | None = None


@dataclass(frozen=True)
class EventRecord:
    """An event as stored (or about to be stored) in the warehouse."""

    event_id: str
    meeting_date: date | None
    city: str | None
    host_country: str | None
    title: str
    participants: tuple[Participant, ...] = ()
    first_seen_at: datetime | None = None
    event_type: str = "iran_iraq_defense_meeting"


@dataclass(frozen=True)
class MentionView:
    """One report of an event, as shown in an alert."""

    article_id: str
    url: str
    source_id: str
    language: str
    title: str
    evidence: str


@dataclass(frozen=True)
class EventView:
    """An event with its participants and mentions, as rendered in alerts."""

    event: EventRecord
    mentions: tuple[MentionView, ...] = field(default_factory=tuple)
