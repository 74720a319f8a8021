"""HTML bytes -> text and metadata in one trafilatura pass, with careful charset decoding and cleaning."""

from __future__ import annotations

import codecs
import html as htmllib
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from charset_normalizer import from_bytes
from htmldate import extractors as htmldate_extractors
from htmldate import find_date
from trafilatura import bare_extraction
from trafilatura.settings import Document

from newswatch.core import tuning
from newswatch.core.clean import clean_text
from newswatch.errors import ExtractionError
from newswatch.models import Extracted

if TYPE_CHECKING:
    from dateparser import DateDataParser  # type: ignore[import-untyped]  # ships no type information

BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE)
META_SCAN_BYTES = 16_384   # <meta charset> sits in <head>; archive.org pages push it past the first 4 kB
# Labels browsers read as a superset (WHATWG Encoding Standard); Python's stricter codecs would
# fail or mis-decode the bytes real pages labelled so contain.
SUPERSETS = {"latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254",
             "gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949", "tis-620": "cp874", "iso8859-11": "cp874",
             "shift_jis": "cp932", "big5": "big5hkscs"}
DETECT_BYTES = 200_000

XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
META_TAG = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r"""([a-zA-Z_:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
JSONLD_PUBLISHED = re.compile(r""""datePublished"\s*:\s*"([^"]{10,40})\"""")
# Meta tags that state the publication time (most specific first).
PUBLISHED_KEYS = ("article:published_time", "og:article:published_time", "og:published_time", "datepublished",
                  "pubdate", "publishdate", "publish-date", "parsely-pub-date", "sailthru.date", "dc.date.issued",
                  "dcterms.created", "dc.date", "date")
HAS_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# Separators between a headline and the site's name: spaced dashes and bullets, and bars spaced or not.
TITLE_SPLIT = re.compile(r"(\s+[-–—·»:]{1,2}\s+|\s*\|\s*)")
DATE_SEGMENT = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
WWW = re.compile(r"^www\d*$")
GENERIC_LABELS = {"com", "org", "net", "info", "biz", "media", "news", "online", "site", "gov", "edu", "co", "or",
                  "ac", "ne", "go"}
MIN_TEXT_CHARS = 25


def _codec(label: str | None) -> str | None:
    """A charset label -> the Python codec we decode it with, or None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    return SUPERSETS.get(name, name)


