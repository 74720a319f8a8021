"""Who is in a sentence: named officials (strong and weak names), role phrases with their country,
and the 'actors' (people or delegations of a known country) built from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from newswatch.core.meetings.watch import SIDES, Watch

GRACE_DAYS = 30          # a named official still counts this long after leaving a role (and before)
ATTACH_GAP = 3           # a country word at most this many words from a role phrase is its country
NAME_GAP = 3             # a role phrase this close before/after a name describes that person
GENERIC = frozenset(["minister", "officials", "counterpart"])


@dataclass(frozen=True)
class Span:
    """A hit of the matcher placed in a sentence: tokens [t0, t1) of sentence `sent`."""

    sent: int
    t0: int
    t1: int
    term: str
    kind: str          # off | role | cty | place | cue | topic
    a: str             # official id, role kind, country code, place name, cue list
    b: str             # "s"/"w" for names, country for roles
    clitic: str = ""


@dataclass(frozen=True)
class Actor:
    """A person or delegation on one side of a meeting."""

    sent: int
    t0: int
    t1: int
    country: str | None
    kind: str | None
    official: str | None      # official id when named
    defense: bool
    phrase: bool              # a role phrase (not a name)


def _title_before(tokens: Sequence[str], t0: int, titles: frozenset[str]) -> bool:
    for size in range(1, 6):
        if t0 - size < 0:
            break
        if " ".join(tokens[t0 - size:t0]) in titles:
            return True
    return False


def resolve_names(spans: Sequence[Span], tokens: Sequence[Sequence[str]], watch: Watch,
                  base: date | None) -> list[Span]:
    """The name spans that stand for an official: strong names always; weak names after a title or a
    role phrase, or when the article names the same official in full elsewhere."""
    names = [s for s in spans if s.kind == "off"]
    confirmed = {s.a for s in names if s.b == "s"}
    roles_end = {(s.sent, s.t1) for s in spans if s.kind == "role"}
    weak_by_pos: dict[tuple[int, int, int], list[Span]] = {}
    for s in names:
        if s.b == "w":
            weak_by_pos.setdefault((s.sent, s.t0, s.t1), []).append(s)
    chosen: dict[tuple[int, int, int], Span] = {}

    def pick(cands: list[Span]) -> Span | None:
        if len(cands) == 1:
            return cands[0]
        if base is not None:
            active = [c for c in cands if watch.officials[c.a].role_at(base, GRACE_DAYS) is not None]
            if len(active) == 1:
                return active[0]
        return None

    # Pass 1: a weak name right after a title or a role phrase ("General Mousavi").
    for pos, cands in sorted(weak_by_pos.items()):
        sent, t0, _ = pos
        known = [c for c in cands if c.a in confirmed]
        if known:
            continue
        ctx = _title_before(tokens[sent], t0, watch.titles) or any(
            (sent, t0 - g) in roles_end for g in range(0, 3))
        if ctx and (c := pick(cands)) is not None:
            chosen[pos] = c
            confirmed.add(c.a)
    # Pass 2: a weak name of an official the article names elsewhere.
    for pos, cands in sorted(weak_by_pos.items()):
        if pos in chosen:
            continue
        known = [c for c in cands if c.a in confirmed]
        if (c := pick(known)) is not None:
            chosen[pos] = c
    return [s for s in names if s.b == "s"] + sorted(chosen.values(), key=lambda s: (s.sent, s.t0))


def is_locative(span: Span, tokens: Sequence[str], watch: Watch, cue_ends: set[tuple[int, int]]) -> bool:
    """'in Iraq', 'à Téhéran', 'بالعراق', 'در عراق', 'visited Iraq': a place, not an attribute."""
    # Arabic "ببغداد" (in Baghdad); for countries the clitic also means "with"/"to" ("مرتبطة بإيران").
    if "ب" in span.clitic and span.kind == "place":
        return True
    if span.t1 < len(tokens) and tokens[span.t1] == "s":
        return False          # "Iran's chief of staff": a possessive, never a place
    prev = tokens[span.t0 - 1] if span.t0 > 0 else ""
    if prev in watch.locatives:
        return True
    # "im Irak"/"to the Iraqi capital": one article between the preposition and the word.
    if span.t0 > 1 and prev in ("the", "la", "le", "l", "el", "den", "dem") and tokens[span.t0 - 2] in watch.locatives:
        return True
    return (span.sent, span.t0) in cue_ends


def is_origin(span: Span, tokens: Sequence[str], watch: Watch) -> bool:
    return span.t0 > 0 and tokens[span.t0 - 1] in watch.origins


def build_actors(sent: int, spans: Sequence[Span], names: Sequence[Span], tokens: Sequence[str],
                 watch: Watch, ref: date | None, cue_ends: set[tuple[int, int]]) -> list[Actor]:
    """Actors of one sentence. Role phrases take the country of the nearest country word (greedy,
    nearest pairs first, one country word per phrase) unless they name it themselves."""
    roles = [s for s in spans if s.kind == "role" and s.sent == sent]
    words = [s for s in spans if s.kind == "cty" and s.sent == sent
             and not is_locative(s, tokens, watch, cue_ends)]
    pairs = []
    for ri, r in enumerate(roles):
        if r.b:
            continue
        for ci, w in enumerate(words):
            gap = r.t0 - w.t1 if w.t1 <= r.t0 else w.t0 - r.t1 if w.t0 >= r.t1 else -1
            if 0 <= gap <= ATTACH_GAP:
                pairs.append((gap, ri, ci))
    country: dict[int, str] = {ri: r.b for ri, r in enumerate(roles) if r.b}
    extra: dict[int, list[str]] = {}
    taken: set[int] = set()
    for _, ri, ci in sorted(pairs):
        if ri not in country and ci not in taken:
            country[ri] = words[ci].a
            taken.add(ci)
            extra[ri] = _coordinated(words, ci, tokens)

    actors: list[Actor] = []
    sent_names = [n for n in names if n.sent == sent]
    for n in sent_names:
        o = watch.officials[n.a]
        role = o.role_at(ref, GRACE_DAYS) if ref is not None else o.role_at(None)
        kind = role.kind if role else None
        actors.append(Actor(sent, n.t0, n.t1, o.country, kind, o.id,
                            bool(kind and watch.kinds[kind].defense), False))
    for ri, r in enumerate(roles):
        k = watch.kinds[r.a]
        c = country.get(ri)
        # A role phrase right before or after a name describes that person: take its country.
        for n in sent_names:
            near = 0 <= n.t0 - r.t1 <= NAME_GAP or 0 <= r.t0 - n.t1 <= NAME_GAP
            if near and (c is None or c == watch.officials[n.a].country):
                c = watch.officials[n.a].country
                break
        actors.append(Actor(sent, r.t0, r.t1, c, r.a, None, k.defense, True))
        # "the chiefs of staff of Iran, Iraq and Syria": one actor per country of the list.
        for other in extra.get(ri, ()):
            if other != c:
                actors.append(Actor(sent, r.t0, r.t1, other, r.a, None, k.defense, True))
    return _counterparts(actors, watch)


_LIST_GLUE = frozenset(["and", "et", "y", "und", "or", "ou", "oder", "de", "l", "la", "del", "of", "the",
                        "d", "des", "du", "و", "va"])


def _coordinated(words: Sequence[Span], ci: int, tokens: Sequence[str]) -> list[str]:
    """Countries listed together with words[ci] ("Iran, Iraq and Syria", "سوريا وإيران والعراق")."""
    order = sorted(range(len(words)), key=lambda i: words[i].t0)
    pos = order.index(ci)
    out: list[str] = []
    for step in (1, -1):
        cur = pos
        while 0 <= cur + step < len(order):
            a, b = words[order[cur]], words[order[cur + step]]
            lo, hi = (a, b) if step == 1 else (b, a)
            between = tokens[lo.t1:hi.t0]
            if hi.t0 < lo.t1 or len(between) > 3 or any(t not in _LIST_GLUE for t in between):
                break
            out.append(b.a)
            cur += step
    return out


def _counterparts(actors: list[Actor], watch: Watch) -> list[Actor]:
    """'his Iraqi counterpart' takes the role of the official of the other side in the sentence."""
    out = []
    for a in actors:
        if a.kind != "counterpart":
            out.append(a)
            continue
        partners = [p for p in actors if p.kind not in GENERIC and p.kind is not None
                    and p.country in SIDES and p.country != a.country and p is not a]
        if not partners:
            out.append(a)
            continue
        p = min(partners, key=lambda x: abs(x.t0 - a.t0))
        country = a.country or next(c for c in SIDES if c != p.country)
        kind = p.kind
        out.append(Actor(a.sent, a.t0, a.t1, country, kind, None,
                         bool(kind and watch.kinds[kind].defense), True))
    return out


def named_near(actor: Actor, actors: Sequence[Actor]) -> bool:
    """Is a role phrase next to a name of the same country (so it names no one new)?"""
    for n in actors:
        if n.official is None or n.country != actor.country:
            continue
        if 0 <= n.t0 - actor.t1 <= NAME_GAP or 0 <= actor.t0 - n.t1 <= NAME_GAP:
            return True
    return False
