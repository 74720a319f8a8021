"""Benchmark: the idle cost of a scheduled run — the real `monitor` flow when every feed answers 304 —
next to an empty Prefect flow, both under one prefect_test_harness server."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FEEDS = 5
MANY_FEEDS = 200   # the same idle run over hundreds of feeds: how its cost grows per feed


class FeedSite:
    """A loopback server: /feed-N.xml with an ETag (304 when the client sends it back), /page-N.html."""

    def __init__(self, feeds: int, page: bytes) -> None:
        self.feeds = feeds
        self.page = page
        self.port = 0
        self.statuses: Counter[int] = Counter()
        self.lock = threading.Lock()

    def feed(self, n: int) -> bytes:
        return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>feed {n}</title>"
                f"<link>http://127.0.0.1:{self.port}/</link><description>idle bench</description>"
                f"<item><title>page {n}</title><link>http://127.0.0.1:{self.port}/page-{n}.html</link>"
                f"<guid>page-{n}</guid><pubDate>Mon, 01 Jan 2024 12:00:00 +0000</pubDate></item>"
                "</channel></rss>").encode()

    def count(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1


@contextmanager
def serve(site: FeedSite) -> Iterator[FeedSite]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            name = self.path.lstrip("/")
            if name.startswith("feed-") and name.endswith(".xml"):
                n = int(name[5:-4])
                etag = f'"feed-{n}-v1"'
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", {"ETag": etag})
                    return
                self._send(200, site.feed(n), {"ETag": etag, "Content-Type": "application/rss+xml"})
            elif name.startswith("page-"):
                self._send(200, site.page, {"Content-Type": "text/html; charset=utf-8"})
            else:
                self._send(404, b"", {})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            site.count(status)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def _sources(root: Path, port: int, feeds: int) -> Path:
    lines = ["settings:", "  allow_private_hosts: true   # the feeds are on loopback", "sources:"]
    for n in range(feeds):
        lines += [f"  - id: idle-{n}", f"    url: http://127.0.0.1:{port}/feed-{n}.xml"]
    path = root / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(page: bytes, repeats: int, feeds: int = FEEDS, many: int = MANY_FEEDS) -> dict[str, Any]:
    """Median wall time of `monitor` with every feed answering 304, and of an empty flow, for `feeds`
    feeds (the target's figure) and, under the same harness, for `many` (how it grows with feeds)."""
    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    @flow(name="empty")
    def empty() -> None:
        return None

    t0 = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=180):
        harness_s = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        empty()
        first_empty_s = round(time.perf_counter() - t0, 3)
        out = _measure(empty, page, repeats, feeds)
        if many:
            out["many"] = _measure(empty, page, repeats, many)
    out.update(harness_start_s=harness_s, first_empty_s=first_empty_s)
    return out


def _measure(empty: Any, page: bytes, repeats: int, feeds: int) -> dict[str, Any]:
    """One site of `feeds` feeds: a first monitor run (200s, pages stored), then idle monitor runs
    (every feed 304) interleaved with empty flows."""
    import duckdb

    from flows.monitor import monitor

    site = FeedSite(feeds, page)
    out: dict[str, Any] = {"feeds": feeds}
    with tempfile.TemporaryDirectory() as tmp, serve(site):
        root = Path(tmp)
        sources = _sources(root, site.port, feeds)
        warehouse = root / "news.duckdb"
        t0 = time.perf_counter()
        first = monitor(sources=str(sources), warehouse=str(warehouse), workers=1)
        out["first_monitor_s"] = round(time.perf_counter() - t0, 3)
        out["first_counts"] = dict(getattr(first, "counts", {}))
        before = dict(site.statuses)
        idle: list[float] = []
        blank: list[float] = []
        last: Any = None
        for _ in range(max(1, repeats)):   # interleaved, so drift hits both alike
            t0 = time.perf_counter()
            last = monitor(sources=str(sources), warehouse=str(warehouse), workers=1)
            idle.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            empty()
            blank.append(time.perf_counter() - t0)
        after = dict(site.statuses)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            statuses = dict(con.execute(
                "SELECT status, count(*) FROM fetch_log WHERE kind = 'feed' GROUP BY 1").fetchall())
    out.update({
        "monitor_runs_s": [round(s, 3) for s in idle], "empty_runs_s": [round(s, 3) for s in blank],
        "monitor_median_s": statistics.median(idle), "empty_median_s": statistics.median(blank),
        "last_counts": dict(getattr(last, "counts", {})),
        "http_first_run": before,
        "http_measured_runs": {k: after.get(k, 0) - before.get(k, 0) for k in after},
        "fetch_log_feed_statuses": statuses,
    })
    out["overhead_s"] = out["monitor_median_s"] - out["empty_median_s"]
    return out
