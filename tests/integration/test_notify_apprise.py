"""AppriseNotifier against a real loopback HTTP receiver: structured JSON body, failures, no leaks."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newswatch.core.alerts import AlertMessage, render
from newswatch.errors import ConfigError
from newswatch.io.notify import (
    JSON_PAYLOAD_KEY,
    AppriseNotifier,
    DeliveryResult,
    RecordingNotifier,
    channel_id,
    validate_channel,
)
from newswatch.models import EventRecord, EventView, MentionView, Participant

PATH_TOKEN = "PathTok3nAbCdEf0123456789xyz"
QUERY_TOKEN = "QueryTok3nZyXw9876543210"
PASSWORD = "Passw0rdSecret4242"
SECRETS = (PATH_TOKEN, QUERY_TOKEN, PASSWORD)

MESSAGE = render(EventView(
    event=EventRecord(
        event_id="ev_0123456789abcdef", meeting_date=date(2020, 11, 15), city="Tehran",
        host_country="IR", title="Iraqi defense minister Inad meets Iran's Bagheri in Tehran",
        participants=(Participant("Juma Inad", "IQ", "defense minister"),
                      Participant("Mohammad Bagheri", "IR", "chief of staff"))),
    mentions=(
        MentionView("a1", "https://www.tehrantimes.com/news/455123", "tehrantimes", "en",
                    "Iran has provided Iraq with defense products, says general",
                    "General Bagheri said on Sunday in a meeting with Iraqi Minister of Defense "
                    "Juma Inad in Tehran."),
        MentionView("a2", "https://www.presstv.ir/fr/Detail/2020/11/15", "presstv-fr", "fr",
                    "Le ministre irakien de la Défense à Téhéran",
                    "Le ministre irakien de la Défense est attendu à Téhéran."),
    )))


@dataclass
class Receiver:
    """A loopback endpoint that records every request and answers with `status`."""

    port: int
    status: int = 200
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    state = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append((self.command, self.path, dict(self.headers), body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = _record
        do_PUT = _record

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _secret_url(port: int, *extra: str) -> str:
    query = "&".join((f"-token={QUERY_TOKEN}", *extra))
    return f"json://newswatch:{PASSWORD}@127.0.0.1:{port}/hook/{PATH_TOKEN}?{query}"


def _assert_no_secret(result: DeliveryResult, caplog: pytest.LogCaptureFixture) -> None:
    seen = [repr(result), caplog.text, *(r.getMessage() for r in caplog.records)]
    for secret in SECRETS:
        for text in seen:
            assert secret not in text


def test_json_channel_gets_one_post_with_the_structured_body(
        receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = AppriseNotifier().send(_secret_url(receiver.port), MESSAGE)

    assert result == DeliveryResult(True, None)
    assert len(receiver.requests) == 1
    method, path, headers, raw = receiver.requests[0]
    assert method == "POST"
    # The secrets did reach the receiver (so the checks below are not vacuous) ...
    assert path == f"/hook/{PATH_TOKEN}?token={QUERY_TOKEN}"
    assert headers["Authorization"].startswith("Basic ")
    body = json.loads(raw)
    assert body["title"] == MESSAGE.title
    assert body["message"] == MESSAGE.text        # json:// takes plain text unless ?format=
    structured = body[JSON_PAYLOAD_KEY]
    assert structured == MESSAGE.payload
    assert structured["event_id"] == "ev_0123456789abcdef"
    assert structured["meeting_date"] == "2020-11-15"
    assert structured["city"] == "Tehran"
    assert [p["name"] for p in structured["participants"]] == ["Juma Inad", "Mohammad Bagheri"]
    assert [m["article_id"] for m in structured["mentions"]] == ["a2", "a1"]
    # ... but never reached our logs, and the logs are there (captured, scrubbed, re-emitted).
    assert any(r.name == "newswatch.io.notify" for r in caplog.records)
    _assert_no_secret(result, caplog)


def test_markdown_goes_to_channels_that_take_it(receiver: Receiver) -> None:
    url = f"json://127.0.0.1:{receiver.port}/hook?format=markdown"
    assert AppriseNotifier().send(url, MESSAGE).ok
    body = json.loads(receiver.requests[0][3])
    assert body["message"] == MESSAGE.markdown
    assert body[JSON_PAYLOAD_KEY]["event_id"] == "ev_0123456789abcdef"


def test_dead_endpoint_fails_fast_with_one_secret_free_line(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    result = AppriseNotifier().send(_secret_url(_free_port()), MESSAGE)
    elapsed = time.monotonic() - started
    print(f"dead endpoint: {elapsed:.3f} s, error: {result.error}")

    assert not result.ok
    assert elapsed < 5.0
    assert result.error is not None and "\n" not in result.error
    assert "Connection refused" in result.error
    _assert_no_secret(result, caplog)


def test_http_error_is_reported(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.status = 500
    result = AppriseNotifier().send(_secret_url(receiver.port), MESSAGE)
    assert not result.ok
    assert result.error is not None and "error=500" in result.error
    assert len(receiver.requests) == 1                  # no retries behind the outbox's back
    _assert_no_secret(result, caplog)


def test_silent_endpoint_times_out(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as listener:                   # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        started = time.monotonic()
        result = AppriseNotifier(read_timeout_s=0.5).send(
            _secret_url(listener.getsockname()[1]), MESSAGE)
        elapsed = time.monotonic() - started
    print(f"silent endpoint: {elapsed:.3f} s, error: {result.error}")
    assert not result.ok and elapsed < 3.0
    assert result.error is not None and "timed out" in result.error
    _assert_no_secret(result, caplog)


def test_unusable_url_is_a_failed_delivery_not_an_exception(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = AppriseNotifier().send(f"nosuchscheme://{PATH_TOKEN}/x", MESSAGE)
    assert not result.ok and result.error
    _assert_no_secret(result, caplog)


def test_apprise_logging_is_restored_after_a_send(receiver: Receiver) -> None:
    apprise_logger = logging.getLogger("apprise")
    before = (apprise_logger.level, apprise_logger.propagate, list(apprise_logger.handlers))
    AppriseNotifier().send(f"json://127.0.0.1:{receiver.port}/", MESSAGE)
    assert (apprise_logger.level, apprise_logger.propagate, apprise_logger.handlers) == before


def test_validate_channel(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    validate_channel("json://127.0.0.1:8080/hook")
    validate_channel(f"slack://{PATH_TOKEN}/{QUERY_TOKEN}/{PASSWORD}")
    for bad in (f"nosuchscheme://{PATH_TOKEN}", f"json://newswatch:{PASSWORD}@",
                f"json://a.example/x json://b.example/{PATH_TOKEN}"):
        with pytest.raises(ConfigError) as err:
            validate_channel(bad)
        assert "\n" not in str(err.value)
        for secret in SECRETS:
            assert secret not in str(err.value)
            assert secret not in caplog.text


def test_recording_notifier_records_and_answers_in_turn() -> None:
    failed = DeliveryResult(False, "HTTP 503")
    fake = RecordingNotifier(results={"json://a/": [failed, DeliveryResult(True)]})
    message = AlertMessage("t", "m", "m", {})
    answers = [fake.send("json://a/", message) for _ in range(3)] + [fake.send("json://b/", message)]
    assert answers == [failed, DeliveryResult(True), DeliveryResult(True), DeliveryResult(True)]
    assert fake.sent == [("json://a/", message)] * 3 + [("json://b/", message)]
    assert channel_id("json://a/") != channel_id("json://b/")
