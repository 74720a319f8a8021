"""Real-world corpus sweep: all 199 feeds and 378 pages of ../shared/corpus through the real pipeline.

Everything is served by one loopback HTTP server (feeds with the manifest's Content-Type and HTTP
headers, pages with the charset their meta.json declares) and goes through collect, processing and
storage exactly as a run does, without Prefect (for speed). The checks: no crash, one fetch_log row
per feed, every page either an article or a failed row with a reason, malformed feeds salvaged,
legacy-charset pages decoded (or failed) cleanly."""

from __future__ import annotations

import html
import json
import re
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import feedparser  # type: ignore[import-untyped]  # ships no type information
import pytest

from newswatch.config import load_config
from newswatch.io.http import HttpFetcher
from newswatch.models import FetchResult
from newswatch.pipeline import collect, runner
from newswatch.pipeline.collect import SourceOutcome
from tests.support.faultserver import FaultServer

pytestmark = pytest.mark.slow

PAGES_SOURCE = "corpus-pages"
# The one page the corpus README lists as declaring UTF-8 while containing invalid bytes: the
# replacement character is the honest result for those bytes, so a few are allowed there.
INVALID_BYTES_PAGE = "radiomaryja.pl"
MAX_REPLACEMENTS_THERE = 5
# UTF-8 read as latin-1/cp1252 ("Ã¤", "Ã©", "Å‚", "Ä…"): the signature of a page decoded wrongly.
MOJIBAKE = re.compile("[\u00c2\u00c3\u00c4\u00c5][\u0080-\u00bf\u201a\u201e\u2020\u2021\u2026\u2122]")


