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


# 4. Many of trafilatura's expressions select with a step `.//*[self::div or self::section][P]`: libxml2
# walks every element below the context and tests each name as a predicate, then P. The same step as a
# union of named steps, `(descendant::div[P] | descendant::section[P])`, lets libxml2 match names as it
# walks. It selects the same elements in the same order (a union is in document order, each element
# once) whenever no predicate is positional, where `[n]`, position() or last() would count along
# another axis. So a step is rewritten only when each of its predicates is plainly boolean: a top-level
# or/and/comparison, or one boolean function, attribute or path, and nowhere position() or last().
# -5.3 % of extract()'s CPU on the 211 news pages (page by page, interleaved, 3 passes: 0.99, 0.92, 0.93).
# Selected elements are the same, in the same order, on all 378 corpus pages (tests/unit/test_tuning.py).
# Each of trafilatura's XPath objects that parts 3-4 change is swapped in the modules that hold it:
# lists in place, single objects by name.
LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
NAMED_STEP = re.compile(r"(?P<lead>(?:^|[(|])\s*)(?P<axis>\.//|//)\*\[\s*"
                        r"(?P<names>self::[\w-]+(?:\s+or\s+self::[\w-]+)*)\s*\]")
TOP_LEVEL_BOOLEAN = re.compile(r"\s(?:or|and)\s|[=<>]")
_NAME = r"[A-Za-z_][\w.-]*"
# One term alone whose value is a boolean or a node-set (read as a boolean): a boolean function's call
# (its arguments blanked), an attribute, self::name, or a plain relative path such as .//h1 or ./p.
BOOLEAN_TERM = re.compile(rf"\s*(?:(?:re:test|contains|starts-with|not|boolean|true|false)\s*|@{_NAME}|self::{_NAME}"
                          rf"|\.{{0,2}}(?:/{{1,2}}@?{_NAME})+)\s*")


def _masked(path: str) -> str:
    """The path with each string literal's content blanked, so its brackets and bars do not count."""
    return LITERAL.sub(lambda m: m[0][0] + "_" * (len(m[0]) - 2) + m[0][-1], path)


def _nesting(c: str) -> int:
    return 1 if c in "[(" else -1 if c in "])" else 0


def _predicates(masked: str, start: int) -> list[tuple[int, int]]:
    """Spans of the predicates `[..][..]` that follow a step at `start` (masked path)."""
    spans: list[tuple[int, int]] = []
    i = start
    while True:
        j = i
        while j < len(masked) and masked[j].isspace():
            j += 1
        if j >= len(masked) or masked[j] != "[":
            return spans
        depth = 0
        for k in range(j, len(masked)):
            depth += _nesting(masked[k])
            if depth == 0:
                break
        else:
            return []     # unbalanced: leave the step alone
        spans.append((j, k + 1))
        i = k + 1


def _boolean(predicate: str) -> bool:
    """A predicate `[..]` (masked) whose value is a boolean, never a position."""
    inner = predicate[1:-1]
    if "position()" in inner or "last()" in inner:
        return False
    depth, top = 0, []
    for c in inner:
        depth += _nesting(c)
        top.append(c if depth == 0 and c not in ")]" else " ")   # what is outside brackets
    flat = "".join(top)
    return bool(TOP_LEVEL_BOOLEAN.search(flat) or BOOLEAN_TERM.fullmatch(flat))


def descend(path: str) -> str:
    """An XPath expression with each `.//*[self::a or self::b][P]` step a union of named steps (see above)."""
    masked, out, pos = _masked(path), [], 0
    for m in NAMED_STEP.finditer(masked):
        spans = _predicates(masked, m.end())
        if m.start() < pos or not all(_boolean(masked[a:b]) for a, b in spans):
            continue
        root = "/" if m["axis"] == "//" else ""
        predicates = "".join(path[a:b] for a, b in spans)
        names = re.findall(r"self::([\w-]+)", m["names"])
        union = " | ".join(f"{root}descendant::{name}{predicates}" for name in names)
        out.append(f"{path[pos:m.start()]}{m['lead']}({union})")
        pos = spans[-1][1] if spans else m.end()
    return "".join(out) + path[pos:]


def tune(path: str) -> str:
    """A trafilatura XPath expression as newswatch runs it: parts 3 and 4."""
    return descend(guard(path))


def _tuned_path(xpath: Any) -> str | None:
    """The tuned path of an XPath of trafilatura's that uses no namespace prefix but `re`, when the
    tuning changes it; else None."""
    if not isinstance(xpath, etree.XPath):
        return None
    if not set(PREFIX.findall(LITERAL.sub("''", xpath.path))) <= {"re"}:
        return None
    tuned = tune(xpath.path)
    return tuned if tuned != xpath.path else None


_TUNED: dict[int, tuple[etree.XPath, etree.XPath]] = {}     # id(stock) -> (stock, tuned)
_SWAPS: list[tuple[Any, str | int, Any]] = []               # (module or list, name or index, stock object)


def _swap(tuned: bool) -> int:
    """Tune every XPath held by trafilatura's modules that parts 3-4 change (True), or put the stock
    ones back."""
    if not tuned:
        for holder, key, stock_xpath in reversed(_SWAPS):
            if isinstance(holder, list):
                holder[int(key)] = stock_xpath
            else:
                setattr(holder, str(key), stock_xpath)
        _SWAPS.clear()
        return 0
    if _SWAPS:
        return len(_TUNED)

    def swapped(xpath: Any) -> etree.XPath | None:
        if id(xpath) not in _TUNED:
            if (path := _tuned_path(xpath)) is None:
                return None
            _TUNED[id(xpath)] = (xpath, etree.XPath(path, namespaces=NAMESPACES))
        return _TUNED[id(xpath)][1]

    seen_lists: set[int] = set()
    for name in sorted(sys.modules):
        module = sys.modules[name]
        if module is None or not (name == "trafilatura" or name.startswith("trafilatura.")):
            continue
        for attr, value in sorted(vars(module).items()):
            if (tuned_xpath := swapped(value)) is not None:
                _SWAPS.append((module, attr, value))
                setattr(module, attr, tuned_xpath)
            elif isinstance(value, list) and id(value) not in seen_lists:
                seen_lists.add(id(value))
                for i, item in enumerate(value):
                    if (tuned_xpath := swapped(item)) is not None:
                        _SWAPS.append((value, i, item))
                        value[i] = tuned_xpath
    return len(_TUNED)


def apply(tuned: bool = True) -> bool:
    """newswatch's tuning (True) or trafilatura as installed (False). Returns whether every part was
    found: a trafilatura release that moved one leaves that part as installed."""
    parser = getattr(trafilatura_utils, "HTML_PARSER", None)
    found = isinstance(parser, etree.HTMLParser)
    if isinstance(parser, etree.HTMLParser):
        parser.set_element_class_lookup(C_LOOKUP if tuned else STOCK_LOOKUP)
    for name, installed in _INSTALLED.items():
        setattr(trafilatura_metadata, name, SKIPPED[name] if tuned else installed)
    swapped = _swap(tuned)
    return found and len(_INSTALLED) == len(SKIPPED) and (swapped > 0 or not tuned)


@contextmanager
def stock() -> Iterator[None]:
    """trafilatura as installed inside the block (the bench's limit, the tests' control), tuned after."""
    apply(False)
    try:
        yield
    finally:
        apply(True)
