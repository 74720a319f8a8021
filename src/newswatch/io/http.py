"""HTTP fetching: address guard, total deadlines, size caps, retries, conditional GET, politeness."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from newswatch.errors import PermanentError, RefusedError, TransientError
from newswatch.models import FetchResult, Settings

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
           "text/xml;q=0.9, text/html;q=0.8, */*;q=0.5")
_MAX_ERROR = 200


class Fetcher(Protocol):
    """Anything that turns URLs into FetchResults without raising for network or HTTP trouble."""

    def fetch(self, url: str, *, etag: str | None = None,
              last_modified: str | None = None) -> FetchResult: ...

    def fetch_many(self, urls: Sequence[str]) -> list[FetchResult]: ...


# --- the address guard -------------------------------------------------------------------------

def guard_url(url: str, *, allow_private_hosts: bool) -> None:
    """Raise RefusedError (one line) unless `url` is http(s) to a host whose addresses are all public.

    The host is resolved with getaddrinfo and every address is checked, so a name pointing at
    127.0.0.1 or 169.254.169.254 is refused like the literal. A name that does not resolve raises
    TransientError (DNS may come back) or PermanentError (no such name).
    """
    parts = _split(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedError(f"refused: scheme {parts.scheme or '(none)'}: is not http(s): {_short(url)}")
    host = parts.hostname
    if not host:
        raise RefusedError(f"refused: no host in {_short(url)}")
    if allow_private_hosts:
        return
    _resolve_public(host, parts.port or (443 if parts.scheme == "https" else 80))


def _split(url: str) -> Any:
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise RefusedError(f"refused: malformed URL {_short(url)}: {exc}") from exc
    return parts


def _resolve_public(host: str, port: int) -> list[tuple[int, tuple[Any, ...]]]:
    """Resolve host; refuse if ANY address is non-public (one bad address is enough to be steered to)."""
    addresses = _resolve(host, port)
    for _family, sockaddr in addresses:
        reason = forbidden_reason(str(sockaddr[0]))
        if reason:
            shown = host if host == sockaddr[0] else f"{host} ({sockaddr[0]})"
            raise RefusedError(f"refused: {shown} is a {reason} address")
    return addresses


def _resolve(host: str, port: int) -> list[tuple[int, tuple[Any, ...]]]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_AGAIN,):
            raise TransientError(f"DNS lookup of {host} failed for now: {exc.strerror}") from exc
        raise PermanentError(f"cannot resolve host {host}: {exc.strerror}") from exc
    except (UnicodeError, ValueError) as exc:
        raise RefusedError(f"refused: invalid host name {host[:60]!r}") from exc
    # Sorted so the connection order (and so behaviour) does not depend on resolver order.
    return sorted({(int(info[0]), info[4]) for info in infos}, key=repr)


def forbidden_reason(address: str) -> str | None:
    """Why an IP address may not be fetched from (loopback, private, ...), or None if it is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "unparseable"
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and 64:ff9b::/96 style wrappers carry an IPv4 address to check as such.
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return forbidden_reason(str(mapped))
    checks = (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
              ("unspecified", ip.is_unspecified), ("multicast", ip.is_multicast),
              ("private", ip.is_private), ("reserved", ip.is_reserved),
              ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
              ("non-global", not ip.is_global))
    return next((name for name, hit in checks if hit), None)


# --- network backend: guarded connects and a total deadline on every socket operation ------------

_local = threading.local()  # per thread: the deadline of the attempt running on it


