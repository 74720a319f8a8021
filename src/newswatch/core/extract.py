"""HTML bytes -> text and metadata in one trafilatura pass, with honest charset decoding and cleaning."""

from __future__ import annotations

import codecs
import re
from datetime import UTC, datetime

from charset_normalizer import from_bytes
from trafilatura import bare_extraction
from trafilatura.settings import Document

from newswatch.core.clean import clean_text
from newswatch.errors import ExtractionError
from newswatch.models import Extracted

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
PUBLISHED_META = re.compile(
    r"""<meta[^>]+(?:property|name|itemprop)\s*=\s*["'](?:article:published_time|datePublished|pubdate|"""
    r"""date|dc\.date|og:published_time)["'][^>]*content\s*=\s*["']([^"']{8,40})["']""", re.IGNORECASE)
BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ")
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
MIN_TEXT_CHARS = 25


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Bytes -> str: a BOM, then the HTTP charset, then <meta charset>, then detection; bad bytes replaced.

    A declared charset that fails to decode strictly is not trusted (servers often lie); detection
    (charset_normalizer) decides then, and UTF-8 with replacement is the last resort."""
    for bom, bom_enc in BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(bom_enc, errors="replace")
    declared: list[str] = []
    if content_type and (m := HTTP_CHARSET.search(content_type)):
        declared.append(m.group(1))
    if m2 := META_CHARSET.search(data[:4096]):
        declared.append(m2.group(1).decode("ascii", "ignore"))
    for name in declared:
        enc = _codec(name)
        if enc is None:
            continue
        # Browsers read latin-1 labels as windows-1252; so do we.
        if enc in ("latin-1", "iso8859-1", "ascii"):
            enc = "cp1252"
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            if enc == "utf-8" and (mostly := _mostly_utf8(data)) is not None:
                return mostly
            continue
    mostly = _mostly_utf8(data)
    if mostly is not None:
        return mostly
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    return data.decode("utf-8", errors="replace")


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few stray bytes is still UTF-8 (a common server bug): replace those bytes only."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    return text if bad <= max(3, len(text) // 2000) else None


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in (DATE_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _published(html: str, found: datetime | None) -> datetime | None:
    """trafilatura (htmldate) often keeps only the day; take the time from the page's own metadata
    when it names the same day."""
    m = PUBLISHED_META.search(html[:100_000])
    precise = _parse_date(m.group(1)) if m else None
    if precise is None:
        return found
    if found is None or found.date() == precise.date() or (found.hour, found.minute) == (0, 0):
        return precise
    return found


def _strip_site(title: str | None, sitename: str | None) -> str | None:
    if not title:
        return None
    title = title.strip()
    if sitename:
        site = sitename.strip().lower()
        for sep in TITLE_SEPARATORS:
            head, _, tail = title.rpartition(sep)
            if head and tail.strip().lower() == site:
                return head.strip()
            first, _, rest = title.partition(sep)
            if rest and first.strip().lower() == site:
                return rest.strip()
    return title


def extract(html: bytes | str, *, url: str, content_type: str | None = None) -> Extracted:
    """One page -> clean text and metadata. Raises ExtractionError when no text comes out."""
    text_html = html if isinstance(html, str) else decode_html(html, content_type)
    try:
        doc = bare_extraction(text_html, url=url, with_metadata=True, include_comments=False,
                              include_tables=True, date_extraction_params={"outputformat": DATE_FORMAT,
                                                                           "original_date": True})
    except Exception as exc:  # trafilatura/lxml raise many types on broken markup; one line for the log
        raise ExtractionError(f"extraction failed: {exc.__class__.__name__}: {str(exc)[:200]}") from None
    if not isinstance(doc, Document) or not (doc.text or "").strip():
        raise ExtractionError("no article text found in the page")
    text = clean_text(doc.text or "")
    if len(text) < MIN_TEXT_CHARS:
        raise ExtractionError(f"article text too short after cleaning ({len(text)} chars)")
    return Extracted(
        text=text,
        title=_strip_site(doc.title, doc.sitename),
        author=doc.author or None,
        date=_published(text_html, _parse_date(doc.date)),
        sitename=doc.sitename or None,
        canonical_url=doc.url or None,
        description=doc.description or None,
    )
