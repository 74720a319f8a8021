"""Speed-ups newswatch gives trafilatura in its own processes, each leaving what newswatch keeps unchanged."""

from __future__ import annotations

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


def apply(tuned: bool = True) -> bool:
    """newswatch's tuning (True) or trafilatura as installed (False). Returns whether every part was
    found: a trafilatura release that moved one leaves that part as installed."""
    parser = getattr(trafilatura_utils, "HTML_PARSER", None)
    found = isinstance(parser, etree.HTMLParser)
    if isinstance(parser, etree.HTMLParser):
        parser.set_element_class_lookup(C_LOOKUP if tuned else STOCK_LOOKUP)
    for name, installed in _INSTALLED.items():
        setattr(trafilatura_metadata, name, SKIPPED[name] if tuned else installed)
    return found and len(_INSTALLED) == len(SKIPPED)


@contextmanager
def stock() -> Iterator[None]:
    """trafilatura as installed inside the block (the bench's limit, the tests' control), tuned after."""
    apply(False)
    try:
        yield
    finally:
        apply(True)
