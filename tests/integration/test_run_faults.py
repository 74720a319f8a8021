"""Whole runs against a real loopback server that misbehaves on purpose: every fault is survived.

One `monitor` run (the real Prefect flow) with one good feed and one source per fault: the run
completes, the good sources land, each faulty source leaves exactly one fetch_log row that says what
went wrong, and the exit code is 1. A second run, without Prefect so that the fetcher can trust the
test server's origin while keeping the private-address guard on, checks redirects to private
addresses and a host that does not resolve."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import pytest

from newswatch.config import load_config
from newswatch.io.http import HttpFetcher
from newswatch.pipeline import collect, runner
from newswatch.pipeline.runner import Summary
from tests.support.faultserver import WRONG_CHARSET_FEED, FaultServer

pytestmark = pytest.mark.slow

SETTINGS = """settings:
  allow_private_hosts: {private}
  timeout_s: 2
  max_bytes: 1000000
  retries: 1
  backoff_s: 0.05
  max_retry_after_s: 2
  workers: 1
sources:
"""
# source id -> (faultserver path, what its one fetch_log row must say). 1 MB cap, 2 s deadline.
FAULTS: dict[str, tuple[str, str]] = {
    "http-500": ("/status/500", "HTTP 500 Internal Server Error (after 2 attempts)"),
    "http-503": ("/status/503", "HTTP 503 Service Unavailable (after 2 attempts)"),
    "http-429": ("/status/429?retry_after=1", "HTTP 429 Too Many Requests, Retry-After 1"),
    "http-404": ("/status/404", "HTTP 404 Not Found (not retried)"),
    "http-410": ("/status/410", "HTTP 410 Gone (not retried)"),
    "connect-timeout": ("<blackhole>", "connect timeout after 2s"),
    "read-timeout": ("/hang", "no response headers within the 2s deadline"),
    "reset-mid-body": ("/reset", "connection broken mid-body"),
    "slow-drip": ("/drip?interval=0.2", "total deadline of 2s exceeded while reading the body"),
    "body-50mb": ("/big?mb=50", "body exceeds max_bytes=1000000"),
    "body-50mb-declared": ("/big?mb=50&length=1", "(Content-Length 52428800)"),
    "gzip-bomb": ("/gzip-bomb?mb=50", "decompressed body exceeds max_bytes=1000000"),
    "redirect-loop": ("/loop/a", "redirect loop"),
    "redirect-chain": ("/chain/9", "too many redirects"),
    "redirect-to-file": ("/redirect?to=" + quote("file:///etc/passwd"), "refused: scheme file"),
    "html-at-feed-url": ("/html", "HTML page, not a feed"),
}
# A windows-1252 page that says it is UTF-8 (in HTTP and in <meta>), linked by the windows-1252
# feed of faultserver's /wrong-charset route that also says UTF-8.
CAFE_PAGE = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Café “crème” à Paris</title>"
             "</head><body><article><h1>Café “crème” à Paris</h1>"
             "<p>Le café crème du matin coûte désormais deux euros dans la plupart des brasseries "
             "parisiennes, une hausse que les habitués déplorent à voix basse.</p>"
             "<p>Les serveurs, eux, rappellent que le prix du lait et de l’énergie a doublé en deux "
             "ans, et que la tasse reste moins chère qu’à Genève ou à Zurich.</p>"
             "</article></body></html>").encode("cp1252")


def q(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def seed_site(server: FaultServer, seeds: Path) -> int:
    """Serve the seed pages over loopback with an RSS feed linking them all; returns how many."""
    pages = sorted((seeds / "pages").glob("*.html"))
    items = []
    for page in pages:
        url = server.add_file(f"/site/{page.name}", page.read_bytes(), "text/html; charset=utf-8")
        items.append(f"<item><title>{html.escape(page.stem)}</title><link>{url}</link></item>")
    feed = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>seeds</title>"
            f"{''.join(items)}</channel></rss>").encode()
    server.add_file("/site/feed.xml", feed, "application/rss+xml")
    return len(pages)


def rows_by_source(db: Path) -> dict[str, list[tuple[str, str, str | None]]]:
    out: dict[str, list[tuple[str, str, str | None]]] = {}
    for source_id, kind, status, error in q(db, "SELECT source_id, kind, status, error FROM fetch_log "
                                                "ORDER BY source_id, kind, url"):
        out.setdefault(source_id, []).append((kind, status, error))
    return out


@pytest.mark.usefixtures("prefect_harness")
def test_monitor_survives_every_fault(seed_project: Path) -> None:
    from flows.monitor import monitor

    db = seed_project / "warehouse" / "news.duckdb"
    with FaultServer() as server:
        n_seed_pages = seed_site(server, seed_project / "seeds")
        cafe_url = server.add_file("/cafe.html", CAFE_PAGE, "text/html; charset=utf-8")
        server.add_file("/wrong-charset.xml", WRONG_CHARSET_FEED.replace(b"http://example.com/cafe",
                                                                         cafe_url.encode()),
                        "application/rss+xml; charset=utf-8")
        lines = [SETTINGS.format(private="true"),
                 f"  - id: good\n    url: {server.url('/site/feed.xml')}\n",
                 f"  - id: wrong-charset\n    url: {server.url('/wrong-charset.xml')}\n"]
        for sid, (path, _) in FAULTS.items():
            url = server.blackhole_url if path == "<blackhole>" else server.url(path)
            lines.append(f"  - id: {sid}\n    url: {url}\n")
        sources = seed_project / "sources.yaml"
        sources.write_text("".join(lines), encoding="utf-8")
        summary = monitor(sources=str(sources), warehouse=str(db), notify=[], lock_timeout=10, workers=1)

    assert isinstance(summary, Summary), summary
    assert summary.exit_code == 1
    assert q(db, "SELECT status FROM runs") == [("partial",)]
    rows = rows_by_source(db)

    # The good sources landed in full.
    assert all(status == "ok" for _, status, _ in rows["good"]), rows["good"]
    assert q(db, "SELECT status, count(*) FROM pages WHERE source_id = 'good' GROUP BY 1") == [
        ("processed", n_seed_pages)]
    assert q(db, "SELECT count(*) FROM articles WHERE source_id = 'good'") == [(n_seed_pages,)]
    assert summary.counts["events_new"] >= 1
    # Wrong declared charset, in the feed and in the page: repaired, not failed.
    assert rows["wrong-charset"] == [("feed", "ok", None), ("page", "ok", None)]
    [(feed_title, text)] = q(db, "SELECT p.feed_title, a.text FROM pages p JOIN articles a USING (article_id) "
                                 "WHERE p.source_id = 'wrong-charset'")
    assert feed_title == "Café “crème”"
    assert "Le café crème du matin coûte désormais deux euros" in text and "\ufffd" not in text

    # Each fault: exactly one row, an error or refusal that says what happened; nothing stored.
    survived: dict[str, str] = {}
    for sid, (_, expected) in FAULTS.items():
        assert len(rows.get(sid, [])) == 1, (sid, rows.get(sid))
        [(kind, status, error)] = rows[sid]
        assert kind == "feed" and status in ("error", "refused"), (sid, status, error)
        assert error and expected in error, (sid, error)
        assert any(f.startswith(f"{sid}: feed {status}:") for f in summary.failures), (sid, summary.failures)
        survived[sid] = error
    stored = q(db, "SELECT DISTINCT source_id FROM pages UNION SELECT DISTINCT source_id FROM feed_state")
    assert {s for (s,) in stored} == {"good", "wrong-charset"}
    assert summary.counts["errors"] == len(FAULTS)

    print(f"\nfaults survived: {len(survived)} (exit code {summary.exit_code}; the good source landed "
          f"{n_seed_pages} articles, the wrong-charset feed and page were decoded)")
    for sid, error in survived.items():
        print(f"  {sid:20s} {error}")


def test_private_redirects_are_refused_and_dns_failures_recorded(seed_project: Path) -> None:
    """With the guard on (allow_private_hosts: false) and only the test server's own origin trusted:
    redirects to private addresses are refused before any connection, and a feed linking a host that
    does not resolve records that link as an error instead of ending the source."""
    db = seed_project / "warehouse" / "news.duckdb"
    # A local feed (beside sources.yaml) whose one link names a host that cannot resolve (RFC 2606).
    (seed_project / "dns.xml").write_text(
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>dns</title><item>"
        "<title>Nowhere</title><link>http://no-such-host.invalid/news/1.html</link></item>"
        "</channel></rss>", encoding="utf-8")
    with FaultServer() as server:
        redirects = {
            "to-link-local": ("http://169.254.169.254/latest/meta-data/", "link-local address"),
            "to-private": ("http://10.1.2.3/admin", "private address"),
            "to-loopback-name": (f"http://localhost:{server.port}/site/feed.xml", "loopback address"),
        }
        lines = [SETTINGS.format(private="false"),
                 "  - id: good\n    url: seeds/feeds/en-wire.xml\n",
                 "  - id: dns-failure\n    url: dns.xml\n"]
        lines += [f"  - id: {sid}\n    url: {server.url('/redirect?to=' + quote(target))}\n"
                  for sid, (target, _) in redirects.items()]
        sources = seed_project / "sources.yaml"
        sources.write_text("".join(lines), encoding="utf-8")
        fetcher = HttpFetcher(load_config(sources).settings, trusted_origins=[server.base_url])
        ctx = runner.open_run("monitor", sources=sources, warehouse=db, fetcher=fetcher, lock_timeout=10)
        for source in ctx.config.sources:      # what flows/monitor.py does, minus Prefect
            outcome = collect.collect_source(ctx, source, None)
            ctx.counts["errors"] += outcome.errors
            ctx.failures.extend(outcome.messages)
        runner.process_pending(ctx)
        summary = runner.finish_run(ctx)
        assert server.hits("/site/feed.xml") == 0

    assert summary.exit_code == 1
    rows = rows_by_source(db)
    for sid, (_, reason) in redirects.items():
        [(kind, status, error)] = rows[sid]
        assert (kind, status) == ("feed", "refused") and error and reason in error, (sid, error)
    feed_row, (kind, status, dns_error) = rows["dns-failure"]
    assert feed_row == ("feed", "ok", None)
    assert (kind, status) == ("page", "error") and "no-such-host.invalid" in str(dns_error), dns_error
    assert all(status == "ok" for _, status, _ in rows["good"])
    landed = q(db, "SELECT count(*) FROM articles WHERE source_id = 'good'")[0][0]
    assert landed == len(rows["good"]) - 1 and landed >= 1      # every page of the good feed
    print(f"\nguarded redirects refused: {len(redirects)}; DNS failure recorded: {dns_error}")