def _declared(data: bytes, content_type: str | None) -> list[str]:
    """Codecs the page declares, in precedence order: the HTTP header, then <meta charset> / <?xml?>."""
    labels: list[str] = []
    if content_type and (m := HTTP_CHARSET.search(content_type)):
        labels.append(m.group(1))
    if m2 := META_CHARSET.search(data[:META_SCAN_BYTES]):
        labels.append((m2.group(1) or m2.group(2)).decode("ascii", "ignore"))
    codecs_: list[str] = []
    for label in labels:
        enc = _codec(label)
        # A page without a BOM that says UTF-16/32 is ASCII-compatible in fact (WHATWG: read as UTF-8).
        if enc and enc.startswith(("utf-16", "utf-32")):
            enc = "utf-8"
        if enc and enc not in codecs_:
            codecs_.append(enc)
    return codecs_


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few stray bytes is still UTF-8 (a common CMS bug): replace those bytes only.

    "A few": at most one bad byte per ten well-formed non-ASCII characters. Legacy-encoded text
    fails almost every non-ASCII byte, so it never passes."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    return text if good > 0 and bad * 10 <= good else None


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Page bytes -> str: a BOM first, then the HTTP charset, then <meta charset>, then detection.

    A declared charset that does not decode the bytes is not trusted; charset_normalizer decides then.
    Bytes that are valid UTF-8 and not plain ASCII are read as UTF-8 whatever the label says: servers
    often default to ISO-8859-1 for UTF-8 pages, and legacy-encoded text is practically never valid
    UTF-8 by accident. Undecodable bytes become U+FFFD."""
    for bom, bom_enc in BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(bom_enc, errors="replace")
    declared = _declared(data, content_type)
    if not data.isascii():
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    for enc in declared:
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            if enc == "utf-8" and (mostly := _mostly_utf8(data)) is not None:
                return mostly
    if (mostly := _mostly_utf8(data)) is not None:
        return mostly
    sample = data if len(data) <= DETECT_BYTES else data[:DETECT_BYTES // 2] + data[-DETECT_BYTES // 2:]
    best = from_bytes(sample).best()
    if best is not None and best.encoding:
        return data.decode(SUPERSETS.get(best.encoding, best.encoding), errors="replace")
    return data.decode(declared[0] if declared else "utf-8", errors="replace")


def _parse_time(value: str) -> datetime | None:
    """An ISO 8601 timestamp -> UTC; naive ones are taken as UTC. None when there is no time of day."""
    value = value.strip()
    if not HAS_TIME.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _meta_published(page: str) -> tuple[datetime, str] | None:
    """The publication time the page states in <head> (article:published_time and kin, JSON-LD),
    as (UTC time, the calendar day the page wrote)."""
    head = page[:m.start()] if (m := HEAD_END.search(page, 0, 300_000)) else page[:300_000]
    found: dict[str, str] = {}
    for tag in META_TAG.findall(head):
        attrs = {a.lower(): (v1 or v2 or v3) for a, v1, v2, v3 in ATTRIBUTE.findall(tag)}
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        if key in PUBLISHED_KEYS and attrs.get("content") and key not in found:
            found[key] = htmllib.unescape(attrs["content"])
    if m2 := JSONLD_PUBLISHED.search(page, 0, 300_000):
        found.setdefault("datepublished", m2.group(1))
    for key in PUBLISHED_KEYS:
        if key in found and (when := _parse_time(found[key])) is not None:
            return when, found[key].strip()[:10]
    return None


def _published(page: str, day: str | None) -> datetime | None:
    """trafilatura (htmldate) gives the publication day; the page's own metadata often gives the
    time too. That time is used when it names the same day (else htmldate's choice stands: it also
    weighs the URL and the text, and rejects impossible dates)."""
    found = None
    if day:
        try:
            found = datetime.strptime(day[:10], "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            found = None
    stated = _meta_published(page)
    if stated is not None and (found is None or stated[1] == found.strftime("%Y-%m-%d")):
        return stated[0]
    return found


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _site_keys(sitename: str | None, url: str | None) -> set[str]:
    """How the site may be named in its titles: its name, and the main label of its host name
    ('www.arteradio.com' -> 'arteradio', 'DW.COM' -> 'dw', 'www3.nhk.or.jp' -> 'nhk')."""
    keys = {_key(sitename)} if sitename else set()
    hosts = [h for h in (sitename if sitename and " " not in sitename.strip() else None,
                         urlsplit(url).hostname if url and "//" in url else None) if h and "." in h]
    for host in hosts:
        labels = [x for x in host.lower().split(".") if x and not WWW.match(x)]
        while len(labels) > 1 and (len(labels[-1]) <= 2 or labels[-1] in GENERIC_LABELS):
            labels.pop()
        if labels:
            keys.add(_key(labels[0]))
    return {k for k in keys if len(k) >= 2}


def _strip_site(title: str | None, sitename: str | None, url: str | None = None) -> str | None:
    """'Headline | Site', 'Site - Headline', 'Headline | DW | 23.05.2011' -> 'Headline', only when the
    cut part names the site (its name, or its host name) and a headline remains."""
    if not title or not title.strip():
        return None
    title = " ".join(title.split())
    if sitename and (site := " ".join(sitename.split())):
        # The whole site name first: it may contain a separator itself ("AOC media - Analyse Opinion").
        for pattern in (rf"^(?P<head>.*\S)\s*[-–—·»:|]{{1,2}}\s*{re.escape(site)}$",
                        rf"^{re.escape(site)}\s*[-–—·»:|]{{1,2}}\s*(?P<head>\S.*)$"):
            if m := re.match(pattern, title, re.IGNORECASE):
                return m["head"].strip()
    keys = _site_keys(sitename, url)
    if not keys:
        return title
    parts = TITLE_SPLIT.split(title)          # [segment, separator, segment, ...]
    if len(parts) >= 5 and DATE_SEGMENT.match(parts[-1]) and _key(parts[-3]) in keys:
        parts = parts[:-2]                    # a date after the site name
    if len(parts) >= 3 and _key(parts[-1]) in keys:
        parts = parts[:-2]
    elif len(parts) >= 3 and _key(parts[0]) in keys:
        parts = parts[2:]
    return "".join(parts).strip() or title


# A byline date htmldate's own patterns miss: it hands it to dateparser, whose first call builds the
# tables of the locales it may be written in (first met on the corpus's Spanish pages).
_DATEPARSER_WARMUP = ("<html><body><article><div class='byline'>por César Salza 1 de diciembre de 2017 "
                      "3:00</div><p>texto</p></article></body></html>")
# The languages dateparser may read such a date in: the watch's six, then the others most common in
# news. htmldate's own parser tries all 200+ locales: its first call cost ~1.3 s in every run and every
# worker, against ~0.3 s for these 13; the corpus's 206 news pages get the same dates either way.
DATEPARSER_LANGUAGES = ("en", "fr", "ar", "fa", "de", "es", "ru", "pt", "it", "pl", "nl", "tr", "uk")
# htmldate's settings for its dateparser (htmldate.extractors.get_external_parser), kept as they are.
HTMLDATE_PARSER_SETTINGS = {"NORMALIZE": True, "PARSERS": ["custom-formats", "absolute-time"],
                            "PREFER_DATES_FROM": "past", "PREFER_LOCALE_DATE_ORDER": True,
                            "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": True}


@lru_cache(maxsize=1)
def _date_parser() -> DateDataParser:
    """htmldate's dateparser, limited to DATEPARSER_LANGUAGES (imported on first use, as htmldate does)."""
    from dateparser import DateDataParser  # type: ignore[import-untyped]  # ships no type information

    return DateDataParser(languages=list(DATEPARSER_LANGUAGES), settings=HTMLDATE_PARSER_SETTINGS)


