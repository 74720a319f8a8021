"""parse_feed: RSS/Atom/JSON Feed, links, dates, encodings, salvage, defused DOCTYPEs, the corpus."""

from __future__ import annotations

import collections
import json
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser  # type: ignore[import-untyped]  # ships no type information
import pytest

from newswatch.core.feeds import ParsedFeed, defuse_xml, parse_feed
from newswatch.errors import FeedError

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
BASE = "https://news.example.org/feeds/main.xml"


def rss(items: str, *, decl: str = '<?xml version="1.0" encoding="utf-8"?>', head: str = "") -> bytes:
    return (f'{decl}\n{head}<rss version="2.0"><channel><title>Example</title>{items}'
            "</channel></rss>\n").encode()


def item(link: str, title: str = "T", extra: str = "") -> str:
    return f"<item><title>{title}</title><link>{link}</link>{extra}</item>"


# --- the normal path -------------------------------------------------------------------------

def test_rss_entries_are_absolute_dated_and_in_order() -> None:
    data = rss(item("/a/1", "First", "<pubDate>Tue, 02 Jan 2024 10:30:00 +0330</pubDate>"
                    "<guid>id-1</guid><description>Sum &amp; more</description>")
               + item("https://other.example.com/2", "Second"))
    feed = parse_feed(data, base_url=BASE, content_type="application/rss+xml; charset=utf-8")
    assert feed.title == "Example"
    assert not feed.bozo and feed.warning is None
    first, second = feed.entries
    assert first.link == "https://news.example.org/a/1"
    assert first.title == "First"
    assert first.published == datetime(2024, 1, 2, 7, 0, tzinfo=UTC)
    assert first.published is not None and first.published.utcoffset() is not None
    assert first.guid == "id-1"
    assert first.summary == "Sum & more"
    assert second.link == "https://other.example.com/2"
    assert second.published is None


def test_relative_links_resolve_against_a_file_url() -> None:
    base = "file:///srv/seeds/feeds/local.xml"
    feed = parse_feed(rss(item("../pages/a.html") + item("b.html")), base_url=base)
    assert [e.link for e in feed.entries] == ["file:///srv/seeds/pages/a.html",
                                              "file:///srv/seeds/feeds/b.html"]


def test_atom_with_xml_base_and_updated_date() -> None:
    data = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.net/posts/">
  <title>Atom</title>
  <entry><title>A</title><id>urn:uuid:1</id><link rel="alternate" href="one.html"/>
    <updated>2023-05-06T07:08:09Z</updated><summary>S</summary></entry>
