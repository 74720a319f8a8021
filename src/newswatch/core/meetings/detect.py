"""Detection: is an article a report of an Iran-Iraq defense meeting, with which evidence, who,
where and when. Pure and deterministic; every step is explained in cues.yaml and roles.yaml."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from newswatch.core.meetings.dates import DAY_MONTH, INFERRED, MONTH, DateMention, find_dates
from newswatch.core.meetings.gazetteer import (
    GRACE_DAYS,
    Actor,
    Span,
    build_actors,
    is_locative,
    is_origin,
    named_near,
    resolve_names,
)
from newswatch.core.meetings.places import find_venue
from newswatch.core.meetings.text import guess_language, normalize, normalize_lines, split_sentences
from newswatch.core.meetings.watch import SIDES, Official, Watch
from newswatch.models import Detection, MeetingInput, Participant

# Cheap gates before the real work. 1: an Iran-ish or Iraq-ish word in the raw text (one regex; most
# news fails here). 2: after the one matcher pass, something of each side (a country word, a city or
# an official): an Iraqi ministry writes "the defense minister arrived in Tehran" without "Iraq".
# One case-sensitive regex over the lower-cased text: 4x faster than IGNORECASE alternatives.
_EITHER = re.compile(r"ir[aá]n|ira[kq]|t[eé]h[eé]?r[aá]n|bagh?dad|إيران|ايران|ایران|طهران|تهران|عراق|بغداد")
REGION_TZ = timezone(timedelta(hours=3))   # Baghdad time (Tehran is +3:30): publication dates resolve here
NEAR_DAYS = 45           # dates this close to publication are the meeting; farther ones are look-backs
MAX_EVIDENCE = 3
SUPPORT_REACH = 2        # sentences this close to evidence may add names and dates ("On Saturday, he met...")


@dataclass(frozen=True)
class MeetingDetection(Detection):
    """A Detection with what merging needs beyond the shared model: how well the date is supported,
    a month for look-backs that give no day, and each participant's rank (for event titles)."""

    date_precision: int = 0                         # dates.EXPLICIT .. MONTH, 0 = no date
    approx_month: tuple[int, int] | None = None     # (year, month) when only a month is known
    ranks: tuple[int, ...] = ()                     # parallel to participants; lower = more senior


def base_date(published_at: datetime | None) -> date | None:
    """The publication day in the region's time (an article stamped 22:00 UTC is already tomorrow)."""
    if published_at is None:
        return None
    if published_at.tzinfo is None:
        return published_at.date()
    return published_at.astimezone(REGION_TZ).date()


def prefilter(title: str, text: str) -> bool:
    return bool(_EITHER.search(title.lower()) or _EITHER.search(text.lower()))


def _both_sides(spans: Sequence[Span], watch: Watch) -> bool:
    seen: set[str] = set()
    for s in spans:
        if s.kind == "cty" or (s.kind == "role" and s.b):
            seen.add(s.a if s.kind == "cty" else s.b)
        elif s.kind == "place":
            seen.add(watch.places[s.a].country)
        elif s.kind == "off":
            seen.add(watch.officials[s.a].country)
    return set(SIDES) <= seen


@dataclass
class _Doc:
    raws: list[str]
    tokens: list[list[str]]
    spans: list[Span]


def _analyse(doc: MeetingInput, watch: Watch) -> _Doc:
    raws = split_sentences(doc.text)
    title = " ".join(doc.title.split())
    if title and not (raws and normalize(raws[0]).startswith(normalize(title))):
        raws.insert(0, title)
    norms = normalize_lines(raws)
    tokens = [n.split(" ") if n else [] for n in norms]
    text = "\n".join(norms)
    sent_starts: list[int] = []
    tok_starts: list[list[int]] = []
    pos = 0
    for n, toks in zip(norms, tokens, strict=True):
        sent_starts.append(pos)
        offs, p = [], 0
        for t in toks:
            offs.append(p)
            p += len(t) + 1
        tok_starts.append(offs)
        pos += len(n) + 1
    spans: list[Span] = []
    for h in watch.matcher.finditer(text):
        sent = bisect.bisect_right(sent_starts, h.start) - 1
        local = h.start - sent_starts[sent]
        offs = tok_starts[sent]
        t0 = bisect.bisect_right(offs, local) - 1
        t1 = bisect.bisect_left(offs, h.end - sent_starts[sent] + 1)
        for kind, a, b in h.payloads:
            spans.append(Span(sent, t0, t1, h.term, kind, a, b, h.clitic))
    return _Doc(raws, tokens, spans)


