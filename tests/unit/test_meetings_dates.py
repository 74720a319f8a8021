"""Meeting dates: explicit dates in six languages and calendars, weekdays and 'yesterday' resolved
against the publication date, the year inferred from the weekday."""

from __future__ import annotations

from datetime import date

import pytest

from newswatch.core.meetings import Watch, load_watch
from newswatch.core.meetings.dates import (
    DAY_MONTH,
    EXPLICIT,
    INFERRED,
    MONTH,
    find_dates,
    jalali_to_gregorian,
)
from newswatch.core.meetings.text import normalize


@pytest.fixture(scope="module")
def watch() -> Watch:
    return load_watch()


def _dates(watch: Watch, text: str, base: date | None, lang: str = "en",
           future: bool = False) -> list[tuple[date, int]]:
    found = find_dates(normalize(text).split(), watch.dates, base, lang=lang, future=future)
    return sorted((m.day, m.precision) for m in found)


@pytest.mark.parametrize(("jy", "jm", "jd", "expected"), [
    (1393, 10, 8, date(2014, 12, 29)),     # Monday 8 Dey 1393
    (1398, 1, 18, date(2019, 4, 7)),
    (1401, 12, 7, date(2023, 2, 26)),
    (1399, 1, 1, date(2020, 3, 20)),       # Nowruz
    (1402, 1, 1, date(2023, 3, 21)),
    (1403, 1, 1, date(2024, 3, 20)),
])
def test_jalali_dates_convert(jy: int, jm: int, jd: int, expected: date) -> None:
    assert jalali_to_gregorian(jy, jm, jd) == expected


def test_seed_001_weekday_and_day_give_the_year(watch: Watch) -> None:
    # "le lundi 25 février", published 26 Feb 2019: 25 Feb 2019 was a Monday.
    assert _dates(watch, "une rencontre, le lundi 25 février, avec", date(2019, 2, 26), "fr") == [
        (date(2019, 2, 25), DAY_MONTH)]
    # The weekday decides the year even a month later.
    assert _dates(watch, "le lundi 25 février", date(2019, 3, 20), "fr") == [(date(2019, 2, 25), DAY_MONTH)]
    assert _dates(watch, "dimanche 26 février", date(2023, 2, 27), "fr") == [(date(2023, 2, 26), DAY_MONTH)]


def test_year_inferred_across_new_year(watch: Watch) -> None:
    assert _dates(watch, "le 28 décembre", date(2020, 1, 2), "fr") == [(date(2019, 12, 28), DAY_MONTH)]


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("26 février 2023", "fr", date(2023, 2, 26)),
    ("February 26, 2023", "en", date(2023, 2, 26)),
    ("26th February 2023", "en", date(2023, 2, 26)),
    ("26 de febrero de 2023", "es", date(2023, 2, 26)),
    ("am 26. Februar 2023", "de", date(2023, 2, 26)),
    ("الأحد 26 شباط/فبراير 2023", "ar", date(2023, 2, 26)),
    ("26 فبراير 2023", "ar", date(2023, 2, 26)),
    ("یکشنبه ۷ اسفند ۱۴۰۱", "fa", date(2023, 2, 26)),
    ("2023-02-26", "en", date(2023, 2, 26)),
    ("26/02/2023", "fr", date(2023, 2, 26)),
    ("١٩ آذار ٢٠٢٣", "ar", date(2023, 3, 19)),
])
def test_explicit_dates_in_all_languages(watch: Watch, text: str, lang: str, expected: date) -> None:
    assert _dates(watch, text, date(2023, 3, 1), lang)[0] == (expected, EXPLICIT)


def test_ranges_give_every_day(watch: Watch) -> None:
    base = date(2020, 11, 16)
    assert _dates(watch, "14th and 15th November", base) == [
        (date(2020, 11, 14), DAY_MONTH), (date(2020, 11, 15), DAY_MONTH)]
    assert _dates(watch, "los días 14 y 15 de noviembre", base, "es") == [
        (date(2020, 11, 14), DAY_MONTH), (date(2020, 11, 15), DAY_MONTH)]


def test_weekdays_point_back_from_publication_or_forward_for_announcements(watch: Watch) -> None:
    sunday = date(2020, 11, 15)
    assert _dates(watch, "said on Sunday", sunday) == [(sunday, INFERRED)]
    assert _dates(watch, "On Saturday, he met", sunday) == [(date(2020, 11, 14), INFERRED)]
    assert _dates(watch, "will travel to Baghdad on Monday", date(2025, 8, 10), future=True) == [
        (date(2025, 8, 11), INFERRED)]
    for text, lang in [("am Samstag", "de"), ("el sábado", "es"), ("samedi", "fr"), ("يوم السبت", "ar"),
                       ("روز شنبه", "fa")]:
        assert _dates(watch, text, sunday, lang) == [(date(2020, 11, 14), INFERRED)], text


@pytest.mark.parametrize(("word", "lang"), [
    ("yesterday", "en"), ("hier", "fr"), ("أمس", "ar"), ("دیروز", "fa"), ("gestern", "de"), ("ayer", "es")])
def test_yesterday_in_six_languages(watch: Watch, word: str, lang: str) -> None:
    assert _dates(watch, f"x {word} x", date(2020, 11, 15), lang) == [(date(2020, 11, 14), INFERRED)]


def test_relative_words_only_in_their_language(watch: Watch) -> None:
    # "hier" is German for "here": not a date in a German article.
    assert _dates(watch, "Die Minister trafen sich hier", date(2020, 11, 15), "de") == []


def test_weekday_next_to_tomorrow_is_tomorrow(watch: Watch) -> None:
    # Friday 1 Dec 2023: "غدا السبت" is Saturday 2 Dec, not the Saturday before.
    assert _dates(watch, "يصل إلى بغداد غدا السبت", date(2023, 12, 1), "ar") == [(date(2023, 12, 2), INFERRED)]


def test_month_and_year_only_is_a_month(watch: Watch) -> None:
    assert _dates(watch, "the visit in November 2020", date(2021, 6, 1)) == [(date(2020, 11, 1), MONTH)]


def test_without_a_publication_date_only_written_years_count(watch: Watch) -> None:
    assert _dates(watch, "on Sunday 26 February 2023, yesterday", None) == [(date(2023, 2, 26), EXPLICIT)]
    assert _dates(watch, "on Sunday, 26 February", None) == []


def test_names_are_not_dates(watch: Watch) -> None:
    # "Juma" (جمعه) is also Friday: tokens of a name are skipped.
    tokens = normalize("دیدار با جمعه عناد سعدون").split()
    found = find_dates(tokens, watch.dates, date(2020, 11, 15), lang="fa", future=False,
                       skip=frozenset({2, 3}))
    assert found == []
    assert find_dates(tokens, watch.dates, date(2020, 11, 15), lang="fa", future=False) != []
