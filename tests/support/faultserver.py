"""A real HTTP server on 127.0.0.1:0 that misbehaves on purpose, and serves static fixtures.

Use it as a context manager::

    with serve_files({"/feed.xml": (feed_bytes, "application/rss+xml")}) as server:
        url = server.url("/feed.xml")

Static files answer conditional GETs (ETag / Last-Modified -> 304). The fault routes:

| path                                  | behaviour                                                   |
|---------------------------------------|-------------------------------------------------------------|
| /status/<code>[?retry_after=V]        | that status every time (Retry-After header if given)        |
| /flaky/<key>?fail=N&code=C[&retry_after=V] | first N requests get C, later ones 200 with a small feed |
| /hang                                 | reads the request, never answers (read timeout)             |
| /drip[?interval=S]                    | 200, then one byte every S seconds, forever                 |
| /big?mb=N[&length=1]                  | N MB body, chunked (or with Content-Length when length=1)   |
| /gzip-bomb?mb=N                       | gzip body that inflates to N MB of zeros                    |
| /reset                                | promises 100000 bytes, sends 1000, then resets (RST)        |
| /loop/a, /loop/b                      | redirect to each other                                      |
| /chain/<n>                            | n redirects, then 200 with a small feed                     |
| /redirect?to=<url>                    | 302 to that URL (e.g. a private address)                    |
| /html                                 | an HTML page, text/html                                     |
| /wrong-charset                        | a windows-1252 feed sent as "charset=utf-8"                 |
| /slow?delay=S                         | waits S seconds, then 200 (concurrency is recorded by Host) |
| /echo                                 | request headers as JSON                                     |

`blackhole_url` points at a listening socket whose backlog is full, so connecting times out.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

SMALL_FEED = (b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Fault'
              b"</title><item><title>One</title><link>http://example.com/one</link></item>"
              b"</channel></rss>\n")
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Moved</title></head><body><h1>Document moved"
             b"</h1><p>This page is <a href='/elsewhere'>here</a>.</p></body></html>\n")
# Declares utf-8 in the XML and the HTTP header but is windows-1252 (caf\xe9, \x93quotes\x94).
WRONG_CHARSET_FEED = (b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
                      b"<title>Caf\xe9 news</title><item><title>Caf\xe9 \x93cr\xe8me\x94</title>"
                      b"<link>http://example.com/cafe</link></item></channel></rss>\n")
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: FaultServer


class FaultServer:
    """The server; start and stop it with `with`. Thread-safe counters record what clients did."""

    def __init__(self, files: Mapping[str, tuple[bytes, str]] | None = None) -> None:
        self.files: dict[str, tuple[bytes, str, dict[str, str]]] = {}
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._hits: dict[str, list[float]] = defaultdict(list)
        self._headers: dict[str, list[dict[str, str]]] = defaultdict(list)
        self._active: dict[str, int] = defaultdict(int)
        self.max_active: dict[str, int] = defaultdict(int)   # by Host header, and "*" for all
        self._bombs: dict[int, bytes] = {}
        self._blackhole: list[socket.socket] = []
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        for path, (body, ctype) in (files or {}).items():
            self.add_file(path, body, ctype)

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> FaultServer:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="faultserver", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for sock in self._blackhole:
            sock.close()

    # -- addresses -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._httpd is not None, "use the server inside `with`"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path if path.startswith('/') else '/' + path}"

    @property
    def blackhole_url(self) -> str:
        """A URL whose TCP connect hangs: listen(0) with the accept queue already full."""
        with self._lock:
            if not self._blackhole:
                listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                listener.bind(("127.0.0.1", 0))
                listener.listen(0)
                self._blackhole.append(listener)
                port = listener.getsockname()[1]
                for _ in range(4):  # fill the queue; later SYNs are dropped, not refused
                    filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    filler.setblocking(False)
                    with suppress(BlockingIOError):
                        filler.connect(("127.0.0.1", port))
                    self._blackhole.append(filler)
                time.sleep(0.05)
            return f"http://127.0.0.1:{self._blackhole[0].getsockname()[1]}/feed.xml"

    # -- fixtures and records --------------------------------------------------------------------

    def add_file(self, path: str, body: bytes, content_type: str, *,
                 headers: Mapping[str, str] | None = None) -> str:
        """Serve `body` at `path` (with ETag/Last-Modified); returns its URL once started."""
        extra = {"ETag": '"' + hashlib.sha256(body).hexdigest()[:16] + '"',
                 "Last-Modified": LAST_MODIFIED, **(headers or {})}
        self.files[path] = (body, content_type, extra)
        return self.url(path) if self._httpd is not None else path

    def hits(self, path: str) -> int:
        with self._lock:
            return len(self._hits[path])

    def hit_times(self, path: str) -> list[float]:
        """time.monotonic() of each request to path (the part before '?')."""
        with self._lock:
            return list(self._hits[path])

    def request_headers(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return list(self._headers[path])

    def _record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self._hits[path].append(time.monotonic())
            self._headers[path].append(headers)

    def _enter(self, host: str) -> None:
        with self._lock:
            for key in (host, "*"):
                self._active[key] += 1
                self.max_active[key] = max(self.max_active[key], self._active[key])

    def _leave(self, host: str) -> None:
        with self._lock:
            for key in (host, "*"):
                self._active[key] -= 1

    def gzip_bomb(self, mb: int) -> bytes:
        with self._lock:
            if mb not in self._bombs:
                packer = zlib.compressobj(9, zlib.DEFLATED, 31)
                zeros = b"\x00" * (1 << 20)
                self._bombs[mb] = b"".join(packer.compress(zeros) for _ in range(mb)) + packer.flush()
            return self._bombs[mb]


@contextmanager
def serve_files(mapping: Mapping[str, tuple[bytes, str]]) -> Iterator[FaultServer]:
    """Serve {path: (bytes, content_type)} on 127.0.0.1 (fault routes included) for a `with` block."""
    with FaultServer(mapping) as server:
        yield server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean

    @property
    def owner(self) -> FaultServer:
        return self.server.owner

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        self.owner._record(path, {k.lower(): v for k, v in self.headers.items()})
        # The client giving up is often the point of the test.
        with suppress(BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self._route(path, query)
        self.close_connection = True

    def _route(self, path: str, q: dict[str, str]) -> None:
        owner = self.owner
        segments = path.strip("/").split("/")
        if path in owner.files:
            body, ctype, extra = owner.files[path]
            self._static(body, ctype, extra)
        elif segments[0] == "status" and len(segments) == 2:
            headers = {"Retry-After": q["retry_after"]} if "retry_after" in q else {}
            self._send(int(segments[1]), b"status\n", "text/plain", headers)
        elif segments[0] == "flaky" and len(segments) == 2:
            if owner.hits(path) <= int(q.get("fail", "1")):
                headers = {"Retry-After": q["retry_after"]} if "retry_after" in q else {}
                self._send(int(q.get("code", "503")), b"try later\n", "text/plain", headers)
            else:
                self._send(200, SMALL_FEED, "application/rss+xml; charset=utf-8")
        elif path == "/hang":
            owner.stop.wait(30)
        elif path == "/drip":
            self._drip(float(q.get("interval", "0.05")))
        elif path == "/big":
            self._big(int(q.get("mb", "50")), q.get("length") == "1")
        elif path == "/gzip-bomb":
            bomb = owner.gzip_bomb(int(q.get("mb", "100")))
            self._send(200, bomb, "application/rss+xml", {"Content-Encoding": "gzip"})
        elif path == "/reset":
            self._reset()
        elif segments[0] == "loop" and len(segments) == 2:
            self._send(302, b"", "text/plain", {"Location": "/loop/" + ("b" if segments[1] == "a"
                                                                         else "a")})
        elif segments[0] == "chain" and len(segments) == 2:
            n = int(segments[1])
            if n > 0:
                self._send(302, b"", "text/plain", {"Location": f"/chain/{n - 1}"})
            else:
                self._send(200, SMALL_FEED, "application/rss+xml")
        elif path == "/redirect":
            self._send(302, b"", "text/plain", {"Location": q.get("to", "/")})
        elif path == "/html":
            self._send(200, HTML_PAGE, "text/html; charset=utf-8")
        elif path == "/wrong-charset":
            self._send(200, WRONG_CHARSET_FEED, "application/rss+xml; charset=utf-8")
        elif path == "/slow":
            self._slow(float(q.get("delay", "0.3")))
        elif path == "/echo":
            body = json.dumps(dict(self.headers.items()), sort_keys=True).encode()
            self._send(200, body, "application/json")
        else:
            self._send(404, b"not found\n", "text/plain")

    # -- behaviours ------------------------------------------------------------------------------

    def _send(self, code: int, body: bytes, ctype: str,
              headers: Mapping[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _static(self, body: bytes, ctype: str, extra: Mapping[str, str]) -> None:
        etag = extra.get("ETag")
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (inm is not None and inm == etag) or (inm is None and ims == extra.get("Last-Modified")):
            self.send_response(304)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            return
        self._send(200, body, ctype, extra)

    def _drip(self, interval: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
        self.wfile.flush()
        while not self.owner.stop.wait(interval):
            self.wfile.write(b" ")
            self.wfile.flush()

    def _big(self, mb: int, with_length: bool) -> None:
        chunk = b"x" * 65536
        total = mb * (1 << 20)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        if with_length:
            self.send_header("Content-Length", str(total))
        self.end_headers()
        sent = 0
        while sent < total and not self.owner.stop.is_set():
            self.wfile.write(chunk)
            sent += len(chunk)

    def _reset(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"<" * 1000)
        self.wfile.flush()
        # SO_LINGER with a zero timeout turns close() into a TCP reset.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _slow(self, delay: float) -> None:
        host = self.headers.get("Host", "").rsplit(":", 1)[0]
        self.owner._enter(host)
        try:
            self.owner.stop.wait(delay)
        finally:
            self.owner._leave(host)
        self._send(200, SMALL_FEED, "application/rss+xml")
