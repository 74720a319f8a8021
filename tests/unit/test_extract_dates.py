"""htmldate's dateparser fallback, limited to DATEPARSER_LANGUAGES: same dates, a fraction of the locales."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from newswatch.core.extract import DATEPARSER_LANGUAGES, HTMLDATE_PARSER_SETTINGS, _date_parser, extract

# Dates written in words, one or more per listed language (the watch's six first).
WORD_DATES = [
    "December 1, 2017 3:00 PM", "1 december 2017",
    "1 de diciembre de 2017", "1. Dezember 2017", "Montag, 4. Dezember 2017",
    "1 ديسمبر 2017", "١ ديسمبر ٢٠١٧", "۱ دسامبر ۲۰۱۷",
    "1 декабря 2017", "1 de dezembro de 2017", "1 dicembre 2017", "1 grudnia 2017", "1 Aralık 2017",
    "1 грудня 2017",
]


@pytest.fixture(scope="module")
def htmldate_own() -> ModuleType:
    """A fresh copy of htmldate.extractors, its parser as htmldate builds it (every locale)."""
    spec = importlib.util.find_spec("htmldate.extractors")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_limited_parser_keeps_htmldates_settings(htmldate_own: ModuleType) -> None:
    assert htmldate_own.get_external_parser()._settings._mod_settings == HTMLDATE_PARSER_SETTINGS


@pytest.mark.parametrize("text", WORD_DATES)
def test_word_dates_read_as_htmldates_own_parser_reads_them(htmldate_own: ModuleType, text: str) -> None:
    own: Any = htmldate_own.get_external_parser().get_date_data(text)["date_obj"]
    assert own is not None
    assert _date_parser().get_date_data(text)["date_obj"] == own


@pytest.mark.parametrize("written", ["14 de febrero de 2023", "14 فبراير 2023", "۱۴ فوریه ۲۰۲۳",
                                     "14 février 2023", "14. Februar 2023", "February 14, 2023"])
def test_a_date_in_words_reaches_the_article(written: str) -> None:
    """Spanish, Arabic and Persian ones are read by dateparser (htmldate's patterns miss them)."""
    page = ("<html><head><title>Reunión</title></head><body><article><h1>Reunión en Teherán</h1>"
            f"<span class='date'>{written}</span>"
            "<p>El ministro iraquí de Defensa se reunió con su homólogo iraní en Teherán durante una visita "
            "oficial de dos días dedicada a la seguridad de la frontera común.</p></article></body></html>")
    got = extract(page, url="https://example.org/noticias/reunion")
    assert got.date is not None and got.date.strftime("%Y-%m-%d") == "2023-02-14"


def test_trafilatura_date_search_loads_only_the_listed_languages() -> None:
    """In a fresh interpreter (this one may have loaded locales for other reasons): htmldate's first
    free-text date, through trafilatura, builds the tables of the listed languages only."""
    code = ("import newswatch.core.extract as ex\n"
            "from dateparser.languages.loader import LocaleDataLoader\n"
            "ex.warm_up_extraction()\n"
            "print(len(LocaleDataLoader._loaded_locales))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    loaded = int(out.stdout.split()[-1])
    assert 1 <= loaded <= len(DATEPARSER_LANGUAGES)
