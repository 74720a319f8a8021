"""core/tuning.py speeds trafilatura up: each part must be in use, and none may change a field newswatch
keeps (seed pages always, the corpus's real pages when present)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import trafilatura.core
import trafilatura.settings
import trafilatura.xpaths
from lxml import etree
from trafilatura import bare_extraction
from trafilatura.utils import load_html

from newswatch.core import tuning
from newswatch.core.extract import decode_html, extract

SEED_PAGES = sorted((Path(__file__).resolve().parents[2] / "seeds" / "pages").glob("*.html"))
FORM = "<html><body><form action='/x'><input name='q'></form><p>text</p></body></html>"
# Every field of trafilatura's Document that newswatch reads, and the ones it does not read but that
# the tuning leaves alone (a change in any of them would mean the tuning reached further than meant).
KEPT = ("text", "title", "author", "date", "sitename", "url", "description", "hostname", "comments",
        "fingerprint", "image", "pagetype")
# Categories on a page (a category link and a tag link) and a Creative Commons license link.
LABELLED = ("<html><head><title>A story</title></head><body><article><p>" + "Text of the story. " * 20
            + "</p><div class='entry-meta'><a href='/category/politics/'>Politics</a></div>"
            "<div class='tags'><a href='/tags/iraq/'>Iraq</a></div></article>"
            "<footer><a rel='license' href='https://creativecommons.org/licenses/by/4.0/'>CC BY</a>"
            "</footer></body></html>")


def _doc(html: str, url: str) -> Any:
    return bare_extraction(html, url=url, with_metadata=True, include_comments=False)


def _fields(html: str, url: str) -> tuple[Any, ...]:
    doc = _doc(html, url)
    return tuple(getattr(doc, f, None) for f in KEPT) if doc is not None else ()


def _both(html: str, url: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    tuned = _fields(html, url)
    with tuning.stock():
        stock = _fields(html, url)
    return tuned, stock


def test_every_part_is_found_and_in_use() -> None:
    assert tuning.apply()   # the pinned trafilatura has every part the tuning sets
    form = load_html(FORM).find(".//form")
    assert type(form) is lxml.html.HtmlElement            # the C lookup: not lxml.html.FormElement
    doc = _doc(LABELLED, "https://example.org/story")
    assert doc is not None and "Text of the story." in doc.text
    assert (doc.categories, doc.tags, doc.license) == ([], [], None)


def test_stock_trafilatura_inside_the_block() -> None:
    """The control (so the test above can fail): as installed, a <form> is a FormElement and the labelled
    page's categories, tags and license are found; after the block, the tuning is back."""
    with tuning.stock():   # lxml picks an element's class when it hands the element to Python
        assert type(load_html(FORM).find(".//form")) is lxml.html.FormElement
        doc = _doc(LABELLED, "https://example.org/story")
        assert doc.categories == ["Politics"] and doc.tags == ["Iraq"]
        assert doc.license == "CC BY 4.0"
    assert type(load_html(FORM).find(".//form")) is lxml.html.HtmlElement
    assert _doc(LABELLED, "https://example.org/story").tags == []


@pytest.mark.parametrize("page", SEED_PAGES, ids=lambda p: p.stem)
def test_seed_extraction_keeps_every_field(page: Path) -> None:
    html = decode_html(page.read_bytes(), "text/html")
    tuned, stock = _both(html, f"https://seed.invalid/{page.name}")
    assert tuned and tuned == stock
    assert extract(html, url=f"https://seed.invalid/{page.name}").text   # and our extract() still works


@pytest.mark.slow
def test_corpus_extraction_keeps_every_field(corpus: Path) -> None:
    rows = [r for r in json.loads((corpus / "html" / "manifest.json").read_text(encoding="utf-8"))
            if r["kind"] == "real-page"]
    differ = []
    for row in rows:
        html = decode_html((corpus / row["path"]).read_bytes(), "text/html")
        tuned, stock = _both(html, row.get("url") or f"https://corpus.invalid/{row['path']}")
        if tuned != stock:
            differ.append(row["path"])
    print(f"tuned trafilatura: {len(rows) - len(differ)} of {len(rows)} real corpus pages keep every field")
    assert not differ


def test_re_test_terms_are_guarded_by_their_attribute() -> None:
    """Part 3: every re:test XPath trafilatura's modules hold is the guarded one, and stock() restores
    the originals (the very objects)."""
    assert tuning.apply()
    pairs = [(stock, tuned) for stock, tuned in tuning._TUNED.values() if "re:test" in stock.path]
    assert pairs and all("((@" in tuned.path and tuned.path != stock.path for stock, tuned in pairs)
    in_use = {id(tuned) for _, tuned in pairs}
    assert id(trafilatura.settings.BASIC_CLEAN_XPATH) in in_use
    assert all(id(x) in in_use for x in trafilatura.xpaths.AUTHOR_XPATHS if "re:test" in x.path)
    originals = {id(stock) for stock, _ in pairs}
    with tuning.stock():
        assert id(trafilatura.settings.BASIC_CLEAN_XPATH) in originals
        assert all(id(x) in originals for x in trafilatura.xpaths.AUTHOR_XPATHS if "re:test" in x.path)
    assert id(trafilatura.settings.BASIC_CLEAN_XPATH) in in_use


