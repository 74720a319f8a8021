"""Fuzzing parse_feed: random bytes and mutated real feeds; only FeedError may come out."""

from __future__ import annotations

import collections
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newswatch.core.feeds import ParsedFeed, parse_feed
from newswatch.errors import FeedError

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
BASE = "https://fuzz.example.org/feed.xml"
CONTENT_TYPES = [None, "application/rss+xml", "text/xml", "application/atom+xml; charset=utf-8",
                 "text/html; charset=big5", "application/json", "text/plain; charset=utf-16",
                 "application/xml; charset=bogus-charset"]
# Fragments that tend to reach odd corners: entities, DOCTYPEs, CDATA, encodings, BOMs, JSON.
TOKENS = [b"<", b">", b"&", b"&amp;", b"&#0;", b"&#x110000;", b"&#99999999999;", b"&lol;",
          b'<!DOCTYPE rss [<!ENTITY lol "lol">]>', b'<!ENTITY x SYSTEM "file:///etc/passwd">',
          b"<![CDATA[", b"]]>", b"\x00", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b'"', b"'",
          b"<item>", b"</item>", b"<entry>", b"<link>", b"</link>", b"<link href='//x'/>",
          b'<?xml version="1.0" encoding="utf-16"?>', b'<?xml version="1.0" encoding="\xe9"?>',
          b"xml:base='http://[::1'", b"<pubDate>Mon, 99 Foo 99999 99:99:99 +9999</pubDate>",
          b'{"version": "https://jsonfeed.org/version/1", "items": [', b"]}", b"null", b"\n"]
# Budget: examples are capped so the file runs in about 15 s on two cores, whatever the corpus.
RANDOM_EXAMPLES = 2000
MUTATED_EXAMPLES = 1500


def _check(feed: ParsedFeed) -> None:
    """Invariants of every successful parse."""
    links = [e.link for e in feed.entries]
    assert len(links) == len(set(links))
    for entry in feed.entries:
        assert urlsplit(entry.link).scheme in ("http", "https", "file")
        assert entry.published is None or entry.published.utcoffset() == timedelta(0)
        assert entry.title is None or entry.title == entry.title.strip()
    assert feed.warning is None or "\n" not in feed.warning


def _run(data: bytes, ctype: str | None, stats: collections.Counter[str]) -> None:
    try:
        feed = parse_feed(data, base_url=BASE, content_type=ctype)
    except FeedError as exc:
        message = str(exc)
        assert message and "\n" not in message
        stats["feedparser_crash" if message.startswith("feedparser failed") else "feed_error"] += 1
        return
    _check(feed)
    stats["bozo" if feed.bozo else "ok"] += 1


def test_random_bytes_only_raise_feed_error() -> None:
    stats: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()

    @settings(max_examples=RANDOM_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(st.binary(max_size=2048),
                     st.lists(st.sampled_from([*TOKENS, b"<rss version='2.0'><channel>", b"x"]),
                              max_size=60).map(b"".join)),
           st.sampled_from(CONTENT_TYPES))
    def run(data: bytes, ctype: str | None) -> None:
        _run(data, ctype, stats)

    run()
    print(f"\nfuzz random: {sum(stats.values())} inputs in {time.perf_counter() - started:.1f}s "
          f"{dict(sorted(stats.items()))}")


def _corpus_feeds() -> list[bytes]:
    folder = CORPUS / "feeds"
    if not (folder / "manifest.json").is_file():
        pytest.skip(f"corpus not found at {folder}")
    paths = sorted(p for p in folder.glob("*/*") if p.suffix in (".xml", ".json")
                   and ".expected." not in p.name and p.stat().st_size <= 100_000)
    return [p.read_bytes() for p in paths]


@st.composite
def mutated(draw: st.DrawFn, feeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(feeds)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["delete", "insert", "flip", "truncate", "duplicate"]))
        if op == "delete":
            del data[at:at + draw(st.integers(1, 200))]
        elif op == "insert":
            data[at:at] = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=16)))
        elif op == "flip" and data:
            data[at % len(data)] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(1, 400))]
    return bytes(data)


def test_mutated_corpus_feeds_only_raise_feed_error() -> None:
    feeds = _corpus_feeds()
    stats: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()

    @settings(max_examples=MUTATED_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated(feeds), st.sampled_from(CONTENT_TYPES))
    def run(data: bytes, ctype: str | None) -> None:
        _run(data, ctype, stats)

    run()
    print(f"\nfuzz mutated corpus ({len(feeds)} feeds): {sum(stats.values())} inputs in "
          f"{time.perf_counter() - started:.1f}s {dict(sorted(stats.items()))}")
    # Many mutations leave something recoverable; if almost none do, salvage is broken.
    assert stats["ok"] + stats["bozo"] >= 0.1 * sum(stats.values())
