"""Event merging: the mentions of one meeting (any outlet, language, announcement or look-back) become
one event, also across runs; meetings of the same officials on other dates stay separate."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from newswatch.core.meetings.dates import DAY_MONTH, EXPLICIT, INFERRED
from newswatch.core.meetings.detect import base_date
from newswatch.models import Detection, EventRecord, Participant

SIDES = ("IR", "IQ")
NAMES = {"IR": ("Iran", "Iranian"), "IQ": ("Iraq", "Iraqi")}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SAME_CITY_DAYS = 3       # same city, dates this close: one visit even if the reports name different people
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class MergeResult:
    new_events: tuple[EventRecord, ...]        # events created by these detections
    updated_events: tuple[EventRecord, ...]    # existing events whose fields/participants changed
    mentions: tuple[tuple[str, str, str], ...] # (event_id, article_id, evidence), one per detection


def event_id_for(article_id: str, salt: int = 0) -> str:
    key = article_id if salt == 0 else f"{article_id}#{salt}"
    return "ev_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _order(d: Detection) -> tuple[datetime, str]:
    p = d.published_at
    if p is None:
        return (_LATEST, d.article_id)
    return (p if p.tzinfo else p.replace(tzinfo=UTC), d.article_id)


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


@dataclass
class _Cluster:
    event_id: str
    original: EventRecord | None = None
    people: dict[tuple[str, str], tuple[Participant, int]] = field(default_factory=dict)
    dates: list[tuple[date, int]] = field(default_factory=list)
    spans: list[tuple[date, date]] = field(default_factory=list)    # plausible meeting days of undated mentions
    cities: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    visitors: list[str] = field(default_factory=list)
    first_seen: datetime | None = None
    detections: int = 0

    def names(self) -> set[str]:
        return {name for name, _ in self.people}

    def best_date(self) -> date | None:
        """Explicit dates beat inferred ones; of those, the first day (a visit's start)."""
        for floor in (DAY_MONTH, INFERRED):
            days = [d for d, p in self.dates if p >= floor]
            if days:
                return min(days)
        return None

    def city(self) -> str | None:
        if self.original is not None and self.original.city:
            return self.original.city
        return _majority(self.cities)

    def host(self) -> str | None:
        if self.original is not None and self.original.host_country:
            return self.original.host_country
        return _majority(self.hosts)

    def window(self, days: int) -> tuple[date, date] | None:
        best = self.best_date()
        if best is not None:
            return best, best
        if self.spans:
            return min(a for a, _ in self.spans), max(b for _, b in self.spans)
        return None


def _majority(values: list[str]) -> str | None:
    if not values:
        return None
    counts = Counter(values)
    # Most frequent; ties go to the one seen first.
    return max(values, key=lambda v: (counts[v], -values.index(v)))


def _mention_window(det: Detection, days: int) -> tuple[date, date] | None:
    """The days on which the meeting a detection reports may have taken place."""
    if det.meeting_date is not None:
        return det.meeting_date, det.meeting_date
    month = getattr(det, "approx_month", None)
    if month:
        y, m = month
        last = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1))
        return date(y, m, 1), last
    pub = base_date(det.published_at)
    if pub is None:
        return None
    # No date: an announcement (meeting soon after) or a report (meeting shortly before).
    return pub - timedelta(days=days), pub + timedelta(days=days)


def _gap(a: tuple[date, date] | None, b: tuple[date, date] | None) -> int | None:
    if a is None or b is None:
        return None
    if a[1] < b[0]:
        return (b[0] - a[1]).days
    if b[1] < a[0]:
        return (a[0] - b[1]).days
    return 0