@dataclass
class _Sentence:
    cues: set[str]
    topic: bool
    actors: list[Actor]
    places: set[str]          # countries of the places (not origins) named
    loc_countries: set[str]   # countries named as places ("in Iraq")
    words: set[str]           # countries named at all


def _cue_ends(spans: Sequence[Span]) -> set[tuple[int, int]]:
    return {(s.sent, s.t1) for s in spans if s.kind == "cue" and s.a in ("meeting", "visit")}


def _sentences(d: _Doc, names: list[Span], watch: Watch, ref: date | None,
               only: set[int] | None = None) -> list[_Sentence]:
    """Per-sentence facts; with `only`, the other sentences are left empty (a cheap re-run)."""
    cue_ends = _cue_ends(d.spans)
    by_sent: dict[int, list[Span]] = {}
    for sp in d.spans:
        by_sent.setdefault(sp.sent, []).append(sp)
    out = []
    for i, toks in enumerate(d.tokens):
        mine = by_sent.get(i, []) if only is None or i in only else []
        cues = {s.a for s in mine if s.kind == "cue"}
        places = {watch.places[s.a].country for s in mine
                  if s.kind == "place" and not is_origin(s, toks, watch)}
        locs = {s.a for s in mine if s.kind == "cty" and is_locative(s, toks, watch, cue_ends)}
        words = {s.a for s in mine if s.kind == "cty"}
        actors = build_actors(i, mine, names, toks, watch, ref, cue_ends) if mine else []
        out.append(_Sentence(cues, any(s.kind == "topic" for s in mine), actors, places, locs, words))
    return out


def _is_meeting_talk(s: _Sentence) -> bool:
    if "negative" in s.cues:
        return False
    if "meeting" in s.cues:
        return True
    return "visit" in s.cues and "invitation" not in s.cues


def _qualifies(i: int, ss: list[_Sentence]) -> bool:
    s = ss[i]
    if not _is_meeting_talk(s):
        return False
    actor_countries = {a.country for a in s.actors if a.country}
    side_actors = actor_countries & set(SIDES)
    foreign = any(c not in SIDES for c in actor_countries | s.places | s.loc_countries)
    if foreign:
        # Abroad or with a third country: both sides must be people in the sentence.
        if not set(SIDES) <= side_actors:
            return False
    else:
        # A bare country word ("factions linked to Iran") stands for a side only when no third
        # country is named at all: then the talks are likely with someone the watch does not know.
        bare = s.words if s.words <= set(SIDES) else set()
        covered = actor_countries | s.places | s.loc_countries | bare
        if not (set(SIDES) <= covered and side_actors):
            return False
    if any(a.defense and a.country in SIDES for a in s.actors) or s.topic:
        return True
    # "They discussed military cooperation": the topic may come in the next sentence.
    nxt = ss[i + 1] if i + 1 < len(ss) else None
    return bool(nxt and nxt.topic and _is_meeting_talk(nxt))


def _supports(s: _Sentence) -> bool:
    """A meeting sentence near the evidence that names people of one side only ("On Saturday, he
    met his Iranian counterpart Amir Hatami"): its names, dates and places count."""
    if not _is_meeting_talk(s):
        return False
    countries = {a.country for a in s.actors if a.country}
    return bool(countries & set(SIDES)) and countries <= set(SIDES)


def _context(s: _Sentence) -> bool:
    """A meeting sentence right next to the evidence without people ("The chiefs met in Damascus on
    Monday"): its dates and places count, not its names."""
    return _is_meeting_talk(s) and all(a.country in SIDES for a in s.actors if a.country)


def _pick_date(found: list[DateMention], base: date | None
               ) -> tuple[date | None, int, tuple[int, int] | None]:
    """Explicit dates beat inferred ones; the first day of a multi-day visit; dates near publication
    beat look-backs. Returns (date, precision, month-only)."""
    if base is not None:
        found = [m for m in found if m.day <= base + timedelta(days=60)]
        near = [m for m in found if abs((m.day - base).days) <= NEAR_DAYS]
    else:
        near = found
    for pool in (near, found):
        explicit = [m for m in pool if m.precision >= DAY_MONTH]
        if explicit:
            best = min(explicit, key=lambda m: m.day)
            return best.day, max(m.precision for m in explicit if m.day == best.day), None
        inferred = [m for m in pool if m.precision == INFERRED]
        if inferred:
            return min(m.day for m in inferred), INFERRED, None
    months = [m for m in found if m.precision == MONTH]
    if months:
        m = min(months, key=lambda x: x.day)
        return None, MONTH, (m.day.year, m.day.month)
    return None, 0, None


def _holder(watch: Watch, kind: str, country: str, day: date) -> Official | None:
    people = watch.holders(kind, country, day)
    if not people:
        return None
    # On a hand-over day both hold the office: the newcomer.
    return max(people, key=lambda o: max(r.start for r in o.roles if r.kind == kind and r.holds(day)))


