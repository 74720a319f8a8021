"""Speed-ups newswatch gives trafilatura in its own processes, each leaving what newswatch keeps unchanged."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import lxml.html
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from trafilatura import metadata as trafilatura_metadata
from trafilatura import utils as trafilatura_utils

# 1. trafilatura parses each page with lxml.html's HTMLParser, whose element class lookup is a Python
# method that lxml calls for every element handed to Python (~5,900 a page on the corpus's news
# pages). The same classes looked up in C cost 5.3-5.7 % less CPU per page (measured page by page,
# interleaved). The one difference: form controls are plain HtmlElement, not FormElement or
# InputElement, whose extra methods trafilatura, htmldate and justext never call. Only trafilatura's
# own parser is set: lxml.html's is left alone.
C_LOOKUP = etree.ElementDefaultClassLookup(element=HtmlElement, comment=HtmlComment,
                                           pi=HtmlProcessingInstruction, entity=HtmlEntity)
STOCK_LOOKUP = lxml.html.HtmlElementClassLookup()


# 2. With metadata on, trafilatura also looks for categories, tags and a license: newswatch stores
# none of them, and the search (XPath over the whole page) was 8.2 % of trafilatura's CPU on the
# corpus's 211 news pages (measured page by page, interleaved). Their two functions, which only read
# the tree, are replaced by ones that find nothing.
def _no_categories_or_tags(metatype: str, tree: HtmlElement) -> list[str]:
    return []


def _no_license(tree: HtmlElement) -> str | None:
    return None


SKIPPED: dict[str, Callable[..., Any]] = {"extract_catstags": _no_categories_or_tags,
                                          "extract_license": _no_license}
UNSET_FIELDS = ("categories", "tags", "license")   # what trafilatura's Document lacks in consequence
_INSTALLED: dict[str, Callable[..., Any]] = {name: getattr(trafilatura_metadata, name)
                                             for name in SKIPPED if hasattr(trafilatura_metadata, name)}


# 3. trafilatura's XPath expressions test @class, @id and @style with EXSLT's re:test, which lxml runs
# as a Python call for every element it reaches: ~4,800 calls a page on the corpus's news pages, 63 % of
# them on an element without the attribute, where the test sees "" and fails. Each such term
# re:test(@a, 'p', 'f') becomes ((@a) and re:test(@a, 'p', 'f')): XPath's `and` does not evaluate its
# right side when the left is false, so no call is made for a missing attribute. The two are the same
# boolean on every element whenever re:test fails on an absent attribute, which is checked for each
# term on an element without attributes before it is rewritten (a term that would match "" is left as
# it is). -6.9 % of trafilatura's CPU on the 211 news pages (page by page, interleaved, 3 passes).
# Prefiltering the remaining calls with contains() on substrings every match must have saved 0.6 %
# (case-sensitive patterns) and cost 15 % with translate() for the case-insensitive ones: not done.
# All of trafilatura's XPath objects that use re:test are swapped, in the modules that hold them:
# lists in place, single objects by name.
REGEXP_NS = "http://exslt.org/regular-expressions"
RE_TEST = re.compile(r"re:test\((?P<arg>@\w+(?:\|@\w+)*)\s*,\s*'[^']*'(?:\s*,\s*'[^']*')?\s*\)")
NAMESPACES = {"re": REGEXP_NS}
PREFIX = re.compile(r"(?<![:\w.-])([A-Za-z_][\w.-]*):(?!:)")   # a namespace prefix, not an axis (self::)
_BARE = etree.fromstring("<e/>")


def guard(path: str) -> str:
    """An XPath expression with each re:test on attributes guarded by their presence (see above)."""
    def one(m: re.Match[str]) -> str:
        if etree.XPath(m[0], namespaces=NAMESPACES)(_BARE):   # would match an absent attribute
            return m[0]
        return f"(({m['arg']}) and {m[0]})"
    return RE_TEST.sub(one, path)


def _guardable(xpath: Any) -> bool:
    """An XPath of trafilatura's that calls re:test and uses no namespace prefix but `re`."""
    if not isinstance(xpath, etree.XPath) or "re:test" not in xpath.path:
        return False
    outside_literals = re.sub(r"'[^']*'|\"[^\"]*\"", "''", xpath.path)
    return set(PREFIX.findall(outside_literals)) <= {"re"}


_GUARDED: dict[int, tuple[etree.XPath, etree.XPath]] = {}   # id(stock) -> (stock, guarded)
_SWAPS: list[tuple[Any, str | int, Any]] = []               # (module or list, name or index, stock object)


def _swap(tuned: bool) -> int:
    """Guard every re:test XPath held by trafilatura's modules (True) or put the stock ones back."""
    if not tuned:
        for holder, key, stock_xpath in reversed(_SWAPS):
            if isinstance(holder, list):
                holder[int(key)] = stock_xpath
            else:
                setattr(holder, str(key), stock_xpath)
        _SWAPS.clear()
        return 0
    if _SWAPS:
        return len(_GUARDED)

    def guarded(xpath: etree.XPath) -> etree.XPath:
        if id(xpath) not in _GUARDED:
            _GUARDED[id(xpath)] = (xpath, etree.XPath(guard(xpath.path), namespaces=NAMESPACES))
        return _GUARDED[id(xpath)][1]

    seen_lists: set[int] = set()
    for name in sorted(sys.modules):
        module = sys.modules[name]
        if module is None or not (name == "trafilatura" or name.startswith("trafilatura.")):
            continue
        for attr, value in sorted(vars(module).items()):
            if _guardable(value):
                _SWAPS.append((module, attr, value))
                setattr(module, attr, guarded(value))
            elif isinstance(value, list) and id(value) not in seen_lists:
                seen_lists.add(id(value))
                for i, item in enumerate(value):
                    if _guardable(item):
                        _SWAPS.append((value, i, item))
                        value[i] = guarded(item)
    return len(_GUARDED)


def apply(tuned: bool = True) -> bool:
    """newswatch's tuning (True) or trafilatura as installed (False). Returns whether every part was
    found: a trafilatura release that moved one leaves that part as installed."""
    parser = getattr(trafilatura_utils, "HTML_PARSER", None)
    found = isinstance(parser, etree.HTMLParser)
    if isinstance(parser, etree.HTMLParser):
        parser.set_element_class_lookup(C_LOOKUP if tuned else STOCK_LOOKUP)
    for name, installed in _INSTALLED.items():
        setattr(trafilatura_metadata, name, SKIPPED[name] if tuned else installed)
    guarded = _swap(tuned)
    return found and len(_INSTALLED) == len(SKIPPED) and (guarded > 0 or not tuned)


@contextmanager
def stock() -> Iterator[None]:
    """trafilatura as installed inside the block (the bench's limit, the tests' control), tuned after."""
    apply(False)
    try:
        yield
    finally:
        apply(True)