def _match(det: Detection, c: _Cluster, days: int) -> tuple[int, int, int] | None:
    """How well a detection fits an event (higher tuple is better), or None if it cannot be it."""
    city = c.city()
    if det.city and city and det.city != city:
        return None
    host = c.host()
    if det.host_country and host and det.host_country != host:
        return None
    gap = _gap(_mention_window(det, days), c.window(days))
    overlap = len({p.name for p in det.participants} & c.names())
    if gap is None:
        # Neither publication date nor meeting date: only strong overlap links it.
        return (overlap, 0, -days) if overlap >= 2 else None
    if gap > days:
        return None
    same_city = int(bool(det.city and det.city == city))
    if overlap >= 1:
        return (overlap, same_city, -gap)
    if same_city:
        best = c.best_date()
        if not det.participants or not c.people:
            return (0, 1, -gap)
        if det.meeting_date and best and abs((det.meeting_date - best).days) <= SAME_CITY_DAYS:
            return (0, 1, -gap)
    return None


class _Index:
    """Clusters by participant name and by city. `_match` accepts a cluster only when it shares a
    participant with the detection or has its city (two participants for an undated detection), so
    no other cluster is scored: a batch's merge costs what its detections can join, not the whole
    history of events."""

    def __init__(self) -> None:
        self.by_name: dict[str, set[int]] = {}
        self.by_city: dict[str, set[int]] = {}

    def add(self, i: int, c: _Cluster) -> None:
        """(Re-)index cluster i under every name and city it has had (a superset of its current ones)."""
        for name in c.names():
            self.by_name.setdefault(name, set()).add(i)
        for city in {*c.cities, *([c.original.city] if c.original is not None and c.original.city else [])}:
            self.by_city.setdefault(city, set()).add(i)

    def candidates(self, det: Detection, days: int) -> list[int]:
        """The clusters `_match` may accept for det, in cluster order."""
        names = {p.name for p in det.participants}
        if _mention_window(det, days) is None:   # undated: only two shared participants link it
            shared = Counter(i for name in names for i in self.by_name.get(name, ()))
            return sorted(i for i, n in shared.items() if n >= 2)
        found: set[int] = set(self.by_city.get(det.city, ())) if det.city else set()
        for name in names:
            found.update(self.by_name.get(name, ()))
        return sorted(found)


def merge_events(detections: Sequence[Detection], existing: Sequence[EventRecord], *,
                 window_days: int = 10) -> MergeResult:
    """Assign each detection to an existing or new event. Deterministic whatever the input order:
    detections are taken by (publication time, article id); a new event's id hashes the article id
    of the detection that created it."""
    clusters: list[_Cluster] = []
    for ev in sorted(existing, key=lambda e: e.event_id):
        c = _Cluster(event_id=ev.event_id, original=ev, first_seen=ev.first_seen_at)
        for p in ev.participants:
            c.people.setdefault((p.name, p.country), (p, 100))
        d = _as_date(ev.meeting_date)
        if d is not None:
            c.dates.append((d, EXPLICIT))
        elif ev.first_seen_at is not None:
            seen = ev.first_seen_at.date()
            c.spans.append((seen - timedelta(days=window_days), seen + timedelta(days=window_days)))
        clusters.append(c)
    taken = {c.event_id for c in clusters}
    index = _Index()
    for i, c in enumerate(clusters):
        index.add(i, c)
    mentions: list[tuple[str, str, str]] = []
    for det in sorted(detections, key=_order):
        scored = [(m, -i) for i in index.candidates(det, window_days)
                  if (m := _match(det, clusters[i], window_days)) is not None]
        if scored:
            _, neg_i = max(scored)
            target_i = -neg_i
        else:
            salt = 0
            while event_id_for(det.article_id, salt) in taken:
                salt += 1
            event_id = event_id_for(det.article_id, salt)
            taken.add(event_id)
            target_i = len(clusters)
            clusters.append(_Cluster(event_id=event_id))
        target = clusters[target_i]
        _add(target, det, window_days)
        index.add(target_i, target)
        mentions.append((target.event_id, det.article_id, det.evidence))

    new: list[EventRecord] = []
    updated: list[EventRecord] = []
    for c in clusters:
        if c.detections == 0:
            continue
        record = _record(c)
        if c.original is None:
            new.append(record)
        elif _changed(c.original, record):
            updated.append(record)
    return MergeResult(tuple(new), tuple(updated), tuple(mentions))


