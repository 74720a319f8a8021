"""Where a meeting took place: the city named in the evidence sentences, else the country visited."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from newswatch.core.meetings.gazetteer import Span, is_locative, is_origin
from newswatch.core.meetings.watch import SIDES, Watch

# "TEHRAN –", "Bagdad (AFP) -", "بغداد/": a dateline names the newsroom, not the meeting place.
_DATELINE = re.compile(r"^\W*[\w\s'’.-]{2,30}?\s*(?:\([^)]{0,30}\))?\s*[-–—:/|]", re.UNICODE)


@dataclass(frozen=True)
class Venue:
    city: str | None
    host: str | None
    visitor: str | None


def _is_dateline(span: Span, raw: str) -> bool:
    return span.t0 == 0 and bool(_DATELINE.match(raw))


def find_venue(spans: Sequence[Span], tokens: Sequence[Sequence[str]], raws: Sequence[str],
               evidence: Sequence[int], support: Sequence[int], watch: Watch,
               cue_ends: set[tuple[int, int]]) -> Venue:
    """The best-supported city of the evidence (weight 2) and supporting (weight 1) sentences; a city
    of an evidence sentence right after 'in'/'à'/'في'/'در' or a visit verb counts once more; origins
    ('from Baghdad') and datelines do not count. Without a city, a country visited ('en Irak',
    'visited Iraq') is the host."""
    weight = {i: 2 for i in evidence}
    for i in support:
        weight.setdefault(i, 1)
    scores: dict[str, int] = {}
    first: dict[str, tuple[int, int]] = {}
    for s in spans:
        if s.kind != "place" or s.sent not in weight:
            continue
        toks = tokens[s.sent]
        if is_origin(s, toks, watch) or _is_dateline(s, raws[s.sent]):
            continue
        bonus = 1 if weight[s.sent] == 2 and is_locative(s, toks, watch, cue_ends) else 0
        score = weight[s.sent] + bonus
        scores[s.a] = scores.get(s.a, 0) + score
        first.setdefault(s.a, (s.sent, s.t0))
    if scores:
        city = min(scores, key=lambda c: (-scores[c], first[c]))
        host = watch.places[city].country
        return Venue(city, host, _other(host))
    votes: dict[str, int] = {}
    for s in spans:
        if s.kind == "cty" and s.sent in weight and is_locative(s, tokens[s.sent], watch, cue_ends):
            votes[s.a] = votes.get(s.a, 0) + weight[s.sent]
    if votes:
        host = min(votes, key=lambda c: (-votes[c], c))
        return Venue(None, host, _other(host))
    return Venue(None, None, None)


def _other(host: str | None) -> str | None:
    if host in SIDES:
        return next(c for c in SIDES if c != host)
    return None