</feed>"""
    feed = parse_feed(data, base_url=BASE, content_type="application/atom+xml")
    (entry,) = feed.entries
    assert entry.link == "https://blog.example.net/posts/one.html"
    assert entry.published == datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert entry.guid == "urn:uuid:1"


def test_duplicate_links_are_dropped_keeping_feed_order() -> None:
    data = rss(item("/x", "x1") + item("/y", "y") + item("/x", "x2") + item("/z", "z"))
    feed = parse_feed(data, base_url=BASE)
    assert [e.title for e in feed.entries] == ["x1", "y", "z"]
    assert feed.skipped == 1
    assert feed.warning is not None and "1 entries skipped" in feed.warning


def test_entries_without_a_usable_link_are_skipped_and_counted() -> None:
    data = rss("<item><title>no link</title></item>" + item("javascript:alert(1)")
               + item("mailto:a@b.c") + item("/ok")
               + "<item><title>guid</title><guid>https://g.example.com/p</guid></item>")
    feed = parse_feed(data, base_url=BASE)
    assert [e.link for e in feed.entries] == ["https://news.example.org/ok",
                                              "https://g.example.com/p"]
    assert feed.skipped == 3


def test_valid_feed_without_items_is_empty_not_an_error() -> None:
    feed = parse_feed(rss(""), base_url=BASE, content_type="application/rss+xml")
    assert feed.entries == () and feed.title == "Example" and not feed.bozo


# --- JSON Feed -------------------------------------------------------------------------------

def test_json_feed_items() -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "JF", "items": [
        {"id": "1", "url": "/posts/1", "title": "One", "date_published": "2024-03-01T12:00:00+02:00",
         "summary": "s1"},
        {"id": 2, "external_url": "https://elsewhere.example/2", "content_text": "body"},
        {"id": "3", "url": "/posts/1", "title": "dup"},
        "not an item",
        {"id": "5", "title": "no url"},
    ]}
    feed = parse_feed(json.dumps(doc).encode(), base_url=BASE, content_type="application/feed+json")
    assert feed.title == "JF" and not feed.bozo
    one, two = feed.entries
    assert one.link == "https://news.example.org/posts/1"
    assert one.published == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert one.summary == "s1"
    assert two.link == "https://elsewhere.example/2" and two.guid == "2" and two.summary == "body"
    assert feed.skipped == 3


@pytest.mark.parametrize(("data", "reason"), [
    (b'{"version": "https://jsonfeed.org/version/1", "items": {}}', "without an items list"),
    (b'{"hello": "world"}', "not a JSON Feed"),
    (b'{"items": [', "invalid JSON"),
    (b"{" * 5 + b"[" * 100_000, "JSON"),
])
def test_json_that_is_not_a_feed_fails_cleanly(data: bytes, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        parse_feed(data, base_url=BASE, content_type="application/json")


# --- nothing to salvage / salvage ------------------------------------------------------------

@pytest.mark.parametrize(("data", "ctype", "reason"), [
    (b"", None, "empty document"),
    (b"  \n\t ", "text/xml", "empty document"),
    (b"<!DOCTYPE html><html><head><title>Moved</title></head><body>Gone</body></html>",
     "text/html; charset=utf-8", "HTML page"),
    (b"<html><body><p>no content type given</p></body></html>", None, "HTML page"),
    (b"\x00\x01\x02 random garbage \xff\xfe\xfd", "application/octet-stream", "not a feed"),
    (b"just some plain text, no markup at all", "text/plain", "not a feed"),
    (b"<?xml version='1.0'?><rss version='2.0'><channel><title>cut", None, "no entries"),
])
def test_unsalvageable_documents_raise_feed_error(data: bytes, ctype: str | None,
                                                  reason: str) -> None:
    with pytest.raises(FeedError, match=reason) as info:
        parse_feed(data, base_url=BASE, content_type=ctype)
    assert "\n" not in str(info.value)


def test_bozo_feed_with_entries_is_salvaged() -> None:
    # Unescaped ampersand and no closing tags: not XML, but the loose parser gets both items.
    data = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken & co</title>'
            b"<item><title>A & B</title><link>http://e.example/a?x=1&y=2</link></item>"
            b"<item><title>C</title><link>http://e.example/c</link></item>")
    feed = parse_feed(data, base_url=BASE, content_type="application/rss+xml")
    assert feed.bozo
    assert feed.warning is not None and "SAXParseException" in feed.warning
    assert [e.link for e in feed.entries] == ["http://e.example/a?x=1&y=2", "http://e.example/c"]


def test_whitespace_before_xml_declaration_is_not_fatal() -> None:
    feed = parse_feed(b"\n\n  " + rss(item("/a")), base_url=BASE, content_type="text/xml; charset=utf-8")
    assert not feed.bozo and len(feed.entries) == 1


# --- encodings -------------------------------------------------------------------------------

ENCODED_TITLES = [
    ("utf-8", "Déjà vu — Tehran ۱۴۰۳"),
    ("utf-8-sig", "BOM first: naïve"),
    ("utf-16", "UTF-16 with BOM: Bagdad بغداد"),
    ("utf-16-le", "UTF-16 LE without BOM: ß"),
    ("utf-16-be", "UTF-16 BE without BOM: ø"),
    ("utf-32", "UTF-32: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"),
    ("iso-8859-1", "Café crème à Paris"),
    ("iso-8859-2", "Zażółć gęślą jaźń"),
    ("iso-8859-7", "Αθήνα ειδήσεις"),
    ("windows-1250", "Unijne fundusze – Łódź"),
    ("windows-1251", "Новости Москвы"),
    ("windows-1252", "“smart quotes” and €"),
    ("windows-1255", "חדשות ירושלים"),
    ("windows-1256", "أخبار بغداد"),
    ("koi8-r", "Новости дня"),
    ("big5", "台灣新聞"),
    ("gb2312", "新华社北京电"),
    ("shift_jis", "東京のニュース"),
    ("euc-jp", "日本語のニュース"),
    ("euc-kr", "서울 뉴스"),
    ("tis-620", "ข่าวไทย"),
]


@pytest.mark.parametrize(("codec", "title"), ENCODED_TITLES)
def test_declared_encodings_decode_correctly(codec: str, title: str) -> None:
    label = {"utf-8-sig": "utf-8", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}.get(codec, codec)
    text = (f'<?xml version="1.0" encoding="{label}"?>\n<rss version="2.0"><channel><title>{title}'
            f"</title><item><title>{title}</title><link>/a</link></item></channel></rss>")
    feed = parse_feed(text.encode(codec), base_url=BASE, content_type="application/rss+xml")
    assert feed.title == title
    assert [e.title for e in feed.entries] == [title]


def test_http_charset_overrides_the_xml_declaration() -> None:
    data = rss(item("/a", "Café")).decode().encode("iso-8859-1")  # declares utf-8, is latin-1
    feed = parse_feed(data, base_url=BASE, content_type="application/rss+xml; charset=iso-8859-1")
    assert not feed.bozo and feed.entries[0].title == "Café"


def test_wrong_declared_charset_falls_back_and_says_so() -> None:
    data = rss(item("/a", "Café “crème”")).decode().encode("windows-1252")  # says utf-8
    feed = parse_feed(data, base_url=BASE, content_type="application/rss+xml; charset=utf-8")
    assert feed.bozo and feed.warning is not None and "windows-1252" in feed.warning
    assert feed.entries[0].title == "Café “crème”"


# --- hostile XML -----------------------------------------------------------------------------

BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n <!ENTITY lol "lol">\n'
                  + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
                            for i in range(1, 10))
                  + ']>\n<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;'
                  "</title><link>http://e.example/a</link><description>&lol9;&lol9;</description>"
                  "</item></channel></rss>")


def _all_text(feed: ParsedFeed) -> str:
    parts: list[Any] = [feed.title, feed.warning]
    for e in feed.entries:
        parts += [e.link, e.title, e.summary, e.guid]
    return " ".join(p for p in parts if isinstance(p, str))


def test_billion_laughs_is_not_expanded_and_memory_stays_small() -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        feed = parse_feed(BILLION_LAUGHS.encode(), base_url=BASE, content_type="application/xml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    # Expanded, &lol9; is 10**9 "lol"s (3 GB); we allow 20 MB and 2 s for parsing a 1 kB document.
    assert peak < 20_000_000, f"peak {peak} bytes"
    assert elapsed < 2.0
    assert "lollol" not in _all_text(feed)
    assert [e.link for e in feed.entries] == ["http://e.example/a"]


@pytest.fixture
def audit() -> Iterator[list[tuple[str, str]]]:
    """Records file opens and socket connects made while the test body runs (sys.addaudithook)."""
    events: list[tuple[str, str]] = []
    active = [True]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if active[0] and event in ("open", "socket.connect", "urllib.Request"):
            events.append((event, repr(args[:2])))

    sys.addaudithook(hook)  # hooks cannot be removed; `active` switches this one off afterwards
    try:
        yield events
    finally:
        active[0] = False


def test_external_entities_cannot_read_files_or_reach_the_network(
        tmp_path: Path, audit: list[tuple[str, str]]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN-7f3a9c-do-not-leak\n")
    uri = secret.as_uri()
    data = (f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd" [\n'
            f'  <!ENTITY xxe SYSTEM "{uri}">\n'
            f'  <!ENTITY % remote SYSTEM "{uri}">\n  %remote;\n'
            f'  <!ENTITY net SYSTEM "http://169.254.169.254/latest/meta-data/">\n]>\n'
            '<rss version="2.0"><channel><title>&xxe;</title><item><title>&xxe;&net;</title>'
            "<link>http://e.example/a</link><description>&xxe;</description></item></channel>"
            "</rss>").encode()
    audit.clear()
    feed = parse_feed(data, base_url=BASE, content_type="application/rss+xml")
    touched = [e for e in audit if str(secret) in e[1] or e[0] != "open"]
    assert touched == [], touched
    assert "TOKEN-7f3a9c" not in _all_text(feed)
    assert [e.link for e in feed.entries] == ["http://e.example/a"]
    secret.read_text()  # control: the hook does see a read of the secret when one happens
    assert any(str(secret) in e[1] for e in audit)


def test_defuse_removes_doctype_with_tricky_internal_subset() -> None:
    data = (b'<?xml version="1.0"?>\n<!-- a comment -->\n<!DOCTYPE rss [\n'
            b'  <!ENTITY a "]> still inside">\n  <!-- don\'t stop at ]> here -->\n'
            b"  <!ENTITY b '>'>\n]>\n<rss version=\"2.0\"><channel/></rss>")
    out = defuse_xml(data)
    assert b"DOCTYPE" not in out and b"ENTITY" not in out
    assert out.startswith(b'<?xml version="1.0"?>\n<!-- a comment -->')
    assert out.rstrip().endswith(b'<rss version="2.0"><channel/></rss>')


def test_defuse_handles_utf16_and_leaves_clean_documents_untouched() -> None:
    doc = '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x [<!ENTITY e "v">]><rss/>'
    out = defuse_xml(doc.encode("utf-16"))
    assert out.decode("utf-16") == '<?xml version="1.0" encoding="utf-16"?><rss/>'
    clean = rss(item("/a"))
    assert defuse_xml(clean) is clean


# --- the real corpus -------------------------------------------------------------------------

def _manifest() -> list[dict[str, Any]]:
    path = CORPUS / "feeds" / "manifest.json"
    if not path.is_file():
        pytest.skip(f"corpus not found at {path}")
    records: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return records


def _content_type(record: dict[str, Any]) -> str | None:
    headers = record.get("http_headers") or {}
    return next((v for k, v in headers.items() if k.lower() == "content-type"), None)


def _feedparser_links(data: bytes, record: dict[str, Any], base: str) -> int:
    """Distinct usable links plain feedparser finds in the raw bytes: the floor we must reach."""
    parsed = feedparser.parse(data, response_headers=record.get("http_headers") or {})
    links: set[str] = set()
    for e in parsed.entries:
        link = e.get("link") or (e.get("id") if str(e.get("id", "")).startswith("http") else None)
        if isinstance(link, str) and link.strip():
            absolute = urljoin(base, link.strip())
            if urlsplit(absolute).scheme in ("http", "https", "file"):
                links.add(absolute)
    return len(links)


def test_every_corpus_feed_parses_or_fails_cleanly() -> None:
    records = _manifest()
    stats: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    ours = theirs = skipped = 0
    short: list[str] = []
    for record in records:
        path = CORPUS / record["path"]
        data = path.read_bytes()
        base = path.resolve().as_uri()
        expected = int(record["observed_feedparser_6_0_14"]["entries"])
        try:
            feed = parse_feed(data, base_url=base, content_type=_content_type(record))
        except FeedError as exc:
            assert "\n" not in str(exc)
            reasons[str(exc).split(":")[0]] += 1
            stats["feed_error"] += 1
            if expected:
                short.append(f"{record['path']}: FeedError {exc} but feedparser found {expected}")
            continue
        stats["salvaged_bozo" if feed.bozo else "parsed_ok"] += 1
        got = len(feed.entries)
        ours += got
        skipped += feed.skipped
        theirs += expected
        # Every entry feedparser saw is either returned or counted as skipped (no link / repeat)...
        if got + feed.skipped < expected:
            short.append(f"{record['path']}: {got}+{feed.skipped} skipped < {expected}")
        # ...and we return at least as many distinct usable links as feedparser on the raw bytes.
        floor = _feedparser_links(data, record, base)
        if got < floor:
            short.append(f"{record['path']}: {got} links < feedparser's {floor}")
        for e in feed.entries:
            assert e.published is None or e.published.utcoffset() is not None
    print(f"\ncorpus feeds: {len(records)} | parsed ok {stats['parsed_ok']} | salvaged bozo "
          f"{stats['salvaged_bozo']} | FeedError {stats['feed_error']} {dict(sorted(reasons.items()))}"
          f" | entries ours {ours} (+{skipped} without usable/new link) vs feedparser {theirs}")
    assert short == []
    assert stats["parsed_ok"] + stats["salvaged_bozo"] > 0.8 * len(records)


def test_corpus_json_feeds_yield_entries() -> None:
    records = [r for r in _manifest() if r["path"].endswith(".json")]
    assert records, "the corpus lists JSON Feeds"
    for record in records:
        path = CORPUS / record["path"]
        feed = parse_feed(path.read_bytes(), base_url=path.resolve().as_uri(),
                          content_type="application/feed+json")
        assert feed.entries, record["path"]
        assert all(urlsplit(e.link).scheme in ("http", "https") for e in feed.entries)