def detect(doc: MeetingInput, watch: Watch) -> Detection | None:
    """The meeting an article reports, or None. Evidence is the sentence(s) that show it."""
    if not prefilter(doc.title, doc.text):
        return None
    d = _analyse(doc, watch)
    if not _both_sides(d.spans, watch):
        return None
    base = base_date(doc.published_at)
    names = resolve_names(d.spans, d.tokens, watch, base)
    ss = _sentences(d, names, watch, base)
    evidence = [i for i in range(len(ss)) if _qualifies(i, ss)]
    if not evidence:
        return None
    support = [i for i in range(len(ss)) if i not in evidence and _supports(ss[i])
               and any(abs(i - e) <= SUPPORT_REACH for e in evidence)]
    context = [i for i in range(len(ss)) if i not in evidence and i not in support
               and _context(ss[i]) and any(abs(i - e) <= 1 for e in evidence)]
    used = sorted([*evidence, *support])

    # When: dates of the evidence and supporting sentences.
    lang = guess_language(t for toks in d.tokens[:40] for t in toks)
    future_sents = {s.sent for s in d.spans if s.kind == "cue" and s.a == "future"}
    name_tokens: dict[int, set[int]] = {}
    for n in names:
        name_tokens.setdefault(n.sent, set()).update(range(n.t0, n.t1))
    found: list[DateMention] = []
    for i in sorted([*used, *context]):
        found += find_dates(d.tokens[i], watch.dates, base, lang=lang, future=i in future_sents,
                            skip=frozenset(name_tokens.get(i, ())))
    meeting_date, precision, month = _pick_date(found, base)
    ref = meeting_date or (date(month[0], month[1], 15) if month else base)
    if ref != base:
        ss = _sentences(d, names, watch, ref, set(used))    # roles as of the meeting, not publication

    # Who: named officials holding a role then; unnamed defense roles read as their holder.
    people: dict[str, str] = {}                  # official id -> role kind
    for i in used:
        for a in ss[i].actors:
            if a.official and a.kind:
                people.setdefault(a.official, a.kind)
    if ref is not None:
        for i in evidence:
            for a in ss[i].actors:
                k = watch.kinds.get(a.kind or "")
                if (a.phrase and k and k.defense and k.holder and a.country in SIDES
                        and not named_near(a, ss[i].actors)):
                    holder = _holder(watch, k.id, a.country, ref)
                    if holder is not None:
                        people.setdefault(holder.id, k.id)
    participants = _participants(people, watch, ref)

    venue = find_venue(d.spans, d.tokens, d.raws, evidence, sorted([*support, *context]), watch,
                       _cue_ends(d.spans))
    named_sides = {p.country for p, _ in participants}
    score = min(1.0, 0.5 + 0.1 * min(len(evidence), 3) + 0.1 * (named_sides >= set(SIDES))
                + 0.1 * (meeting_date is not None))
    return MeetingDetection(
        article_id=doc.article_id,
        participants=tuple(p for p, _ in participants),
        evidence=" ".join(d.raws[i] for i in evidence[:MAX_EVIDENCE]),
        city=venue.city, host_country=venue.host, visitor_country=venue.visitor,
        meeting_date=meeting_date, score=round(score, 2), published_at=doc.published_at,
        date_precision=precision, approx_month=month,
        ranks=tuple(r for _, r in participants))


def _participants(people: dict[str, str], watch: Watch, ref: date | None) -> list[tuple[Participant, int]]:
    """Defense officials first; political figures only when their side has no defense official
    (a prime minister who receives a security chief is context, a foreign minister alone is not)."""
    rows = []
    for oid in people:
        o = watch.officials[oid]
        span = o.role_at(ref, GRACE_DAYS) if ref is not None else o.role_at(None)
        if span is None:
            continue   # not in office then: a name from the past, not a participant
        k = watch.kinds[span.kind]
        rows.append((o, span.title or k.label, k.rank, k.defense))
    defended = {o.country for o, _, _, defense in rows if defense}
    keep = [(o, label, rank) for o, label, rank, defense in rows if defense or o.country not in defended]
    keep.sort(key=lambda x: (x[0].country, x[2], x[0].name))
    return [(Participant(name=o.name, country=o.country, role=label), rank) for o, label, rank in keep]


def detect_many(docs: Sequence[MeetingInput], watch: Watch) -> list[Detection]:
    """Detections of the articles that report a meeting, in input order."""
    out = []
    for doc in docs:
        det = detect(doc, watch)
        if det is not None:
            out.append(det)
    return out