# htmldate (1.11) looks its parser up by this name at each call.
htmldate_extractors.get_external_parser = _date_parser


# trafilatura as newswatch runs it: the same output for what newswatch keeps, less CPU (core/tuning.py).
tuning.apply()


def warm_up_extraction() -> None:
    """Pay the dateparser locale tables that trafilatura's date search (htmldate) builds on first use."""
    find_date(_DATEPARSER_WARMUP, extensive_search=True, original_date=True)


def extract(html: bytes | str, *, url: str, content_type: str | None = None) -> Extracted:
    """One page -> clean text and metadata. Raises ExtractionError (one line) when no text comes out."""
    page = html if isinstance(html, str) else decode_html(html, content_type)
    # lxml refuses str input with an encoding declaration and trafilatura then re-parses UTF-8 bytes,
    # where lxml may obey a stale <meta charset>: the page is decoded already, so drop the declaration.
    page = XML_DECLARATION.sub("", page, count=1)
    try:
        # Defaults rather than favor_precision: measured on the corpus (tests/quality), precision mode
        # loses ~3 points of body recall for ~3 points less boilerplate, and clean_text removes much
        # of that boilerplate anyway; a missed paragraph costs the meeting watch more than a menu line.
        doc = bare_extraction(page, url=url, with_metadata=True, include_comments=False)
    except Exception as exc:  # trafilatura/lxml raise many types on broken markup; one line for the log
        raise ExtractionError(f"extraction failed: {exc.__class__.__name__}: {str(exc)[:200]}") from None
    if not isinstance(doc, Document) or not (doc.text or "").strip():
        raise ExtractionError("no article text found in the page")
    text = clean_text(doc.text or "")
    if len(text) < MIN_TEXT_CHARS:
        raise ExtractionError(f"article text too short after cleaning ({len(text)} chars)")
    return Extracted(
        text=text,
        title=_strip_site(doc.title, doc.sitename, doc.url or url),
        author=doc.author or None,
        date=_published(page, doc.date),
        sitename=doc.sitename or None,
        canonical_url=doc.url or None,
        description=doc.description or None,
    )
