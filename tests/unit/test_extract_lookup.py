"""core/extract.py gives trafilatura's parser a C element class lookup: it must be in use, and it must
change nothing trafilatura extracts (seed pages always, the corpus's real pages when present)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from trafilatura import bare_extraction
from trafilatura.utils import load_html

from newswatch.core.extract import C_LOOKUP, decode_html, extract, set_element_lookup

SEED_PAGES = sorted((Path(__file__).resolve().parents[2] / "seeds" / "pages").glob("*.html"))
FIELDS = ("text", "title", "author", "date", "sitename", "url", "description", "categories", "tags",
          "license", "comments", "hostname", "fingerprint")


@contextmanager
def stock_lookup() -> Iterator[None]:
    """trafilatura's parser with lxml.html's own (Python) lookup, then newswatch's C lookup again."""
    assert set_element_lookup(lxml.html.HtmlElementClassLookup())
    try:
        yield
    finally:
        set_element_lookup(C_LOOKUP)


def _fields(html: str, url: str) -> tuple[Any, ...]:
    doc = bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    return tuple(getattr(doc, f, None) for f in FIELDS) if doc is not None else ()


def _both(html: str, url: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    fast = _fields(html, url)
    with stock_lookup():
        stock = _fields(html, url)
    return fast, stock


def test_trafilatura_parses_with_the_c_lookup() -> None:
    tree = load_html("<html><body><form action='/x'><input name='q'></form><p>text</p></body></html>")
    form = tree.find(".//form")
    assert type(form) is lxml.html.HtmlElement            # not lxml.html.FormElement
    assert isinstance(tree.find(".//p"), lxml.html.HtmlElement)


def test_the_stock_lookup_gives_form_classes() -> None:
    """The control: with lxml.html's lookup back, a <form> is a FormElement (so the test above can fail)."""
    with stock_lookup():   # lxml picks an element's class when it hands the element to Python
        tree = load_html("<html><body><form action='/x'><input name='q'></form><p>text</p></body></html>")
        assert type(tree.find(".//form")) is lxml.html.FormElement


@pytest.mark.parametrize("page", SEED_PAGES, ids=lambda p: p.stem)
def test_seed_extraction_is_the_same_with_either_lookup(page: Path) -> None:
    html = decode_html(page.read_bytes(), "text/html")
    fast, stock = _both(html, f"https://seed.invalid/{page.name}")
    assert fast and fast == stock
    assert extract(html, url=f"https://seed.invalid/{page.name}").text   # and our extract() still works


@pytest.mark.slow
def test_corpus_extraction_is_the_same_with_either_lookup(corpus: Path) -> None:
    rows = [r for r in json.loads((corpus / "html" / "manifest.json").read_text(encoding="utf-8"))
            if r["kind"] == "real-page"]
    differ = []
    for row in rows:
        html = decode_html((corpus / row["path"]).read_bytes(), "text/html")
        fast, stock = _both(html, row.get("url") or f"https://corpus.invalid/{row['path']}")
        if fast != stock:
            differ.append(row["path"])
    print(f"C element lookup: {len(rows) - len(differ)} of {len(rows)} real corpus pages extract the same")
    assert not differ