def test_guard_rewrites_a_term_only_when_an_absent_attribute_fails() -> None:
    term = "re:test(@class, 'cookie[-_]?banner', 'i')"
    assert tuning.guard(f"//*[{term}]") == f"//*[((@class) and {term})]"
    assert tuning.guard("//*[re:test(@id|@class, '^comment')]") == \
        "//*[((@id|@class) and re:test(@id|@class, '^comment'))]"
    # A pattern that matches "" would select elements without the attribute: left as it is.
    assert tuning.guard("//*[re:test(@class, 'x?')]") == "//*[re:test(@class, 'x?')]"


def test_a_guarded_expression_selects_the_same_elements() -> None:
    """Elements without the attribute, with it empty, matching in either case, and not matching."""
    tree = lxml.html.fromstring(
        "<html><body><div>a</div><div class=''>b</div><div class='Cookie-Banner'>c</div><div id=''>d</div>"
        "<div id='cookiebot'>e</div><div class='x' id='onetrust-x'>f</div><p class='story'>g</p>"
        "<span class='COOKIE_NOTICE' id='z'>h</span></body></html>")
    for stock, guarded in tuning._TUNED.values():
        assert [e.text for e in guarded(tree)] == [e.text for e in stock(tree)], stock.path[:80]
    # The cookie-consent expression: a case-insensitive pattern, on @class and on @id.
    stock, guarded = next(p for p in tuning._TUNED.values() if p[1] is trafilatura.settings.BASIC_CLEAN_XPATH)
    assert [e.text for e in guarded(tree)] == [e.text for e in stock(tree)] == ["c", "e", "f", "h"]


def test_named_steps_become_unions_only_when_no_predicate_counts_positions() -> None:
    """Part 4: `.//*[self::a or self::b][P]` -> `(descendant::a[P] | descendant::b[P])`, `//` from the
    root; a positional predicate, or a bracket inside a string literal, is read as such."""
    assert tuning.descend(".//*[self::div or self::section][@id='x' or contains(@class, 'y')]") == \
        "(descendant::div[@id='x' or contains(@class, 'y')] | descendant::section[@id='x' or contains(@class, 'y')])"
    assert tuning.descend("//*[self::h1 or self::h2][contains(@class, '[t|(')]") == \
        "(/descendant::h1[contains(@class, '[t|(')] | /descendant::h2[contains(@class, '[t|(')])"
    assert tuning.descend("(.//*[self::p][@a])[1]|.//x") == "((descendant::p[@a]))[1]|.//x"
    for positional in (".//*[self::div or self::p][@class][1]", ".//*[self::div][position() < 3 or @id]",
                       ".//*[self::div][count(p)]", ".//*[self::div][last()]", ".//*[self::div][.5]",
                       ".//*[self::div][@n * 2]", ".//*[self::div][@n + 1]", ".//*[self::div][string-length(@a)]",
                       ".//*[self::div][(1)]"):
        assert tuning.descend(positional) == positional, positional
    for boolean in ("[@a]", "[.//h1]", "[./p/@id]", "[not(@a)]", "[contains(@a, ']')]", "[(1) = 1]"):
        assert tuning.descend(f".//*[self::div]{boolean}") == f"(descendant::div{boolean})", boolean
    assert tuning.descend(".//*[@class='x']") == ".//*[@class='x']"   # no named step
    # In use: the comment-removal expression trafilatura runs on every page is a union now.
    assert "descendant::div[" in trafilatura.core.REMOVE_COMMENTS_AND_LISTS_XPATH[0].path


def test_a_positional_step_would_select_other_elements() -> None:
    """Why [n] is left alone: per parent, the first matching child is not the first in the document."""
    tree = lxml.html.fromstring("<html><body><div><p>a</p><span>b</span></div><div><span>c</span></div>"
                                "</body></html>")
    stock = ".//*[self::p or self::span][1]"
    union = "(descendant::p[1] | descendant::span[1])"
    assert [e.text for e in etree.XPath(stock)(tree)] == ["a", "c"]
    assert [e.text for e in etree.XPath(union)(tree)] == ["a", "b"]
    assert tuning.descend(stock) == stock


def _same_selections(html: str) -> list[str]:
    """The stock expressions whose tuned ones select other elements (or in another order) on a page."""
    tree = load_html(html)
    differ = []
    for stock, tuned in tuning._TUNED.values():
        before, after = stock(tree), tuned(tree)   # both lists held: lxml gives each element one proxy
        if len(before) != len(after) or any(a is not b for a, b in zip(before, after, strict=True)):
            differ.append(stock.path[:60])
    return differ


@pytest.mark.parametrize("page", SEED_PAGES, ids=lambda p: p.stem)
def test_tuned_expressions_select_the_same_on_seeds(page: Path) -> None:
    assert _same_selections(decode_html(page.read_bytes(), "text/html")) == []


@pytest.mark.slow
def test_tuned_expressions_select_the_same_on_the_corpus(corpus: Path) -> None:
    rows = json.loads((corpus / "html" / "manifest.json").read_text(encoding="utf-8"))
    differ = {r["path"]: d for r in rows
              if (d := _same_selections(decode_html((corpus / r["path"]).read_bytes(), "text/html")))}
    print(f"tuned XPath: {len(rows) - len(differ)} of {len(rows)} corpus pages, same elements selected")
    assert not differ
