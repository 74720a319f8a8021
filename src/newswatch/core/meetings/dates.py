"""Meeting dates in six languages: explicit dates, weekdays and 'yesterday', resolved against the
publication date. Month and weekday names come from dateparser's locale data (plus dates.yaml)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from newswatch.core.meetings.text import normalize

LANGS = ("en", "fr", "ar", "fa", "de", "es")
_MONTH_KEYS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december")
_WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RELATIVE_KEYS = {"yesterday": "1 day ago", "today": "0 day ago", "tomorrow": "in 1 day"}
_OFFSETS = {"yesterday": -1, "today": 0, "tomorrow": 1}

# Precision of a date found in text; higher is better supported.
EXPLICIT = 4      # day, month and year written
DAY_MONTH = 3     # day and month written, year inferred (from the weekday when one is given)
INFERRED = 2      # a weekday, "yesterday", "on the 15th": counted from the publication date
MONTH = 1         # only month and year ("in November 2020"): a look-back


@dataclass(frozen=True)
class DateTables:
    months: Mapping[str, int]
    jalali: Mapping[str, int]
    weekdays: Mapping[str, int]
    relative: Mapping[str, Mapping[str, int]]    # language -> phrase -> day offset
    longest: int                                 # words in the longest phrase
    firsts: frozenset[str]                       # first words of all phrases (a fast pre-check)


@dataclass(frozen=True)
class DateMention:
    day: date
    precision: int
    start: int          # token span in the sentence
    end: int


def build_date_tables(months: Mapping[str, int], jalali: Sequence[str], weekdays: Mapping[str, int],
                      ignore: frozenset[str], relative: Mapping[str, Mapping[str, tuple[str, ...]]]
                      ) -> DateTables:
    """dateparser's month/weekday/relative words for our six languages, merged with dates.yaml."""
    # Imported here: only load_watch needs it. dateparser ships no type hints.
    from dateparser.languages import default_loader  # type: ignore[import-untyped]

    m: dict[str, int] = {}
    w: dict[str, int] = {}
    rel: dict[str, dict[str, int]] = {lang: {} for lang in LANGS}
    for lang in LANGS:
        info = default_loader.get_locale(lang).info
        for i, key in enumerate(_MONTH_KEYS):
            for word in info.get(key, ()):
                n = normalize(word)
                if len(n) >= 3 and n not in ignore:
                    m.setdefault(n, i + 1)
        for i, key in enumerate(_WEEKDAY_KEYS):
            for word in info.get(key, ()):
                n = normalize(word)
                # Weekday abbreviations ("so", "do", "mar", "sun") are ordinary words elsewhere.
                if len(n) >= 4 and n not in ignore:
                    w.setdefault(n, i)
        types = info.get("relative-type", {})
        for word, key in _RELATIVE_KEYS.items():
            for phrase in types.get(key, ()):
                n = normalize(phrase)
                if n and n not in ignore:
                    rel[lang].setdefault(n, _OFFSETS[word])
    # dates.yaml entries win over dateparser's.
    m.update(months)
    w.update(weekdays)
    for word, per_lang in relative.items():
        for lang, phrases in per_lang.items():
            for n in phrases:
                rel[lang][n] = _OFFSETS[word]
    j = {n: i + 1 for i, n in enumerate(jalali)}
    every = [*m, *w, *j, *(p for d in rel.values() for p in d)]
    longest = max(len(k.split()) for k in every)
    firsts = frozenset(k.split()[0] for k in every)
    return DateTables(months=m, jalali=j, weekdays=w, relative=rel, longest=longest, firsts=firsts)


_DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|er|re|e|eme|o|a|º)?$")
_ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)$")
_YEAR = re.compile(r"^(1[3-4]\d\d|19\d\d|20\d\d|21\d\d)$")
_NUM = re.compile(r"^\d{1,4}$")
_FILLER = frozenset(["de", "del", "of", "the", "le", "el", "la", "am", "den", "on", "يوم", "روز", "en",
                     "a", "al", "du", "il", "der"])
