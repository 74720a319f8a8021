"""The address guard and the local-file guard: what a hostile feed may not make us read."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from newswatch.core.feeds import parse_feed
from newswatch.errors import PermanentError, RefusedError
from newswatch.io.files import read_local
from newswatch.io.http import HttpFetcher, guard_url
from newswatch.models import Settings
from tests.support.faultserver import FaultServer, serve_files

STRICT = Settings(allow_private_hosts=False, timeout_s=1.0, retries=0, backoff_s=0.01)
OPEN = Settings(allow_private_hosts=True, timeout_s=1.0, retries=0, backoff_s=0.01)


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


# --- guard_url -------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "reason"), [
    ("file:///etc/passwd", "scheme file: is not http(s)"),
    ("ftp://example.com/feed.xml", "scheme ftp: is not http(s)"),
    ("gopher://127.0.0.1:70/_x", "scheme gopher:"),
    ("data:text/html,<b>x</b>", "scheme data:"),
    ("javascript:alert(1)", "scheme javascript:"),
    ("http:///no-host", "no host"),
    ("http://127.0.0.1/", "loopback"),
    ("http://127.1.2.3:8080/x", "loopback"),
    ("http://localhost/", "localhost (127.0.0.1) is a loopback address"),
    ("http://2130706433/", "loopback"),           # 127.0.0.1 as one decimal number
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("https://192.168.1.1/", "private"),
    ("http://[fd00::1]/", "private"),
    ("http://[fe80::1]/", "link-local"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://100.64.0.1/", "non-global"),
    ("http://example.com:99999/", "malformed URL"),
])
def test_guard_refuses(url: str, reason: str) -> None:
    with pytest.raises(RefusedError, match=reason.replace("(", r"\(").replace(")", r"\)")) as info:
        guard_url(url, allow_private_hosts=False)
    assert "\n" not in str(info.value) and str(info.value).startswith("refused: ")


def test_guard_allows_public_addresses_and_private_ones_when_told() -> None:
    guard_url("http://93.184.216.34/feed.xml", allow_private_hosts=False)
    guard_url("https://[2606:4700::6810:85e5]/", allow_private_hosts=False)
    guard_url("http://10.0.0.1/intranet.xml", allow_private_hosts=True)
    guard_url("http://localhost:8080/feed.xml", allow_private_hosts=True)
    with pytest.raises(RefusedError, match="scheme file"):
        guard_url("file:///etc/passwd", allow_private_hosts=True)


# --- the fetcher uses it, before connecting and on every redirect ----------------------------

def test_loopback_is_refused_without_connecting(server: FaultServer) -> None:
    server.add_file("/private.xml", b"<rss/>", "application/rss+xml")
    with HttpFetcher(STRICT) as fetcher:
        result = fetcher.fetch(server.url("/private.xml"))
        by_name = fetcher.fetch(server.url("/private.xml", host="localhost"))
    assert result.status == "refused" and result.error == "refused: 127.0.0.1 is a loopback address"
    assert by_name.status == "refused" and "localhost (127.0.0.1)" in (by_name.error or "")
    assert server.hits("/private.xml") == 0
    with HttpFetcher(OPEN) as fetcher:
        assert fetcher.fetch(server.url("/private.xml")).status == "ok"


@pytest.mark.parametrize("target", [
    "file:///etc/passwd",
    "ftp://example.com/x",
    "http://10.1.2.3/admin",
    "http://169.254.169.254/latest/meta-data/iam",
    "http://[::1]:{port}/target",
    "http://localhost:{port}/target",
])
def test_every_redirect_hop_is_guarded(server: FaultServer, target: str) -> None:
    target = target.format(port=server.port)
    with HttpFetcher(STRICT, trusted_origins=[server.base_url]) as fetcher:
        result = fetcher.fetch(server.url(f"/redirect?to={quote(target)}"))
    assert result.status == "refused", result
    assert result.final_url == target and result.error is not None
    assert server.hits("/target") == 0


def test_dns_answer_is_checked_again_at_connect_time(server: FaultServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name looks public to the first lookup and points at loopback later."""
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            address = next(answers, "127.0.0.1")
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    server.add_file("/rebind.xml", b"<rss/>", "application/rss+xml")
    with HttpFetcher(STRICT) as fetcher:
        result = fetcher.fetch(f"http://rebind.test:{server.port}/rebind.xml")
    assert result.status == "refused"
    assert result.error == "refused: rebind.test (127.0.0.1) is a loopback address"
    assert server.hits("/rebind.xml") == 0


