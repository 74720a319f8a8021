"""Feed bytes -> entries: RSS/Atom via feedparser (after defusing DOCTYPEs) and JSON Feed via json."""

from __future__ import annotations

import calendar
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser  # type: ignore[import-untyped]  # ships no type information

from newswatch.errors import FeedError
from newswatch.models import FeedEntry

# Link schemes an entry may point at. file: survives parsing on purpose: whether a file link may be
# read is decided by the caller (only beside a local feed), not here. javascript:, data:, mailto:
# and friends are never articles.
_LINK_SCHEMES = ("http", "https", "file")
_MAX_REASON = 160
_UTF8_BOM = "\xef\xbb\xbf"  # as seen through a latin-1 view of the bytes

# Byte signatures of the UTF-16/32 encodings, which the latin-1 view below cannot handle.
# Order matters: the UTF-32 LE BOM starts with the UTF-16 LE BOM.
_WIDE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)
_DOCTYPE_TOKEN = re.compile(r"""["'\[\]>]|<!--""")
_XML_DECL = re.compile(r"<\?xml[\s?]")
_ENCODING_ATTR = re.compile(r"""\sencoding\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SANE_ENCODING = re.compile(r"[A-Za-z][A-Za-z0-9._:-]{0,39}")
_FEEDPARSER_PI_ENCODING = re.compile(r"""^<\?.*encoding=['"](.*?)['"].*\?>""")
_CHARREF = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its entries in feed order (deduplicated by link) and what was odd about it.

    `skipped` counts entries dropped because they had no usable link or repeated an earlier link.
    """

    title: str | None
    entries: tuple[FeedEntry, ...]
    bozo: bool
    warning: str | None
    skipped: int = 0


def parse_feed(data: bytes, *, base_url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse RSS, Atom, RDF or JSON Feed bytes; links come back absolute (resolved on base_url).

    Raises FeedError with a one-line reason when nothing can be salvaged. A malformed feed from which
    feedparser still recovers entries is returned with bozo=True and the reason in `warning`.
    """
    if not data or not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xfe\xff"):
        raise FeedError("empty document")
    if _looks_like_json(data, content_type):
        return _parse_json_feed(data, base_url)
    safe = defuse_xml(data)
    if not safe.strip(b" \t\r\n\x00\xef\xbb\xbf\xfe\xff"):
        raise FeedError("nothing left after removing the DOCTYPE declaration")
    # Without a Content-Type (a local file) we say application/xml, so the encoding comes from the
    # BOM / XML declaration as for any XML file, instead of a "no Content-type" bozo flag.
    headers = {"content-type": content_type or "application/xml"}
    try:
        parsed = feedparser.parse(safe, response_headers=headers)
    except (RecursionError, MemoryError) as exc:  # hostile nesting deep enough to exhaust limits
        raise FeedError(f"feed too deeply nested or too large to parse: {type(exc).__name__}") from exc
    except Exception as exc:
        # feedparser 6.0.14 has internal bugs on mangled input (KeyError, TypeError, ValueError deep
        # in its handlers; our fuzz test finds them). Untrusted bytes must end as a typed FeedError,
        # never a crash of the run, so this one broad catch is on purpose.
        raise FeedError(_one_line(f"feedparser failed on malformed input: "
                                  f"{type(exc).__name__}: {exc}")) from exc
    return _from_feedparser(parsed, data, base_url, content_type)


def defuse_xml(data: bytes) -> bytes:
    """Remove DOCTYPE declarations (with their internal subset and ENTITY declarations) from the prolog.

    This runs before any XML parser sees the bytes, so entity expansion ("billion laughs") and external
    entities (file:///etc/passwd, http://169.254.169.254/) never get a chance. Also drops whitespace
    before the XML declaration, which real servers send and strict parsers reject. The bytes are only
    re-encoded when something was removed, in the encoding they came in.
    """
    codec = _wide_codec(data)
    if codec is None:
        # latin-1 maps every byte to one code point and back, so the prolog (ASCII in every
        # ASCII-compatible encoding) can be edited as text without knowing the real encoding.
        text = data.decode("latin-1")
        cleaned = _ascii_pi_encoding(_strip_prolog(text))
        return data if cleaned == text else cleaned.encode("latin-1")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        # Not valid in the encoding its first bytes suggest: feedparser will fall back to a
        # single-byte reading, so neutralise what that reading could trip over as well.
        fixed = _CHARREF.sub(_sane_charref, data.decode("latin-1")).encode("latin-1")
        text = fixed.decode(codec, errors="replace")
        cleaned = _strip_prolog(text)
        return fixed if cleaned == text else cleaned.encode(codec, errors="replace")
    cleaned = _strip_prolog(text)
    if cleaned == text:
        return data
    return cleaned.encode(codec, errors="replace")


def _wide_codec(data: bytes) -> str | None:
    for signature, codec in _WIDE_SIGNATURES:
        if data.startswith(signature):
            return codec
    return None


def _strip_prolog(text: str) -> str:
    """Drop DOCTYPE and stray ENTITY declarations before the root element; keep PIs and comments."""
    bom = ""
    if text.startswith(_UTF8_BOM):
        bom, text = _UTF8_BOM, text[len(_UTF8_BOM):]
    elif text.startswith("\ufeff"):
        bom, text = "\ufeff", text[1:]
    stripped = text.lstrip(" \t\r\n")
    if stripped != text and _XML_DECL.match(stripped):
        text = stripped
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t\r\n":
            j = i
            while j < n and text[j] in " \t\r\n":
                j += 1
            out.append(text[i:j])
            i = j
        elif text.startswith("<?", i):
            j = text.find("?>", i + 2)
            if j < 0:
                break
            out.append(_sane_declaration(text[i:j + 2]))
            i = j + 2
        elif text.startswith("<!--", i):
            j = text.find("-->", i + 4)
            if j < 0:
                break
            out.append(text[i:j + 3])
            i = j + 3
        elif text[i:i + 9].upper() == "<!DOCTYPE" or text[i:i + 8].upper() == "<!ENTITY":
            i = _declaration_end(text, i + 2)
        else:
            break
    return bom + "".join(out) + _CHARREF.sub(_sane_charref, text[i:])


def _ascii_pi_encoding(text: str) -> str:
    """feedparser reads `encoding=` with its own first-line regex and decodes it as UTF-8, crashing
    on other bytes; keep only the ASCII characters of whatever value that regex would pick."""
    m = _FEEDPARSER_PI_ENCODING.match(text)
    if m is None or m.group(1).isascii():
        return text
    value = "".join(ch for ch in m.group(1) if ch.isascii())
    return text[:m.start(1)] + value + text[m.end(1):]


def _sane_declaration(pi: str) -> str:
    """Drop an XML declaration's encoding if it is not a plausible name (feedparser crashes on some)."""
    if not _XML_DECL.match(pi):
        return pi
    m = _ENCODING_ATTR.search(pi)
    if m is None or _SANE_ENCODING.fullmatch(m.group(1) or m.group(2) or ""):
        return pi
    return pi[:m.start()] + pi[m.end():]


def _sane_charref(m: re.Match[str]) -> str:
    """Replace character references no Unicode code point can have (feedparser crashes on them)."""
    digits, base = (m.group(1), 16) if m.group(1) else (m.group(2), 10)
    value = int(digits, base) if len(digits.lstrip("0")) <= 8 else 0x110000
    if value == 0 or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return "&#xFFFD;"
    return m.group()


def _declaration_end(text: str, start: int) -> int:
    """Index just past the `>` closing a markup declaration, skipping quotes, [subset] and comments."""
    depth = 0
    quote: str | None = None
    i = start
    while True:
        if quote is not None:
            j = text.find(quote, i)
            if j < 0:
                return len(text)
            quote, i = None, j + 1
            continue
        m = _DOCTYPE_TOKEN.search(text, i)
        if m is None:
            return len(text)
        token, i = m.group(), m.end()
        if token in ("'", '"'):
            quote = token
        elif token == "<!--":
            j = text.find("-->", i)
            if j < 0:
                return len(text)
            i = j + 3
        elif token == "[":
            depth += 1
        elif token == "]":
            depth = max(0, depth - 1)
        elif depth == 0:  # ">" outside the internal subset
            return i


def _from_feedparser(parsed: Any, raw: bytes, base_url: str, content_type: str | None) -> ParsedFeed:
    bozo = bool(parsed.get("bozo"))
    exc = parsed.get("bozo_exception")
    reason = _one_line(f"{type(exc).__name__}: {exc}") if bozo and exc is not None else None
    # Encoding notes and unusual content types are "soft": feedparser parsed the whole document.
    soft = bozo and isinstance(exc, feedparser.ThingsNobodyCaresAboutButMe)
    raw_entries = list(parsed.get("entries") or [])
    version = parsed.get("version") or ""
    feed = parsed.get("feed") or {}
    title = _text(feed.get("title")) if isinstance(feed, Mapping) else None
    if not raw_entries:
        if _looks_like_html(raw, content_type) and not version:
            ctype = f" ({content_type.split(';')[0].strip()})" if content_type else ""
            raise FeedError(f"HTML page, not a feed{ctype}")
        if not version and (bozo or not title):
            raise FeedError(f"not a feed: {reason or 'no RSS, Atom or RDF root element'}")
        if bozo and not soft:
            raise FeedError(f"malformed {version} feed with no entries: {reason}")
    entries, skipped = _dedupe(_xml_entries(raw_entries, base_url))
    return ParsedFeed(title, entries, bozo, _warning(reason, skipped), skipped)


def _xml_entries(raw_entries: Iterable[Any], base_url: str) -> Iterable[FeedEntry | None]:
    for e in raw_entries:
        if not isinstance(e, Mapping):
            yield None
            continue
        guid = _text(e.get("id"))
        link = _text(e.get("link"))
        if link is None and guid is not None and guid.startswith(("http://", "https://")):
            link = guid  # RSS guid / Atom id that is a URL: the best link there is
        absolute = _absolute(link, base_url)
        if absolute is None:
            yield None
            continue
        published = None
        for key in ("published_parsed", "updated_parsed", "created_parsed"):
            # dict.get skips FeedParserDict's deprecated updated->published key aliasing.
            published = _from_struct_time(dict.get(e, key) if isinstance(e, dict) else e.get(key))
            if published is not None:
                break
        yield FeedEntry(link=absolute, title=_text(e.get("title")), published=published,
                        summary=_text(e.get("summary")), guid=guid)


def _looks_like_json(data: bytes, content_type: str | None) -> bool:
    head = data.lstrip(b" \t\r\n\xef\xbb\xbf")
    if head.startswith(b"{"):
        return True
    return bool(content_type) and "json" in (content_type or "").lower() and not head.startswith(b"<")


def _parse_json_feed(data: bytes, base_url: str) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org): feedparser 6.0.14 cannot read it, json can."""
    text = data.decode("utf-8-sig", errors="replace")
    try:
        doc = json.loads(text)
    except RecursionError as exc:
        raise FeedError("JSON document nested too deeply") from exc
    except ValueError as exc:
        raise FeedError(_one_line(f"invalid JSON: {exc}")) from exc
    if not isinstance(doc, dict):
        raise FeedError("JSON document is not a JSON Feed (top level is not an object)")
    version = doc.get("version")
    items = doc.get("items")
    is_feed = isinstance(version, str) and "jsonfeed.org" in version
    if not isinstance(items, list):
        if is_feed:
            raise FeedError("JSON Feed without an items list")
        raise FeedError("JSON document is not a JSON Feed (no version, no items)")
    entries, skipped = _dedupe(_json_entries(items, base_url))
    warning = None if is_feed else "JSON document without a jsonfeed.org version"
    return ParsedFeed(_text(doc.get("title")), entries, not is_feed,
                      _warning(warning, skipped), skipped)


def _json_entries(items: list[Any], base_url: str) -> Iterable[FeedEntry | None]:
    for item in items:
        if not isinstance(item, dict):
            yield None
            continue
        raw_id = item.get("id")
        guid = _text(raw_id) if isinstance(raw_id, str) else (
            str(raw_id) if isinstance(raw_id, int | float) and not isinstance(raw_id, bool) else None)
        link = _text(item.get("url")) or _text(item.get("external_url"))
        absolute = _absolute(link, base_url)
        if absolute is None:
            yield None
            continue
        published = _from_iso(item.get("date_published")) or _from_iso(item.get("date_modified"))
        summary = _text(item.get("summary")) or _text(item.get("content_text"))
        yield FeedEntry(link=absolute, title=_text(item.get("title")), published=published,
                        summary=summary, guid=guid)


def _dedupe(candidates: Iterable[FeedEntry | None]) -> tuple[tuple[FeedEntry, ...], int]:
    """Keep the first entry for each link, in feed order; None stands for an unusable entry."""
    seen: set[str] = set()
    kept: list[FeedEntry] = []
    skipped = 0
    for entry in candidates:
        if entry is None or entry.link in seen:
            skipped += 1
            continue
        seen.add(entry.link)
        kept.append(entry)
    return tuple(kept), skipped


def _absolute(link: str | None, base_url: str) -> str | None:
    if not link:
        return None
    try:
        absolute = urljoin(base_url, link)
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:  # e.g. an invalid IPv6 literal in the link
        return None
    if scheme not in _LINK_SCHEMES or any(ch in absolute for ch in "\r\n\t\x00"):
        return None
    return absolute


def _from_struct_time(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        # feedparser's struct_time is UTC; timegm avoids the local time zone entirely.
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _from_iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # JSON Feed requires an offset; assume UTC without one
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _looks_like_html(raw: bytes, content_type: str | None) -> bool:
    if content_type and content_type.split(";")[0].strip().lower() in ("text/html",
                                                                       "application/xhtml+xml"):
        return True
    return _HTML_ROOT.search(raw[:4096]) is not None


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _warning(reason: str | None, skipped: int) -> str | None:
    parts = [reason] if reason else []
    if skipped:
        parts.append(f"{skipped} entries skipped (no usable link or repeated link)")
    return "; ".join(parts) or None


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_REASON else line[:_MAX_REASON - 1] + "…"