_CONNECT = frozenset(["and", "et", "y", "und", "و", "to", "au", "al", "bis", "a", "ta", "تا", "الي",
                      "حتي", "or", "ou", "o", "oder"])


def _day(tok: str) -> int | None:
    m = _DAY.match(tok)
    if m and 1 <= int(m.group(1)) <= 31:
        return int(m.group(1))
    return None


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def jalali_to_gregorian(jy: int, jm: int, jd: int) -> date:
    """A date of the Iranian (Solar Hijri) calendar in the Gregorian calendar (the 33-year rule,
    exact for 1178-1633 SH)."""
    jy += 1595
    days = -355668 + 365 * jy + (jy // 33) * 8 + ((jy % 33) + 3) // 4 + jd
    days += (jm - 1) * 31 if jm < 7 else (jm - 7) * 30 + 186
    gy = 400 * (days // 146097)
    days %= 146097
    if days > 36524:
        days -= 1
        gy += 100 * (days // 36524)
        days %= 36524
        if days >= 365:
            days += 1
    gy += 4 * (days // 1461)
    days %= 1461
    if days > 365:
        gy += (days - 1) // 365
        days = (days - 1) % 365
    return date(gy, 1, 1) + timedelta(days=days)


def _nearest(cands: list[date], base: date, future: bool) -> date | None:
    """The candidate closest to the publication date; ties (and near-ties) go to the past, or to the
    future when the sentence speaks of the future."""
    if not cands:
        return None
    return min(cands, key=lambda d: (abs((d - base).days), (d > base) != future))


def _infer_year(month: int, day: int, weekday: int | None, base: date, future: bool,
                jalali: bool = False) -> date | None:
    if jalali:
        jy0 = base.year - 621
        cands = [jalali_to_gregorian(y, month, day) for y in (jy0 - 1, jy0, jy0 + 1)
                 if 1 <= month <= 12 and 1 <= day <= (31 if month <= 6 else 30)]
    else:
        cands = [d for y in (base.year - 1, base.year, base.year + 1) if (d := _safe(y, month, day))]
    if weekday is not None:
        fitting = [d for d in cands if d.weekday() == weekday]
        if fitting:
            cands = fitting
    return _nearest(cands, base, future)


def _weekday_date(weekday: int, base: date, future: bool) -> date:
    if future:
        return base + timedelta(days=(weekday - base.weekday()) % 7)
    return base - timedelta(days=(base.weekday() - weekday) % 7)


def find_dates(tokens: Sequence[str], tables: DateTables, base: date | None, *, lang: str,
               future: bool, skip: frozenset[int] = frozenset()) -> list[DateMention]:
    """Dates in one sentence (its normalised tokens). `base` is the publication date (region time);
    without it only dates with a written year are found. Tokens in `skip` (names such as
    'Juma', also Friday) are never read as dates."""
    n = len(tokens)
    # Label each position with the longest month / weekday / relative phrase starting there.
    label: dict[int, tuple[str, int, int]] = {}
    rel = tables.relative.get(lang, {})
    i = 0
    while i < n:
        found = None
        if tokens[i] not in tables.firsts:
            i += 1
            continue
        for size in range(min(tables.longest, n - i), 0, -1):
            if any(k in skip for k in range(i, i + size)):
                continue
            phrase = " ".join(tokens[i:i + size])
            if phrase in tables.months:
                found = ("m", tables.months[phrase], size)
            elif phrase in tables.jalali:
                found = ("j", tables.jalali[phrase], size)
            elif phrase in tables.weekdays:
                found = ("w", tables.weekdays[phrase], size)
            elif phrase in rel:
                found = ("r", rel[phrase], size)
            if found:
                break
        if found:
            label[i] = found
            i += found[2]
        else:
            i += 1

    out: list[DateMention] = []
    used: set[int] = set()

    def weekday_before(k: int) -> int | None:
        for back in (1, 2, 3):
            p = k - back
            if p < 0:
                return None
            if p in label and label[p][0] == "w":
                used.update(range(p, p + label[p][2]))
                return label[p][1]
            if tokens[p] not in _FILLER:
                return None
        return None

    for i, (kind, value, size) in sorted(label.items()):
        if kind not in ("m", "j") or i in used:
            continue
        j = i + size
        if j in label and label[j][0] == "m":          # "شباط/فبراير": a second name of the same month
            j += label[j][2]
        days: list[tuple[int, int]] = []               # (day, token index)
        k = i - 1
        while k >= 0 and tokens[k] in _FILLER:
            k -= 1
        if k >= 0 and (d := _day(tokens[k])) is not None and not _YEAR.match(tokens[k]):
            days.append((d, k))
            k2 = k - 1
            if k2 >= 0 and tokens[k2] in _CONNECT:
                k2 -= 1
            if k2 >= 0 and (d0 := _day(tokens[k2])) is not None:
                days.insert(0, (d0, k2))
        after = j
        if not days and after < n and (d := _day(tokens[after])) is not None and not _YEAR.match(tokens[after]):
            days.append((d, after))
            after += 1
        while after < n and tokens[after] in ("de", "del"):
            after += 1
        year = int(tokens[after]) if after < n and _YEAR.match(tokens[after]) else None
        if year is not None:
            is_jalali_year = year < 1700
            if is_jalali_year != (kind == "j"):
                year = None
        start = min([i, *[p for _, p in days]])
        end = (after + 1) if year is not None else max(j, *[p + 1 for _, p in days]) if days else j
        used.update(range(start, end))
        if not days:
            if year is not None and kind == "m":
                out.append(DateMention(date(year, value, 1), MONTH, start, end))
            continue
        wd = weekday_before(start)
        for d, _ in days:
            if year is not None:
                day = jalali_to_gregorian(year, value, d) if kind == "j" else _safe(year, value, d)
                prec = EXPLICIT
            elif base is not None:
                day = _infer_year(value, d, wd if len(days) == 1 else None, base, future, kind == "j")
                prec = DAY_MONTH
            else:
                day = None
            if day is not None:
                out.append(DateMention(day, prec, start, end))

    # Numeric dates: 2023-02-26, 26/02/2023, 26.02.2023 (day first, as in all six languages).
    for i in range(n - 2):
        if i in used or not all(_NUM.match(t) for t in tokens[i:i + 3]):
            continue
        a, b, c = (int(t) for t in tokens[i:i + 3])
        day = None
        if len(tokens[i]) == 4 and _YEAR.match(tokens[i]):
            day = _safe(a, b, c) if a >= 1900 else None
        elif len(tokens[i + 2]) == 4 and _YEAR.match(tokens[i + 2]) and c >= 1900:
            day = _safe(c, b, a)
        if day is not None:
            used.update(range(i, i + 3))
            out.append(DateMention(day, EXPLICIT, i, i + 3))

    if base is None:
        return out
    # "غدا السبت", "hier lundi": a weekday next to "tomorrow"/"yesterday" is that same day.
    for i, (kind, _, size) in label.items():
        if kind == "r":
            for j in (i - 2, i - 1, i + size, i + size + 1):
                if j in label and label[j][0] == "w":
                    used.update(range(j, j + label[j][2]))
    for i, (kind, value, size) in sorted(label.items()):
        if i in used:
            continue
        if kind == "w":
            out.append(DateMention(_weekday_date(value, base, future), INFERRED, i, i + size))
        elif kind == "r":
            out.append(DateMention(base + timedelta(days=value), INFERRED, i, i + size))
    # "On the 15th": a day of the month without a month, the nearest one.
    for i in range(1, n):
        if i in used or tokens[i - 1] != "the" or not (m := _ORDINAL.match(tokens[i])):
            continue
        if i + 1 < n and (i + 1) in label:
            continue
        d = int(m.group(1))
        cands = [x for delta in (-1, 0, 1) if (x := _safe(*_shift_month(base, delta), d))]
        day = _nearest(cands, base, future)
        if day is not None:
            out.append(DateMention(day, INFERRED, i, i + 1))
    return out


def _shift_month(base: date, delta: int) -> tuple[int, int]:
    y, mo = base.year, base.month + delta
    if mo < 1:
        y, mo = y - 1, 12
    elif mo > 12:
        y, mo = y + 1, 1
    return y, mo
