"""The watch definition: the package's YAML files -> a validated, precompiled, immutable Watch."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from yaml.nodes import Node

from newswatch.core.meetings.dates import DateTables, build_date_tables
from newswatch.core.meetings.matcher import TermMatcher
from newswatch.core.meetings.text import normalize
from newswatch.core.meetings.yamlnodes import Reader, compose
from newswatch.errors import ConfigError

LANGS = ("en", "fr", "ar", "fa", "de", "es")
SIDES = ("IR", "IQ")
WATCH_DIR = Path(__file__).resolve().parents[2] / "watch"
FILES = ("officials.yaml", "roles.yaml", "countries.yaml", "places.yaml", "cues.yaml", "dates.yaml")
CUE_LISTS = ("meeting", "visit", "invitation", "negative", "not_cues", "future", "defense_topic")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_CODE = re.compile(r"^[A-Z]{2}$")

# Payloads of the one matcher: ("off", official_id, "s"|"w"), ("role", kind, country or ""),
# ("cty", country), ("place", city), ("cue", list name), ("topic", "").
Payload = tuple[str, str, str]


@dataclass(frozen=True)
class RoleSpan:
    """One role an official held, from `start` to `end` (None: still in office)."""

    kind: str
    start: date
    end: date | None
    title: str | None = None
    approx: bool = False

    def holds(self, day: date, grace: int = 0) -> bool:
        slack = timedelta(days=grace)
        return self.start - slack <= day and (self.end is None or day <= self.end + slack)


@dataclass(frozen=True)
class Official:
    id: str
    name: str
    country: str
    names: tuple[str, ...]
    weak: tuple[str, ...]
    roles: tuple[RoleSpan, ...]

    def role_at(self, day: date | None, grace: int = 0) -> RoleSpan | None:
        """The role held on `day` (the one held exactly that day first); without a day, the latest."""
        if day is None:
            return self.roles[-1] if self.roles else None
        exact = [r for r in self.roles if r.holds(day)]
        if exact:
            return exact[-1]
        near = [r for r in self.roles if r.holds(day, grace)]
        return near[-1] if near else None


@dataclass(frozen=True)
class RoleKind:
    id: str
    label: str
    defense: bool
    holder: bool
    rank: int
    country: str | None
    nouns: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    adjective: str
    words: tuple[str, ...]
    adjectives: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    names: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Watch:
    """Everything detection needs, validated and compiled once."""

    directory: str
    officials: Mapping[str, Official]
    kinds: Mapping[str, RoleKind]
    countries: Mapping[str, Country]
    places: Mapping[str, Place]
    cues: Mapping[str, Mapping[str, tuple[str, ...]]]
    titles: frozenset[str]
    locatives: frozenset[str]
    origins: frozenset[str]
    matcher: TermMatcher[Payload] = field(repr=False)
    dates: DateTables = field(repr=False)

    def summary(self) -> str:
        people = len(self.officials)
        return (f"{people} officials, {len(self.kinds)} role kinds, {len(self.places)} places, "
                f"{self.matcher.size} terms in {len(LANGS)} languages")

    def holders(self, kind: str, country: str, day: date) -> list[Official]:
        """Officials holding `kind` for `country` on `day` (no grace: the office, not the person)."""
        return [o for o in self.officials.values()
                if o.country == country and any(r.kind == kind and r.holds(day) for r in o.roles)]


def load_watch(directory: Path | None = None) -> Watch:
    """Read and validate the watch YAML files of `directory` (default: the package's watch folder)."""
    folder = Path(directory) if directory is not None else WATCH_DIR
    if not folder.is_dir():
        raise ConfigError("watch folder not found", path=str(folder))
    present = sorted(p.name for p in folder.glob("*.yaml"))
    for name in present:
        if name not in FILES:
            raise ConfigError(f"unknown watch file (expected {', '.join(FILES)})", path=str(folder / name))
    for name in FILES:
        if name not in present:
            raise ConfigError("missing watch file", path=str(folder / name))
    roots = {name: compose(folder / name) for name in FILES}
    r = {name: Reader(folder / name) for name in FILES}

    countries, locatives, origins = _countries(r["countries.yaml"], roots["countries.yaml"])
    kinds, titles = _roles(r["roles.yaml"], roots["roles.yaml"], countries)
    officials = _officials(r["officials.yaml"], roots["officials.yaml"], countries, kinds)
    places = _places(r["places.yaml"], roots["places.yaml"], countries)
    cues = _cues(r["cues.yaml"], roots["cues.yaml"])
    dates = _dates(r["dates.yaml"], roots["dates.yaml"])
    matcher = _compile(officials, kinds, countries, places, cues)
    return Watch(directory=str(folder), officials=officials, kinds=kinds, countries=countries,
                 places=places, cues=cues, titles=titles, locatives=locatives, origins=origins,
                 matcher=matcher, dates=dates)


# ----------------------------------------------------------------------------------- file readers

def _norm(r: Reader, node: Node, fld: str, text: str) -> str:
    star = text.endswith("*")
    core = normalize(text[:-1] if star else text)
    if not core:
        raise r.error(node, fld, f"{text!r} has no letters or digits")
    return core + ("*" if star else "")


def _terms(r: Reader, node: Node | None, fld: str) -> tuple[tuple[str, ...], list[tuple[str, Node]]]:
    """A list of phrases, normalised for matching (and the raw ones with their nodes)."""
    raw = r.strings(node, fld)
    out = tuple(_norm(r, n, f"{fld}[{i}]", t) for i, (t, n) in enumerate(raw))
    return out, raw


def _per_lang(r: Reader, node: Node | None, fld: str, *, keep_raw: bool = False
              ) -> dict[str, tuple[str, ...]]:
    m = r.mapping(node, fld, allowed=LANGS)
    out: dict[str, tuple[str, ...]] = {}
    for lang in LANGS:
        if lang in m and not r.is_null(m[lang]):
            if keep_raw:
                out[lang] = tuple(t for t, _ in r.strings(m[lang], f"{fld}.{lang}"))
            else:
                out[lang] = _terms(r, m[lang], f"{fld}.{lang}")[0]
    return out


def _countries(r: Reader, root: Node | None
               ) -> tuple[dict[str, Country], frozenset[str], frozenset[str]]:
    top = r.mapping(root, "", required=("countries", "locatives", "origins"),
                    allowed=("countries", "locatives", "origins"))
    countries: dict[str, Country] = {}
    for code, key_node, node in r.items(top["countries"], "countries"):
        fld = f"countries.{code}"
        if not _CODE.match(code):
            raise r.error(key_node, fld, "country codes are ISO 3166 alpha-2, e.g. IR")
        m = r.mapping(node, fld, required=("name", "adjective", "words"),
                      allowed=("name", "adjective", "words", "adjectives"))
        adjectives = _per_lang(r, m["adjectives"], f"{fld}.adjectives") if "adjectives" in m else {}
        countries[code] = Country(code=code, name=r.string(m["name"], f"{fld}.name"),
                                  adjective=r.string(m["adjective"], f"{fld}.adjective"),
                                  words=_terms(r, m["words"], f"{fld}.words")[0], adjectives=adjectives)
    for side in SIDES:
        if side not in countries:
            raise r.error(top["countries"], f"countries.{side}", "the watch needs both IR and IQ")
    locatives = frozenset(_terms(r, top["locatives"], "locatives")[0])
    origins = frozenset(_terms(r, top["origins"], "origins")[0])
    return countries, locatives, origins


def _roles(r: Reader, root: Node | None, countries: Mapping[str, Country]
           ) -> tuple[dict[str, RoleKind], frozenset[str]]:
    top = r.mapping(root, "", required=("kinds", "titles"), allowed=("kinds", "titles"))
    kinds: dict[str, RoleKind] = {}
    for kid, key_node, node in r.items(top["kinds"], "kinds"):
        fld = f"kinds.{kid}"
        if not _ID.match(kid):
            raise r.error(key_node, fld, "ids are lower-case letters, digits and underscores")
        m = r.mapping(node, fld, required=("label", "defense", "holder", "rank", "nouns"),
                      allowed=("label", "defense", "holder", "rank", "nouns", "country"))
        country = None
        if "country" in m:
            country = r.string(m["country"], f"{fld}.country")
            if country not in countries:
                raise r.error(m["country"], f"{fld}.country", f"unknown country {country!r}")
        kinds[kid] = RoleKind(id=kid, label=r.string(m["label"], f"{fld}.label"),
                              defense=r.boolean(m["defense"], f"{fld}.defense"),
                              holder=r.boolean(m["holder"], f"{fld}.holder"),
                              rank=r.integer(m["rank"], f"{fld}.rank"), country=country,
                              nouns=_per_lang(r, m["nouns"], f"{fld}.nouns", keep_raw=True))
    if "counterpart" not in kinds:
        raise r.error(top["kinds"], "kinds.counterpart", "the counterpart kind is required")
    titles = _per_lang(r, top["titles"], "titles")
    return kinds, frozenset(t for lst in titles.values() for t in lst)


def _officials(r: Reader, root: Node | None, countries: Mapping[str, Country],
               kinds: Mapping[str, RoleKind]) -> dict[str, Official]:
    top = r.mapping(root, "", required=("officials",), allowed=("officials",))
    out: dict[str, Official] = {}
    strong_owner: dict[str, str] = {}
    for i, node in enumerate(r.sequence(top["officials"], "officials")):
        fld = f"officials[{i}]"
        m = r.mapping(node, fld, required=("id", "name", "country", "names", "roles"),
                      allowed=("id", "name", "country", "names", "weak", "roles", "note"))
        oid = r.string(m["id"], f"{fld}.id")
        if not _ID.match(oid):
            raise r.error(m["id"], f"{fld}.id", "ids are lower-case letters, digits and underscores")
        if oid in out:
            raise r.error(m["id"], f"{fld}.id", f"duplicate id {oid!r}")
        country = r.string(m["country"], f"{fld}.country")
        if country not in SIDES:
            raise r.error(m["country"], f"{fld}.country", f"unknown country {country!r} (IR or IQ)")
        names, raw = _terms(r, m["names"], f"{fld}.names")
        for j, (term, (_, n)) in enumerate(zip(names, raw, strict=True)):
            other = strong_owner.setdefault(term, oid)
            if other != oid:
                raise r.error(n, f"{fld}.names[{j}]",
                              f"{term!r} already names {other!r}; list shared names under weak")
        weak = _terms(r, m["weak"], f"{fld}.weak")[0] if "weak" in m else ()
        roles = []
        for j, rn in enumerate(r.sequence(m["roles"], f"{fld}.roles")):
            rf = f"{fld}.roles[{j}]"
            rm = r.mapping(rn, rf, required=("kind", "from"), allowed=("kind", "from", "to", "title", "approx"))
            kind = r.string(rm["kind"], f"{rf}.kind")
            if kind not in kinds:
                raise r.error(rm["kind"], f"{rf}.kind", f"unknown role kind {kind!r} (see roles.yaml)")
            start = r.day(rm["from"], f"{rf}.from")
            end = None if "to" not in rm or r.is_null(rm["to"]) else r.day(rm["to"], f"{rf}.to")
            if end is not None and end < start:
                raise r.error(rm["to"], f"{rf}.to", "ends before it starts")
            roles.append(RoleSpan(kind=kind, start=start, end=end,
                                  title=r.string(rm["title"], f"{rf}.title") if "title" in rm else None,
                                  approx=r.boolean(rm["approx"], f"{rf}.approx") if "approx" in rm else False))
        if not roles:
            raise r.error(m["roles"], f"{fld}.roles", "at least one role is needed")
        roles.sort(key=lambda x: x.start)
        out[oid] = Official(id=oid, name=r.string(m["name"], f"{fld}.name"), country=country,
                            names=names, weak=weak, roles=tuple(roles))
    return out


def _places(r: Reader, root: Node | None, countries: Mapping[str, Country]) -> dict[str, Place]:
    top = r.mapping(root, "", required=("places",), allowed=("places",))
    out: dict[str, Place] = {}
    for i, node in enumerate(r.sequence(top["places"], "places")):
        fld = f"places[{i}]"
        m = r.mapping(node, fld, required=("name", "country", "names"), allowed=("name", "country", "names"))
        name = r.string(m["name"], f"{fld}.name")
        if name in out:
            raise r.error(m["name"], f"{fld}.name", f"duplicate place {name!r}")
        country = r.string(m["country"], f"{fld}.country")
        if country not in countries:
            raise r.error(m["country"], f"{fld}.country", f"unknown country {country!r} (see countries.yaml)")
        out[name] = Place(name=name, country=country, names=_terms(r, m["names"], f"{fld}.names")[0])
    return out


def _cues(r: Reader, root: Node | None) -> dict[str, dict[str, tuple[str, ...]]]:
    top = r.mapping(root, "", required=CUE_LISTS, allowed=CUE_LISTS)
    return {name: _per_lang(r, top[name], name) for name in CUE_LISTS}


def _dates(r: Reader, root: Node | None) -> DateTables:
    top = r.mapping(root, "", required=("months", "jalali_months", "weekdays", "ignore", "relative"),
                    allowed=("months", "jalali_months", "weekdays", "ignore", "relative"))
    months: dict[str, int] = {}
    for key, key_node, node in r.items(top["months"], "months"):
        if not key.isdigit() or not 1 <= int(key) <= 12:
            raise r.error(key_node, f"months.{key}", "months are numbered 1 to 12")
        for t in _terms(r, node, f"months.{key}")[0]:
            months[t] = int(key)
    jalali = _terms(r, top["jalali_months"], "jalali_months")[0]
    if len(jalali) != 12:
        raise r.error(top["jalali_months"], "jalali_months", "expected the 12 Iranian months in order")
    weekdays: dict[str, int] = {}
    for key, key_node, node in r.items(top["weekdays"], "weekdays"):
        if not key.isdigit() or not 0 <= int(key) <= 6:
            raise r.error(key_node, f"weekdays.{key}", "weekdays are numbered 0 (Monday) to 6 (Sunday)")
        for t in _terms(r, node, f"weekdays.{key}")[0]:
            weekdays[t] = int(key)
    ignore = frozenset(_terms(r, top["ignore"], "ignore")[0])
    relative: dict[str, dict[str, tuple[str, ...]]] = {}
    rel = r.mapping(top["relative"], "relative", required=("yesterday", "today", "tomorrow"),
                    allowed=("yesterday", "today", "tomorrow"))
    for word, node in rel.items():
        relative[word] = _per_lang(r, node, f"relative.{word}")
    return build_date_tables(months, jalali, weekdays, ignore, relative)


# ----------------------------------------------------------------------------------- compilation

def _compile(officials: Mapping[str, Official], kinds: Mapping[str, RoleKind],
             countries: Mapping[str, Country], places: Mapping[str, Place],
             cues: Mapping[str, Mapping[str, tuple[str, ...]]]) -> TermMatcher[Payload]:
    entries: list[tuple[str, Payload]] = []
    for o in officials.values():
        entries += [(t, ("off", o.id, "s")) for t in o.names]
        entries += [(t, ("off", o.id, "w")) for t in o.weak]
    for k in kinds.values():
        for lang, nouns in k.nouns.items():
            for noun in nouns:
                if "{c}" in noun:
                    # "ministre {c} de la défense": one phrase per adjective of that language.
                    for c in countries.values():
                        for adj in c.adjectives.get(lang, ()):
                            entries.append((_phrase(noun.replace("{c}", adj)), ("role", k.id, c.code)))
                else:
                    entries.append((_phrase(noun), ("role", k.id, k.country or "")))
    for c in countries.values():
        entries += [(t, ("cty", c.code, "")) for t in c.words]
    for p in places.values():
        entries += [(t, ("place", p.name, "")) for t in p.names]
    for name, per_lang in cues.items():
        payload: Payload = ("topic", "", "") if name == "defense_topic" else ("cue", name, "")
        for terms in per_lang.values():
            entries += [(t, payload) for t in terms]
    # "للعراق" (li + al-Iraq): Arabic contracts the article after the preposition lam.
    entries += [("لل" + t[2:], pl) for t, pl in entries if t.startswith("ال") and len(t) > 4]
    return TermMatcher(entries)


def _phrase(raw: str) -> str:
    star = raw.endswith("*")
    return normalize(raw[:-1] if star else raw) + ("*" if star else "")
