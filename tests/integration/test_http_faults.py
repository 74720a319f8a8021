"""HttpFetcher against a real loopback server that fails on purpose: every fault ends in one line."""

from __future__ import annotations

import gzip
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote

import pytest

from newswatch.core.feeds import parse_feed
from newswatch.errors import FeedError
from newswatch.io.http import FakeFetcher, HttpFetcher
from newswatch.models import FetchResult, Settings
from tests.support.faultserver import SMALL_FEED, FaultServer

NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
MAX_BYTES = 1_000_000
SETTINGS = Settings(allow_private_hosts=True, timeout_s=1.0, max_bytes=MAX_BYTES, retries=2,
                    backoff_s=0.01, max_retry_after_s=5.0, user_agent="newswatch-test/1")
SURVIVED: dict[str, str] = {}  # fault -> the one-line explanation we got


class SleepRecorder:
    """Stands in for time.sleep: records the delays asked for and waits not at all."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def fetcher(sleeps: SleepRecorder) -> Iterator[HttpFetcher]:
    with HttpFetcher(SETTINGS, clock=lambda: NOW, sleep=sleeps) as f:
        yield f


def survived(fault: str, result: FetchResult) -> None:
    assert result.error is not None and result.error.strip()
    assert "\n" not in result.error, result.error
    assert result.fetched_at == NOW
    SURVIVED[fault] = result.error


# --- retried faults --------------------------------------------------------------------------

@pytest.mark.parametrize("code", [500, 503])
def test_5xx_is_retried_with_exponential_backoff(server: FaultServer, fetcher: HttpFetcher,
                                                 sleeps: SleepRecorder, code: int) -> None:
    path = f"/status/{code}"
    before = server.hits(path)
    result = fetcher.fetch(server.url(path))
    assert result.status == "error" and result.http_status == code
    assert result.attempts == 3 and server.hits(path) - before == 3
    assert sleeps.delays == [0.01, 0.02]
    assert result.error is not None and f"HTTP {code}" in result.error and "3 attempts" in result.error
    survived(f"HTTP {code}", result)


def test_transient_failure_then_success(server: FaultServer, fetcher: HttpFetcher,
                                        sleeps: SleepRecorder) -> None:
    result = fetcher.fetch(server.url("/flaky/twice?fail=2&code=503"))
    assert result.status == "ok" and result.http_status == 200
    assert result.body == SMALL_FEED and result.attempts == 3 and result.error is None
    assert len(sleeps.delays) == 2


def test_429_retry_after_seconds_is_honoured(server: FaultServer, fetcher: HttpFetcher,
                                             sleeps: SleepRecorder) -> None:
    result = fetcher.fetch(server.url("/flaky/ra-seconds?fail=1&code=429&retry_after=3"))
    assert result.status == "ok" and result.attempts == 2
    assert sleeps.delays == [3.0]


def test_429_retry_after_http_date_is_honoured(server: FaultServer, fetcher: HttpFetcher,
                                               sleeps: SleepRecorder) -> None:
    when = quote(format_datetime(NOW + timedelta(seconds=4), usegmt=True))
    result = fetcher.fetch(server.url(f"/flaky/ra-date?fail=1&code=429&retry_after={when}"))
    assert result.status == "ok"
    assert sleeps.delays == [4.0]


def test_retry_after_is_capped(server: FaultServer, fetcher: HttpFetcher,
                               sleeps: SleepRecorder) -> None:
    result = fetcher.fetch(server.url("/status/429?retry_after=3600"))
    assert result.status == "error" and result.http_status == 429
    assert sleeps.delays == [SETTINGS.max_retry_after_s] * 2
    survived("HTTP 429 + Retry-After", result)


def test_retry_after_really_waits(server: FaultServer) -> None:
    # The real clock and time.sleep: the second request must come at least 1 s after the first.
    with HttpFetcher(SETTINGS) as real:
        result = real.fetch(server.url("/flaky/ra-real?fail=1&code=503&retry_after=1"))
    first, second = server.hit_times("/flaky/ra-real")
    assert result.status == "ok" and result.attempts == 2
    assert second - first >= 0.95
    assert result.fetched_at is not None and result.fetched_at.tzinfo is not None


@pytest.mark.parametrize("code", [404, 410])
def test_4xx_is_not_retried(server: FaultServer, fetcher: HttpFetcher, sleeps: SleepRecorder,
                            code: int) -> None:
    path = f"/status/{code}"
    before = server.hits(path)
    result = fetcher.fetch(server.url(path))
    assert result.status == "error" and result.http_status == code and result.attempts == 1
    assert server.hits(path) - before == 1 and sleeps.delays == []
    assert result.error is not None and "not retried" in result.error
    survived(f"HTTP {code}", result)


# --- time limits -----------------------------------------------------------------------------

def _timed(fetcher: HttpFetcher, url: str) -> tuple[FetchResult, float]:
    started = time.monotonic()
    result = fetcher.fetch(url)
    return result, time.monotonic() - started


@pytest.fixture
def once(sleeps: SleepRecorder) -> Iterator[HttpFetcher]:
    """No retries, so each timing below is one attempt."""
    settings = Settings(**{**SETTINGS.__dict__, "retries": 0})
    with HttpFetcher(settings, clock=lambda: NOW, sleep=sleeps) as f:
        yield f


def test_connect_timeout(server: FaultServer, once: HttpFetcher) -> None:
    result, elapsed = _timed(once, server.blackhole_url)
    assert result.status == "error" and result.http_status is None
    assert result.error is not None and "connect timeout" in result.error
    assert 0.9 <= elapsed < 1.8
    survived("connect timeout", result)


def test_read_timeout(server: FaultServer, once: HttpFetcher) -> None:
    result, elapsed = _timed(once, server.url("/hang"))
    assert result.status == "error"
    assert result.error is not None and "no response headers" in result.error
    assert 0.9 <= elapsed < 1.8
    survived("read timeout", result)


def test_slow_drip_is_ended_by_the_total_deadline(server: FaultServer, once: HttpFetcher) -> None:
    result, elapsed = _timed(once, server.url("/drip?interval=0.05"))
    assert result.status == "error" and result.http_status == 200
    assert result.error is not None and "total deadline of 1s exceeded" in result.error
    assert elapsed < 1.8
    survived("slow drip", result)


def test_retries_of_timeouts_are_bounded_too(server: FaultServer, fetcher: HttpFetcher,
                                             sleeps: SleepRecorder) -> None:
    result, elapsed = _timed(fetcher, server.url("/drip?interval=0.05"))
    assert result.attempts == 3 and len(sleeps.delays) == 2
    assert elapsed < 3 * SETTINGS.timeout_s + 1.0


def test_connection_reset_mid_body(server: FaultServer, fetcher: HttpFetcher) -> None:
    result = fetcher.fetch(server.url("/reset"))
    assert result.status == "error" and result.attempts == 3
    assert result.error is not None and "mid-body after 1000 bytes" in result.error
    survived("connection reset mid-body", result)


# --- size limits -----------------------------------------------------------------------------

def test_50mb_chunked_body_is_cut_at_max_bytes(server: FaultServer, once: HttpFetcher) -> None:
    result, elapsed = _timed(once, server.url("/big?mb=50"))
    assert result.status == "error" and result.http_status == 200
    assert result.body is not None and len(result.body) == MAX_BYTES
    assert result.error == f"body exceeds max_bytes={MAX_BYTES}"
    assert elapsed < 1.5  # stopped early, did not download 50 MB
    survived("50 MB body", result)


def test_declared_oversize_body_is_refused_without_reading(server: FaultServer,
                                                           once: HttpFetcher) -> None:
    result = once.fetch(server.url("/big?mb=50&length=1"))
    assert result.status == "error" and result.body is None
    assert result.error is not None and "Content-Length 52428800" in result.error
    survived("50 MB Content-Length", result)


def test_gzip_bomb_is_capped_after_decompression(server: FaultServer, once: HttpFetcher) -> None:
    server.gzip_bomb(100)  # build it before measuring our own memory
    tracemalloc.start()
    try:
        result = once.fetch(server.url("/gzip-bomb?mb=100"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.status == "error"
    assert result.error == f"decompressed body exceeds max_bytes={MAX_BYTES}"
    assert result.body is not None and len(result.body) == MAX_BYTES
    assert peak < 4 * MAX_BYTES, f"peak {peak} bytes while inflating a 100 MB bomb"
    survived("gzip bomb", result)


def test_gzip_and_deflate_bodies_are_decoded(server: FaultServer, once: HttpFetcher) -> None:
    import zlib

    server.add_file("/gz.xml", gzip.compress(SMALL_FEED), "application/rss+xml",
                    headers={"Content-Encoding": "gzip"})
    raw = zlib.compressobj(wbits=-15)
    server.add_file("/deflate.xml", raw.compress(SMALL_FEED) + raw.flush(), "application/rss+xml",
                    headers={"Content-Encoding": "deflate"})
    for path in ("/gz.xml", "/deflate.xml"):
        result = once.fetch(server.url(path))
        assert result.status == "ok" and result.body == SMALL_FEED, path


# --- redirects -------------------------------------------------------------------------------

def test_redirect_loop(server: FaultServer, fetcher: HttpFetcher) -> None:
    result = fetcher.fetch(server.url("/loop/a"))
    assert result.status == "error" and result.attempts == 1
    assert result.error is not None and result.error.startswith("redirect loop:")
    assert "/loop/b" in result.error
    survived("redirect loop", result)


def test_redirects_are_followed_up_to_five(server: FaultServer, fetcher: HttpFetcher) -> None:
    ok = fetcher.fetch(server.url("/chain/5"))
    assert ok.status == "ok" and ok.final_url == server.url("/chain/0") and ok.body == SMALL_FEED
    too_many = fetcher.fetch(server.url("/chain/6"))
    assert too_many.status == "error"
    assert too_many.error is not None and "too many redirects" in too_many.error
    survived("6 redirects", too_many)


def test_redirect_to_private_address_is_refused(server: FaultServer) -> None:
    # Only the test server's own origin is trusted; the redirect target must pass the guard.
    strict = Settings(**{**SETTINGS.__dict__, "allow_private_hosts": False})
    target = "http://169.254.169.254/latest/meta-data/"
    with HttpFetcher(strict, clock=lambda: NOW, trusted_origins=[server.base_url]) as guarded:
        result = guarded.fetch(server.url(f"/redirect?to={quote(target)}"))
    assert result.status == "refused" and result.final_url == target
    assert result.error == "refused: 169.254.169.254 is a link-local address"
    survived("redirect to private address", result)


# --- wrong content ---------------------------------------------------------------------------

def test_html_page_at_a_feed_url(server: FaultServer, fetcher: HttpFetcher) -> None:
    result = fetcher.fetch(server.url("/html"))
    assert result.status == "ok" and result.body is not None
    assert result.content_type == "text/html; charset=utf-8"
    with pytest.raises(FeedError, match="HTML page, not a feed") as info:
        parse_feed(result.body, base_url=result.final_url, content_type=result.content_type)
    SURVIVED["HTML at feed URL"] = str(info.value)


def test_wrong_declared_charset(server: FaultServer, fetcher: HttpFetcher) -> None:
    result = fetcher.fetch(server.url("/wrong-charset"))
    assert result.status == "ok" and result.body is not None
    feed = parse_feed(result.body, base_url=result.final_url, content_type=result.content_type)
    assert feed.title == "Café news"
    assert [e.title for e in feed.entries] == ["Café “crème”"]
    assert feed.bozo and feed.warning is not None and "windows-1252" in feed.warning
    SURVIVED["wrong declared charset"] = feed.warning


# --- normal behaviour ------------------------------------------------------------------------

def test_conditional_get(server: FaultServer, fetcher: HttpFetcher) -> None:
    server.add_file("/cond.xml", SMALL_FEED, "application/rss+xml")
    first = fetcher.fetch(server.url("/cond.xml"))
    assert first.status == "ok" and first.etag and first.last_modified
    by_etag = fetcher.fetch(server.url("/cond.xml"), etag=first.etag)
    assert by_etag.status == "not_modified" and by_etag.http_status == 304 and by_etag.body is None
    by_date = fetcher.fetch(server.url("/cond.xml"), last_modified=first.last_modified)
    assert by_date.status == "not_modified"
    stale = fetcher.fetch(server.url("/cond.xml"), etag='"something-else"')
    assert stale.status == "ok" and stale.body == SMALL_FEED
    sent = server.request_headers("/cond.xml")
    assert sent[1]["if-none-match"] == first.etag
    assert sent[2]["if-modified-since"] == first.last_modified


def test_user_agent_and_encodings_are_sent(server: FaultServer, fetcher: HttpFetcher) -> None:
    fetcher.fetch(server.url("/echo"))
    headers = server.request_headers("/echo")[-1]
    assert headers["user-agent"] == "newswatch-test/1"
    assert headers["accept-encoding"] == "gzip, deflate"


def test_fetch_many_keeps_order_and_per_host_limit(server: FaultServer) -> None:
    settings = Settings(**{**SETTINGS.__dict__, "max_connections": 6, "per_host": 2})
    urls = [server.url(f"/slow?delay=0.25&n={i}", host=host)
            for i in range(6) for host in ("127.0.0.1", "localhost")]
    urls.append(server.url("/status/404"))
    with HttpFetcher(settings, clock=lambda: NOW) as polite:
        started = time.monotonic()
        results = polite.fetch_many(urls)
        elapsed = time.monotonic() - started
    assert [r.url for r in results] == urls
    assert [r.status for r in results] == ["ok"] * 12 + ["error"]
    assert server.max_active["127.0.0.1"] == 2 and server.max_active["localhost"] == 2
    assert server.max_active["*"] >= 3  # both hosts in flight at once
    assert elapsed < 6 * 0.25  # 3 rounds of 0.25 s per host, hosts in parallel, not 12 in series


def test_fake_fetcher_answers_from_its_dict() -> None:
    canned = FetchResult(url="http://a/", final_url="http://a/", status="ok", body=b"x")
    fake = FakeFetcher({"http://a/": canned}, clock=lambda: NOW)
    got = fake.fetch_many(["http://a/", "http://b/"])
    assert got[0].body == b"x" and got[0].fetched_at == NOW
    assert got[1].status == "error" and got[1].error == "no canned response for http://b/"
    fake.fetch("http://a/", etag='"e"')
    assert fake.calls[-1] == ("http://a/", '"e"', None)


def test_fault_summary() -> None:
    """Runs last in this file: prints every fault survived and how it was explained."""
    for fault, line in sorted(SURVIVED.items()):
        print(f"  {fault:28} -> {line}")
    print(f"faults survived: {len(SURVIVED)} ({', '.join(sorted(SURVIVED))})")
    assert all(line and "\n" not in line for line in SURVIVED.values())