class LoopbackOnly:
    """The real HttpFetcher for the test server; every other URL is refused without any network.

    The corpus feeds link thousands of real sites. This machine has no internet, and DNS failures
    can take seconds each, so those links are answered here with a 'refused' result, which the
    pipeline records like any refusal. Everything the test serves goes through HttpFetcher."""

    def __init__(self, inner: HttpFetcher, base_url: str) -> None:
        self.inner = inner
        self.netloc = urlsplit(base_url).netloc

    def _ours(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        return parts.scheme == "http" and parts.netloc == self.netloc

    def _refuse(self, url: str) -> FetchResult:
        return FetchResult(url=url, final_url=url, status="refused", attempts=0,
                           error="refused: off-box link, not fetched by the offline corpus sweep")

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        if self._ours(url):
            return self.inner.fetch(url, etag=etag, last_modified=last_modified)
        return self._refuse(url)

    def fetch_many(self, urls: Sequence[str]) -> list[FetchResult]:
        fetched = iter(self.inner.fetch_many([u for u in urls if self._ours(u)]))
        return [next(fetched) if self._ours(u) else self._refuse(u) for u in urls]


def feed_headers(record: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Content-Type and other headers to serve a corpus feed with (the manifest's http_headers)."""
    headers = dict(record.get("http_headers") or {})
    ctype = next((headers.pop(k) for k in list(headers) if k.lower() == "content-type"), None)
    if ctype is None:   # what a plain web server sends for the file's extension
        ctype = "application/feed+json" if record["path"].endswith(".json") else "application/xml"
    return ctype, headers


def salvageable_links(data: bytes, record: dict[str, Any]) -> int:
    """For a feed feedparser itself (not our code) flags as malformed (bozo) yet still returns entries
    from: how many distinct http(s) entry links it recovers. 0 for the others."""
    observed = record["observed_feedparser_6_0_14"]
    if not (observed["bozo"] and observed["entries"]):   # the manifest says which; skip parsing the rest
        return 0
    headers = {k.lower(): v for k, v in (record.get("http_headers") or {}).items()}
    parsed = feedparser.parse(data, response_headers=headers or None)
    if not parsed.bozo:
        return 0
    return len({e.get("link") for e in parsed.entries
                if str(e.get("link") or "").startswith(("http://", "https://"))})


def reason(error: str) -> str:
    """A failure message without its URL, host, numbers and file-specific detail: a reason to count."""
    text = re.sub(r"\s*\(after \d+ attempts\)", "", error)
    text = re.sub(r"https?://\S+|file://\S+", "<url>", text)
    text = re.sub(r"<unknown>:\d+:\d+", "<pos>", text)
    text = re.sub(r"\d+", "N", text)
    return text[:90]


def q(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_every_corpus_feed_and_page_goes_through_the_pipeline(corpus: Path, tmp_path: Path) -> None:
    feeds: list[dict[str, Any]] = json.loads((corpus / "feeds" / "manifest.json").read_text("utf-8"))
    pages: list[dict[str, Any]] = json.loads((corpus / "html" / "manifest.json").read_text("utf-8"))
    assert (len(feeds), len(pages)) == (199, 378)
    metas = [json.loads((corpus / (p["path"].removesuffix(".html") + ".meta.json")).read_text("utf-8"))
             for p in pages]
    db = tmp_path / "warehouse" / "news.duckdb"
    started = time.monotonic()
    outcomes: dict[str, SourceOutcome] = {}
    crashes: dict[str, str] = {}
    feed_ids = [f"f-{i:03d}" for i in range(len(feeds))]
    salvageable: dict[str, int] = {}

    with FaultServer() as server:
        for sid, record in zip(feed_ids, feeds, strict=True):
            data = (corpus / record["path"]).read_bytes()
            ctype, headers = feed_headers(record)
            server.add_file(f"/feeds/{sid}", data, ctype, headers=headers)
            salvageable[sid] = salvageable_links(data, record)
        page_urls: list[str] = []
        items = []
        for i, (page, meta) in enumerate(zip(pages, metas, strict=True)):
            charset = meta.get("declared_charset")
            path = f"/pages/{i:03d}.html"
            server.add_file(path, (corpus / page["path"]).read_bytes(),
                            f"text/html; charset={charset}" if charset else "text/html")
            page_urls.append(server.url(path))
            items.append(f"<item><title>{html.escape(page['name'])}</title><link>{server.url(path)}</link>"
                         f"<guid isPermaLink='false'>corpus-{i:03d}</guid></item>")
        pages_feed = tmp_path / "corpus-pages.xml"
        pages_feed.write_text("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
                              f"<title>corpus pages</title>{''.join(items)}</channel></rss>", encoding="utf-8")
        server.add_file("/corpus-pages.xml", pages_feed.read_bytes(), "application/rss+xml")

        lines = ["settings:\n  allow_private_hosts: true\n  timeout_s: 5\n  workers: 2\nsources:\n"]
        lines += [f"  - id: {sid}\n    url: {server.url(f'/feeds/{sid}')}\n" for sid in feed_ids]
        lines.append(f"  - id: {PAGES_SOURCE}\n    url: {server.url('/corpus-pages.xml')}\n")
        sources = tmp_path / "sources.yaml"
        sources.write_text("".join(lines), encoding="utf-8")

        fetcher = LoopbackOnly(HttpFetcher(load_config(sources).settings), server.base_url)
        ctx = runner.open_run("monitor", sources=sources, warehouse=db, fetcher=fetcher, lock_timeout=10)
        for source in ctx.config.sources:
            try:
                outcomes[source.id] = collect.collect_source(ctx, source, None)
            except Exception as exc:  # a crash is what this sweep counts; every one is reported below
                crashes[source.id] = f"{type(exc).__name__}: {exc}"
        collected = time.monotonic()
        runner.process_pending(ctx)
        summary = runner.finish_run(ctx)
    elapsed = time.monotonic() - started

    assert crashes == {}, crashes

    # Feeds: exactly one feed row each; a failed one says why; salvageable feeds give their entries.
    per_source = dict(q(db, "SELECT source_id, count(*) FROM fetch_log WHERE kind = 'feed' GROUP BY 1"))
    assert per_source == dict.fromkeys([*feed_ids, PAGES_SOURCE], 1)
    feed_rows = {sid: (status, error) for sid, status, error in q(
        db, "SELECT source_id, status, error FROM fetch_log WHERE kind = 'feed'")}
    failed_feeds = {sid: err for sid, (status, err) in feed_rows.items() if status != "ok"}
    assert all(err and err.strip() for err in failed_feeds.values()), failed_feeds
    assert all(status in ("ok", "error", "refused") for status, _ in feed_rows.values())
    lost = {sid: (feed_rows[sid], outcomes[sid].entries, n) for sid, n in salvageable.items()
            if n and (feed_rows[sid][0] != "ok" or outcomes[sid].entries < n)}
    assert lost == {}, lost
    bozo_salvaged = [sid for sid, n in salvageable.items() if n]
    json_feeds = [sid for sid, rec in zip(feed_ids, feeds, strict=True) if rec["path"].endswith(".json")]
    assert all(outcomes[sid].entries > 0 for sid in json_feeds), {s: outcomes[s].entries for s in json_feeds}
    assert q(db, "SELECT count(*) FROM fetch_log WHERE status IN ('error', 'refused') "
                 "AND coalesce(trim(error), '') = ''") == [(0,)]

    # Pages: each one is an article or a failed row with its reason; nothing left pending.
    rows = {url: (status, article_id, error) for url, status, article_id, error in q(
        db, "SELECT url, status, article_id, error FROM pages WHERE source_id = ?", PAGES_SOURCE)}
    fetch_errors = dict(q(db, "SELECT url, error FROM fetch_log WHERE source_id = ? AND kind = 'page' "
                              "AND status <> 'ok'", PAGES_SOURCE))
    unaccounted = []
    for url in page_urls:
        status, article_id, error = rows.get(url, (None, None, None))
        ok = (status in ("processed", "duplicate_url") and article_id) or (
            status == "failed" and error and error.strip()) or (status is None and fetch_errors.get(url))
        if not ok:
            unaccounted.append((url, status, article_id, error))
    assert unaccounted == [], unaccounted
    assert q(db, "SELECT count(*) FROM pages WHERE status = 'pending'") == [(0,)]

    # Legacy charsets and invalid bytes: decoded right (no U+FFFD, no mojibake, the right language)
    # or failed with a reason.
    texts = dict(q(db, "SELECT p.url, a.text FROM pages p JOIN articles a USING (article_id) "
                       "WHERE p.source_id = ?", PAGES_SOURCE))
    languages = dict(q(db, "SELECT p.url, a.language FROM pages p JOIN articles a USING (article_id) "
                           "WHERE p.source_id = ?", PAGES_SOURCE))
    legacy = [(url, page, meta) for url, page, meta in zip(page_urls, pages, metas, strict=True)
              if not meta["valid_utf8"] or (meta.get("declared_charset") or "utf-8").lower() != "utf-8"]
    assert sum(1 for _, _, m in legacy if not m["valid_utf8"]) == 8      # the README's eight pages
    charset_report: list[str] = []
    bad_decoding: list[tuple[str, str]] = []
    for url, page, meta in legacy:
        label = f"{page['name'][:40]} ({meta.get('declared_charset')}, valid_utf8={meta['valid_utf8']})"
        if url not in texts:
            charset_report.append(f"{label}: failed: {rows.get(url, (None, None, fetch_errors.get(url)))[2]}")
            continue
        text = texts[url]
        replacements = text.count("\ufffd")
        allowed = MAX_REPLACEMENTS_THERE if INVALID_BYTES_PAGE in page["name"] else 0
        if replacements > allowed:
            bad_decoding.append((label, f"{replacements} U+FFFD"))
        if MOJIBAKE.search(text):
            bad_decoding.append((label, f"mojibake {MOJIBAKE.search(text)!r}"))
        if meta.get("lang") and languages[url] != meta["lang"]:
            bad_decoding.append((label, f"language {languages[url]} (expected {meta['lang']})"))
        charset_report.append(f"{label}: {len(text)} chars, {replacements} U+FFFD, language {languages[url]}")
    assert bad_decoding == [], bad_decoding

    # The figures.
    page_status = Counter(status for status, _, _ in rows.values())
    failures = Counter(f"{kind} {status}: {reason(err or '')}" for kind, status, err in q(
        db, "SELECT kind, status, error FROM fetch_log WHERE status IN ('error', 'refused')"))
    failures.update(f"page extraction failed: {reason(err)}" for status, _, err in rows.values()
                    if status == "failed")
    print(f"\ncorpus sweep: {len(feeds)} feeds + {len(pages)} pages in {elapsed:.1f} s "
          f"(collect {collected - started:.1f} s), crashes: {len(crashes)}")
    print(f"  feeds: {sum(feed_rows[s][0] == 'ok' for s in feed_ids)} ok, "
          f"{len(failed_feeds)} failed with a reason; {len(bozo_salvaged)} bozo feeds salvaged "
          f"({sum(outcomes[s].entries for s in bozo_salvaged)} entries); "
          f"{sum(o.entries for s, o in outcomes.items() if s != PAGES_SOURCE)} entries in all")
    print(f"  pages: {dict(sorted(page_status.items()))}; summary counts: {dict(sorted(summary.counts.items()))}")
    print("  failures by reason:")
    for text, n in failures.most_common():
        print(f"    {n:5d}  {text}")
    print("  legacy charsets / invalid bytes:")
    for line in charset_report:
        print(f"    {line}")