def test_links_of_a_remote_feed_to_local_targets_are_refused(server: FaultServer) -> None:
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Remote</title>'
            b"<item><title>f</title><link>file:///etc/passwd</link></item>"
            b"<item><title>l</title><link>http://localhost:%d/secret</link></item>"
            b"<item><title>o</title><link>http://127.0.0.1:9/secret</link></item>"
            b"<item><title>m</title><link>http://169.254.169.254/latest/</link></item>"
            b"<item><title>p</title><link>http://192.168.0.10/router</link></item>"
            b"<item><title>rel</title><link>/relative-is-fine</link></item>"
            b"</channel></rss>" % server.port)
    server.add_file("/remote-feed.xml", feed, "application/rss+xml")
    with HttpFetcher(STRICT, trusted_origins=[server.base_url]) as fetcher:
        fetched = fetcher.fetch(server.url("/remote-feed.xml"))
        assert fetched.status == "ok" and fetched.body is not None
        parsed = parse_feed(fetched.body, base_url=fetched.final_url,
                            content_type=fetched.content_type)
        links = [e.link for e in parsed.entries]
        assert links[-1] == server.url("/relative-is-fine")
        # Only the feed's own (trusted test) origin gets through; every local target is refused.
        results = [fetcher.fetch(link) for link in links[:-1]]
    assert [r.status for r in results] == ["refused"] * 5
    assert server.hits("/secret") == 0
    with HttpFetcher(OPEN) as fetcher:  # allow_private_hosts does not open file://
        assert fetcher.fetch("file:///etc/passwd").status == "refused"


def test_external_dtd_in_a_feed_is_never_fetched(server: FaultServer) -> None:
    server.add_file("/evil.dtd", b'<!ENTITY xxe "PWNED">', "application/xml-dtd")
    feed = (b'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "%s" [<!ENTITY %% d SYSTEM "%s"> %%d;]>\n'
            b'<rss version="2.0"><channel><title>&xxe;</title><item><link>http://e.example/a</link>'
            b"</item></channel></rss>" % ((server.url("/evil.dtd").encode(),) * 2))
    parsed = parse_feed(feed, base_url=server.url("/f.xml"), content_type="application/rss+xml")
    assert server.hits("/evil.dtd") == 0
    assert parsed.title != "PWNED" and [e.link for e in parsed.entries] == ["http://e.example/a"]


def test_serve_files_helper() -> None:
    with serve_files({"/a.xml": (b"<rss/>", "application/rss+xml")}) as srv, \
            HttpFetcher(OPEN) as fetcher:
        result = fetcher.fetch(srv.url("/a.xml"))
    assert result.status == "ok" and result.body == b"<rss/>"
    assert result.content_type == "application/rss+xml"


# --- local files -----------------------------------------------------------------------------

@pytest.fixture
def feed_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "feeds"
    (folder / "pages").mkdir(parents=True)
    (folder / "pages" / "a.html").write_bytes(b"<html>a</html>")
    (folder / "local.xml").write_bytes(b"<rss/>")
    (tmp_path / "secret.txt").write_bytes(b"secret")
    return folder


def test_read_local_reads_files_beside_the_feed(feed_dir: Path) -> None:
    assert read_local("pages/a.html", base_dir=feed_dir) == b"<html>a</html>"
    assert read_local((feed_dir / "pages" / "a.html").as_uri(), base_dir=feed_dir) == \
        b"<html>a</html>"
    assert read_local(str(feed_dir / "local.xml"), base_dir=feed_dir) == b"<rss/>"
    (feed_dir / "pages" / "b c.html").write_bytes(b"space")
    assert read_local((feed_dir / "pages" / "b c.html").as_uri(), base_dir=feed_dir) == b"space"


@pytest.mark.parametrize("name", ["../secret.txt", "pages/../../secret.txt", "{root}/secret.txt",
                                  "file://{root}/secret.txt", "/etc/passwd", "file:///etc/passwd"])
def test_read_local_refuses_paths_outside_the_feed_folder(feed_dir: Path, name: str) -> None:
    with pytest.raises(RefusedError, match="outside the feed folder"):
        read_local(name.format(root=feed_dir.parent), base_dir=feed_dir)


def test_read_local_refuses_symlinks_pointing_out(feed_dir: Path) -> None:
    os.symlink(feed_dir.parent / "secret.txt", feed_dir / "pages" / "innocent.html")
    os.symlink(feed_dir.parent, feed_dir / "up")
    with pytest.raises(RefusedError, match="outside the feed folder"):
        read_local("pages/innocent.html", base_dir=feed_dir)
    with pytest.raises(RefusedError, match="outside the feed folder"):
        read_local("up/secret.txt", base_dir=feed_dir)
    os.symlink(feed_dir / "pages" / "a.html", feed_dir / "inside-link.html")
    assert read_local("inside-link.html", base_dir=feed_dir) == b"<html>a</html>"


@pytest.mark.parametrize(("name", "error", "reason"), [
    ("http://example.com/a.html", RefusedError, "not a local path"),
    ("file://otherhost/etc/passwd", RefusedError, "remote host"),
    ("pages/missing.html", PermanentError, "file not found"),
    ("pages", PermanentError, "not a regular file"),
])
def test_read_local_other_refusals(feed_dir: Path, name: str, error: type[Exception],
                                   reason: str) -> None:
    with pytest.raises(error, match=reason):
        read_local(name, base_dir=feed_dir)


def test_read_local_caps_size(feed_dir: Path) -> None:
    (feed_dir / "big.xml").write_bytes(b"x" * 2000)
    assert len(read_local("big.xml", base_dir=feed_dir, max_bytes=2000)) == 2000
    with pytest.raises(PermanentError, match="exceeds max_bytes=1999"):
        read_local("big.xml", base_dir=feed_dir, max_bytes=1999)