def _add(c: _Cluster, det: Detection, days: int) -> None:
    ranks = getattr(det, "ranks", ())
    for i, p in enumerate(det.participants):
        rank = ranks[i] if i < len(ranks) else 50 + i
        key = (p.name, p.country)
        if key in c.people:
            old, old_rank = c.people[key]
            c.people[key] = (old if old.role else p, min(old_rank, rank))
        else:
            c.people[key] = (p, rank)
    if det.meeting_date is not None:
        precision = getattr(det, "date_precision", 0) or DAY_MONTH
        c.dates.append((det.meeting_date, precision))
    else:
        span = _mention_window(det, days)
        if span is not None:
            c.spans.append(span)
    if det.city:
        c.cities.append(det.city)
    if det.host_country:
        c.hosts.append(det.host_country)
    if det.visitor_country:
        c.visitors.append(det.visitor_country)
    if c.first_seen is None and c.original is None:
        c.first_seen = det.published_at
    c.detections += 1


def _record(c: _Cluster) -> EventRecord:
    people = sorted(c.people.values(), key=lambda pr: (pr[0].country, pr[0].name, pr[0].role or ""))
    participants = tuple(p for p, _ in people)
    meeting_date = c.best_date()
    city, host = c.city(), c.host()
    visitor = _majority(c.visitors) or (next((s for s in SIDES if s != host), None) if host in SIDES else None)
    o = c.original
    if (o is not None and o.participants == participants and _as_date(o.meeting_date) == meeting_date
            and o.city == city and o.host_country == host):
        title = o.title   # nothing changed: keep the stored headline
    else:
        title = make_title(list(c.people.values()), meeting_date, city, host, visitor)
    return EventRecord(event_id=c.event_id, meeting_date=meeting_date, city=city, host_country=host,
                       title=title, participants=participants,
                       first_seen_at=o.first_seen_at if o is not None else c.first_seen,
                       event_type=o.event_type if o is not None else "iran_iraq_defense_meeting")


def _changed(old: EventRecord, new: EventRecord) -> bool:
    return (old.participants != new.participants or _as_date(old.meeting_date) != new.meeting_date
            or old.city != new.city or old.host_country != new.host_country or old.title != new.title)


def _short(name: str) -> str:
    return name.split()[-1] if name.split() else name


def _lead(people: list[tuple[Participant, int]], country: str) -> Participant | None:
    side = [(rank, p.name, p) for p, rank in people if p.country == country]
    return min(side)[2] if side else None


def make_title(people: list[tuple[Participant, int]], day: date | None, city: str | None,
               host: str | None, visitor: str | None) -> str:
    """A readable English headline, e.g. "Iraqi defense minister Inad meets Iran's Hatami in Tehran —
    14 Nov 2020". Built only from the event's fields, so it is deterministic."""
    where = f" in {city}" if city else ""
    if host in SIDES and visitor in SIDES:
        v, h = _lead(people, visitor), _lead(people, host)
        vadj, hname = NAMES[visitor][1], NAMES[host][0]
        if v and h:
            text = f"{vadj} {v.role or 'official'} {_short(v.name)} meets {hname}'s {_short(h.name)}{where}"
        elif v:
            text = f"{vadj} {v.role or 'official'} {_short(v.name)} visits {city or hname}"
        elif h:
            text = f"{hname}'s {h.role or 'official'} {_short(h.name)} receives {vadj} delegation{where}"
        else:
            text = f"{vadj} delegation visits {city or hname}"
    else:
        ir, iq = _lead(people, "IR"), _lead(people, "IQ")
        if ir and iq:
            text = (f"Iranian {ir.role or 'official'} {_short(ir.name)} meets Iraqi "
                    f"{iq.role or 'official'} {_short(iq.name)}{where}")
        else:
            text = f"Iran–Iraq defense meeting{where}"
    if day is not None:
        text += f" — {day.day} {_MONTHS[day.month - 1]} {day.year}"
    return text