def _remaining(timeout: float | None) -> float | None:
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("total deadline exceeded")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read/write is bounded by what is left of the attempt's deadline.

    httpx's own timeouts are per operation, so a server dripping one byte a second never trips them;
    clamping each operation to the remaining time makes the whole attempt end on time.
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Connects only to addresses it has checked itself, so DNS cannot change between check and use."""

    def __init__(self, *, allow_private_hosts: bool, trusted: frozenset[tuple[str, int]]) -> None:
        self._allow_private = allow_private_hosts
        self._trusted = trusted
        self._sync = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        if self._allow_private or (host.lower(), port) in self._trusted:
            addresses = _resolve(host, port)
        else:
            addresses = _resolve_public(host, port)
        last: Exception | None = None
        for _family, sockaddr in addresses:
            try:
                stream = self._sync.connect_tcp(str(sockaddr[0]), port, _remaining(timeout),
                                                local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        if last is not None:
            raise last
        raise httpcore.ConnectError(f"no address for {host}")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise RefusedError("refused: unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with our backend underneath (httpx has no public knob for the backend)."""

    def __init__(self, backend: httpcore.NetworkBackend, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


# --- bodies: capped reading and capped decompression -------------------------------------------

class _BodyTooLarge(Exception):
    pass


class _Inflater:
    """Incremental gzip/deflate decoding that never produces more than it is allowed to."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._wbits = 31 if encoding in ("gzip", "x-gzip") else 15
        self._d: Any = zlib.decompressobj(self._wbits) if encoding != "identity" else None
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode `data`, returning at most `room` bytes; more than room means the cap was hit."""
        if self._d is None:
            return data[:room + 1]
        out: list[bytes] = []
        produced = 0
        buf = data
        while buf and produced <= room:
            try:
                chunk = self._d.decompress(buf, room + 1 - produced)
            except zlib.error:
                if self.encoding == "deflate" and not self._started:
                    # Some servers send raw deflate without the zlib header: retry that way once.
                    self._wbits, self._d = -15, zlib.decompressobj(-15)
                    self._started = True
                    continue
                raise
            self._started = True
            out.append(chunk)
            produced += len(chunk)
            buf = self._d.unconsumed_tail
            if self._d.eof:
                buf = self._d.unused_data
                if buf and self._wbits == 31 and buf.lstrip(b"\x00"):
                    self._d = zlib.decompressobj(31)  # the next member of a multi-member gzip
                else:
                    break
        return b"".join(out)

    def finish(self, room: int) -> bytes:
        if self._d is None:
            return b""
        tail: bytes = self._d.flush()
        return tail[:room + 1]


def _inflater(content_encoding: str | None) -> _Inflater:
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return _Inflater("identity")
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise PermanentError(f"unsupported Content-Encoding: {content_encoding}")
    return _Inflater(codings[0])


# --- outcomes of one attempt -------------------------------------------------------------------

@dataclass(frozen=True)
class _Outcome:
    status: str
    final_url: str
    http_status: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    transient: bool = False
    retry_after: float | None = None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class HttpFetcher:
    """The real Fetcher: httpx with a guarded backend, one shared client, safe to use from threads.

    `trusted_origins` ("http://127.0.0.1:8080") are exempt from the private-address check. It exists
    so tests can serve from loopback while still checking redirects to other private addresses; it is
    never read from sources.yaml (use settings.allow_private_hosts for intranet feeds).
    """

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 trusted_origins: Iterable[str] = ()) -> None:
        self.settings = settings
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._trusted = frozenset(_origin_key(o) for o in trusted_origins)
        backend = _GuardedBackend(allow_private_hosts=settings.allow_private_hosts,
                                  trusted=self._trusted)
        limits = httpx.Limits(max_connections=max(1, settings.max_connections),
                              max_keepalive_connections=max(1, settings.max_connections))
        t = settings.timeout_s
        self._client = httpx.Client(
            transport=_GuardedTransport(backend, limits),
            headers={"User-Agent": settings.user_agent, "Accept": _ACCEPT,
                     "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(connect=t, read=t, write=t, pool=t),
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one URL --------------------------------------------------------------------------------

    def fetch(self, url: str, *, etag: str | None = None,
              last_modified: str | None = None) -> FetchResult:
        """GET url with retries; never raises for network/HTTP trouble (see FetchResult.status)."""
        s = self.settings
        attempts = 0
        outcome = _Outcome(status="error", final_url=url, error="not attempted")
        for attempt in range(1 + max(0, s.retries)):
            attempts += 1
            try:
                outcome = self._attempt(url, etag, last_modified)
            except Exception as exc:  # a bug or an input nothing above expected: report, not crash
                outcome = _Outcome(status="error", final_url=url,
                                   error=f"unexpected {type(exc).__name__}: {exc}")
            if not outcome.transient or attempt >= s.retries:
                break
            delay = s.backoff_s * (2 ** attempt)
            if outcome.retry_after is not None:
                delay = min(outcome.retry_after, s.max_retry_after_s)  # the server knows best
            self._sleep(delay)
        error = outcome.error
        if error and attempts > 1:
            error = f"{error} (after {attempts} attempts)"
        return FetchResult(
            url=url, final_url=outcome.final_url, status=outcome.status,
            http_status=outcome.http_status, body=outcome.body, content_type=outcome.content_type,
            etag=outcome.etag, last_modified=outcome.last_modified,
            error=_one_line(error) if error else None, attempts=attempts,
            fetched_at=self._clock(),
        )

    def _attempt(self, url: str, etag: str | None, last_modified: str | None) -> _Outcome:
        """One attempt, redirects included, under one total deadline of settings.timeout_s."""
        _local.deadline = time.monotonic() + self.settings.timeout_s
        try:
            return self._follow(url, etag, last_modified)
        finally:
            _local.deadline = None

    def _follow(self, url: str, etag: str | None, last_modified: str | None) -> _Outcome:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url.strip()
        chain = [current]
        while True:
            try:
                self._guard(current)
                request = self._client.build_request("GET", current, headers=headers)
            except RefusedError as exc:
                return _Outcome(status="refused", final_url=current, error=str(exc))
            except TransientError as exc:
                return _Outcome(status="error", final_url=current, error=str(exc), transient=True)
            except (PermanentError, httpx.InvalidURL, ValueError) as exc:
                return _Outcome(status="error", final_url=current, error=str(exc))
            outcome, location = self._send(request, current)
            if location is None:
                return outcome
            target = urljoin(current, location)
            if target in chain:
                loop = " -> ".join(_short(u, 60) for u in [*chain[chain.index(target):], target])
                return _Outcome(status="error", final_url=current, http_status=outcome.http_status,
                                error=f"redirect loop: {loop}")
            if len(chain) > MAX_REDIRECTS:
                return _Outcome(status="error", final_url=current, http_status=outcome.http_status,
                                error=f"too many redirects (more than {MAX_REDIRECTS}) from "
                                      f"{_short(url)}")
            chain.append(target)
            current = target

    def _guard(self, url: str) -> None:
        parts = _split(url)
        trusted = parts.hostname is not None and _origin_key(url) in self._trusted
        guard_url(url, allow_private_hosts=self.settings.allow_private_hosts or trusted)

    def _send(self, request: httpx.Request, url: str) -> tuple[_Outcome, str | None]:
        """Send one request; returns the outcome, or the Location to follow for a redirect."""
        t = self.settings.timeout_s
        try:
            response = self._client.send(request, stream=True)
        except RefusedError as exc:  # raised by the backend after its own resolution
            return _Outcome(status="refused", final_url=url, error=str(exc)), None
        except TransientError as exc:
            return _Outcome(status="error", final_url=url, error=str(exc), transient=True), None
        except PermanentError as exc:
            return _Outcome(status="error", final_url=url, error=str(exc)), None
        except httpx.UnsupportedProtocol as exc:
            return _Outcome(status="refused", final_url=url, error=f"refused: {exc}"), None
        except httpx.ConnectTimeout:
            return self._failed(url, f"connect timeout after {t:g}s"), None
        except httpx.TimeoutException:
            return self._failed(url, f"no response headers within the {t:g}s deadline"), None
        except httpx.ConnectError as exc:
            return self._failed(url, f"cannot connect: {exc}"), None
        except httpx.TransportError as exc:
            return self._failed(url, f"connection failed before headers: "
                                     f"{type(exc).__name__}: {exc}"), None
        try:
            return self._read(response, url)
        finally:
            response.close()

    def _failed(self, url: str, message: str) -> _Outcome:
        return _Outcome(status="error", final_url=url, error=message, transient=True)

    def _read(self, response: httpx.Response, url: str) -> tuple[_Outcome, str | None]:
        code = response.status_code
        h = response.headers
        base = {"final_url": url, "http_status": code, "content_type": h.get("content-type"),
                "etag": h.get("etag"), "last_modified": h.get("last-modified")}
        if code in _REDIRECTS:
            location = h.get("location")
            if location:
                return _Outcome(status="error", **base), location.strip()
            return _Outcome(status="error", error=f"HTTP {code} redirect without Location",
                            **base), None
        if code == 304:
            return _Outcome(status="not_modified", **base), None
        if code == 429 or code >= 500:
            retry_after = parse_retry_after(h.get("retry-after"), self._clock())
            note = f", Retry-After {h.get('retry-after')}" if h.get("retry-after") else ""
            return _Outcome(status="error", error=f"HTTP {code} {response.reason_phrase}{note}",
                            transient=True, retry_after=retry_after, **base), None
        if code >= 400 or code < 200:
            return _Outcome(status="error", error=f"HTTP {code} {response.reason_phrase} "
                                                  "(not retried)", **base), None
        return self._read_body(response, base), None

    def _read_body(self, response: httpx.Response, base: Mapping[str, Any]) -> _Outcome:
        cap = self.settings.max_bytes
        t = self.settings.timeout_s
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return _Outcome(status="error", error=f"body exceeds max_bytes={cap} "
                                                  f"(Content-Length {declared})", **base)
        try:
            inflater = _inflater(response.headers.get("content-encoding"))
        except PermanentError as exc:
            return _Outcome(status="error", error=str(exc), **base)
        parts: list[bytes] = []
        size = raw = 0
        try:
            for chunk in response.iter_raw():
                raw += len(chunk)
                piece = inflater.feed(chunk, cap - size)
                parts.append(piece)
                size += len(piece)
                if size > cap or raw > cap:
                    raise _BodyTooLarge
            tail = inflater.finish(cap - size)
            parts.append(tail)
            size += len(tail)
            if size > cap:
                raise _BodyTooLarge
        except _BodyTooLarge:
            what = "decompressed body" if inflater.encoding != "identity" else "body"
            return _Outcome(status="error", body=b"".join(parts)[:cap],
                            error=f"{what} exceeds max_bytes={cap}", **base)
        except zlib.error as exc:
            return _Outcome(status="error", error=f"corrupt {inflater.encoding} body: {exc}", **base)
        except httpx.TimeoutException:
            return _Outcome(status="error", transient=True, **base,
                            error=f"total deadline of {t:g}s exceeded while reading the body "
                                  f"({raw} bytes received)")
        except httpx.TransportError as exc:
            return _Outcome(status="error", transient=True, **base,
                            error=f"connection broken mid-body after {raw} bytes: "
                                  f"{type(exc).__name__}: {exc}")
        return _Outcome(status="ok", body=b"".join(parts), **base)

    # -- many URLs ------------------------------------------------------------------------------

    def fetch_many(self, urls: Sequence[str]) -> list[FetchResult]:
        """Fetch concurrently (settings.max_connections threads, settings.per_host per host).

        Results come back in the order of `urls`. Per-host queues are fed to the pool only while the
        host has a free slot, so one slow host cannot occupy every worker.
        """
        return run_polite(self.fetch, urls, max_workers=self.settings.max_connections,
                          per_host=self.settings.per_host)


def run_polite(fetch: Callable[[str], FetchResult], urls: Sequence[str], *, max_workers: int,
               per_host: int) -> list[FetchResult]:
    """Run fetch over urls with a bounded pool and at most per_host in flight per host, in order."""
    results: list[FetchResult | None] = [None] * len(urls)
    queues: dict[str, deque[int]] = {}
    for i, url in enumerate(urls):
        queues.setdefault(_host_key(url), deque()).append(i)
    in_flight: dict[str, int] = dict.fromkeys(queues, 0)
    running: dict[Future[FetchResult], tuple[int, str]] = {}
    limit = max(1, per_host)
    with ThreadPoolExecutor(max_workers=max(1, max_workers),
                            thread_name_prefix="newswatch-fetch") as pool:

        def fill() -> None:
            for host, queue in queues.items():  # dict order = first appearance: deterministic
                while queue and in_flight[host] < limit:
                    i = queue.popleft()
                    in_flight[host] += 1
                    running[pool.submit(fetch, urls[i])] = (i, host)

        fill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                i, host = running.pop(future)
                in_flight[host] -= 1
                results[i] = future.result()
            fill()
    return [r for r in results if r is not None]


def _host_key(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _origin_key(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return ((parts.hostname or "").lower(), parts.port or default)


def _short(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[:limit - 1] + "…"


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_ERROR else line[:_MAX_ERROR - 1] + "…"


class FakeFetcher:
    """The Fetcher twin for tests of other layers: answers from a dict url -> FetchResult.

    Unknown URLs give status 'error' ("no canned response"). Every call is recorded in `calls` as
    (url, etag, last_modified), so tests can check conditional GETs and what was asked for.
    """

    def __init__(self, responses: Mapping[str, FetchResult] | None = None, *,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.responses: dict[str, FetchResult] = dict(responses or {})
        self.calls: list[tuple[str, str | None, str | None]] = []
        self._clock = clock or (lambda: datetime(2000, 1, 1, tzinfo=UTC))
        self._lock = threading.Lock()

    def fetch(self, url: str, *, etag: str | None = None,
              last_modified: str | None = None) -> FetchResult:
        with self._lock:
            self.calls.append((url, etag, last_modified))
        canned = self.responses.get(url)
        if canned is None:
            return FetchResult(url=url, final_url=url, status="error",
                               error=f"no canned response for {_short(url)}",
                               fetched_at=self._clock())
        if canned.fetched_at is None:
            canned = replace(canned, fetched_at=self._clock())
        return canned

    def fetch_many(self, urls: Sequence[str]) -> list[FetchResult]:
        return [self.fetch(url) for url in urls]
