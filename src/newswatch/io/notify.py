"""Alert delivery through Apprise: channel resolution, secret-free channel names, one message per send."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, unquote

import apprise
from apprise.plugins import url_to_dict

from newswatch.core.alerts import AlertMessage
from newswatch.errors import ConfigError

log = logging.getLogger(__name__)

MASK = "***"
NOTIFY_ENV = "NEWSWATCH_NOTIFY"
# Key under which json:// and jsons:// receivers find the structured alert (AlertMessage.payload).
JSON_PAYLOAD_KEY = "newswatch"
CONNECT_TIMEOUT_S = 3.0   # a dead or black-holed endpoint fails within this
READ_TIMEOUT_S = 4.0      # a server that accepts but never answers fails within this
ERROR_MAX_CHARS = 300

# ---------------------------------------------------------------------------------------------
# Redaction. The rule is "keep only what is plainly not a secret": a component of the URL is
# printed only when it matches a narrow pattern of short words (at most 15 characters); anything
# else, and every password, header value and unknown query value, becomes ***. So no run of 16 or
# more token characters [A-Za-z0-9_-] survives, whatever the input (tests/unit/test_redact.py
# checks this with Hypothesis), and a token of that length cannot leak anywhere. Generic webhook
# schemes keep word-like path segments ("/hook", "/api/v1"); every other scheme carries tokens in
# its path (slack://A/B/C, tgram://bot/chat, discord://id/token ...), so its whole path is masked.
# ---------------------------------------------------------------------------------------------
_GENERIC_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "http", "https"})
_SAFE_QUERY_KEYS = frozenset({
    "method", "format", "overflow", "cto", "rto", "verify", "priority", "mode", "image", "emojis",
    "store", "retry", "wait", "tz", "lang", "batch", "discovery", "footer", "avatar", "optional",
})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,14})://(.*)", re.S)
_WORD = re.compile(r"[A-Za-z][A-Za-z._-]{0,14}")                  # no digits: tokens have digits
_PATH_WORD = re.compile(r"[A-Za-z][A-Za-z._~-]{0,14}|v\d{1,2}|\d{1,4}")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]{2,45}\]")
_PORT = re.compile(r"\d{1,5}")
_QKEY = re.compile(r"[+:-]?[A-Za-z][A-Za-z0-9_.-]{0,13}")
_QVALUE = re.compile(r"[A-Za-z0-9._-]{0,15}")
_MIN_SCRUB = 3                     # shorter fragments would mangle ordinary words in messages


def _analyse(url: str) -> tuple[str, tuple[str, ...]]:
    """(redacted form, the raw fragments that were masked)."""
    secrets: list[str] = []

    def mask(part: str) -> str:
        if part:
            secrets.append(part)
        return MASK

    text = url.strip()
    m = _SCHEME.fullmatch(text)
    if m is None:
        return MASK, (text, *re.split(r"[/:@?&=#\s]+", text))
    scheme, rest = m.group(1), m.group(2)
    generic = scheme.lower() in _GENERIC_SCHEMES
    rest, qmark, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")

    userinfo, at, hostport = netloc.rpartition("@")
    out_user = ""
    if at:
        user, colon, password = userinfo.partition(":")
        out_user = (user if _WORD.fullmatch(user) or not user else mask(user))
        out_user += (":" + mask(password) if colon else "") + "@"

    out_host = _host(hostport, generic, mask)

    out_path = ""
    if slash:
        segments = path.split("/")
        kept = [s if not s or (generic and _PATH_WORD.fullmatch(s)) else mask(s) for s in segments]
        out_path = "/" + "/".join(kept)

    out_query = ""
    if qmark:
        pieces = []
        for piece in query.split("&"):
            key, eq, value = piece.partition("=")
            safe_key = bool(_QKEY.fullmatch(key))
            shown = key if safe_key else mask(key)
            if eq:
                bare = key.lstrip("+:-").lower()
                keep = (safe_key and key[:1] not in "+:" and bare in _SAFE_QUERY_KEYS
                        and _QVALUE.fullmatch(value) is not None)
                shown += "=" + (value if keep else mask(value))
            pieces.append(shown)
        out_query = "?" + "&".join(pieces)
    return f"{scheme}://{out_user}{out_host}{out_path}{out_query}", tuple(secrets)


def _host(hostport: str, generic: bool, mask: Any) -> str:
    """host[:port] with every label that is not plainly a host name masked."""
    if hostport.startswith("["):
        end = hostport.find("]")
        host, port_part = hostport[: end + 1], hostport[end + 1:]
        if end < 0 or not _IPV6.fullmatch(host):
            return str(mask(hostport))
        if port_part and not (port_part[:1] == ":" and _PORT.fullmatch(port_part[1:])):
            return host + str(mask(port_part))
        return host + port_part
    host, colon, port = hostport.partition(":")
    if colon and (":" in port or not _PORT.fullmatch(port)):
        return str(mask(hostport))          # tgram://123:ABC... style: the "port" is a token
    shown_port = colon + port
    if not host or _IPV4.fullmatch(host) or host.lower() == "localhost":
        return host + shown_port
    if "." in host:
        labels = [lab if _LABEL.fullmatch(lab) else mask(lab) for lab in host.split(".")]
        return ".".join(labels) + shown_port
    # A bare word: a service name for generic webhooks, usually a token for everything else.
    if generic and _WORD.fullmatch(host):
        return host + shown_port
    return str(mask(host)) + shown_port


def redact(url: str) -> str:
    """A stable, secret-free form of an Apprise URL; never raises ("***" when it cannot tell)."""
    try:
        return _analyse(url)[0]
    except Exception:  # any surprise means we cannot tell what is secret: show nothing
        return MASK


def channel_id(url: str) -> str:
    """A stable id of a channel that names it without leaking it: redacted URL + 8 hex of sha256."""
    digest = hashlib.sha256(str(url).encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{redact(url)}#{digest}"


def _secrets(url: str) -> tuple[str, ...]:
    """Every form in which the masked parts of `url` may show up in a message, longest first."""
    try:
        raw = _analyse(url)[1]
    except Exception:
        raw = (url,)
    forms: set[str] = set()
    for part in raw:
        plain = unquote(part)
        forms.update({part, plain, quote(plain, safe=""), quote(plain, safe="/:@")})
    return tuple(sorted((f for f in forms if len(f) >= _MIN_SCRUB), key=lambda f: (-len(f), f)))


def scrub(text: str, url: str) -> str:
    """`text` with every secret of `url` replaced by ***."""
    for secret in _secrets(url):
        text = text.replace(secret, MASK)
    return text


# ---------------------------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------------------------
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def resolve_channels(cli_urls: Sequence[str], env: Mapping[str, str], notify_env: Sequence[str],
                     *, config_path: str | None = None) -> list[str]:
    """Apprise URLs in order: --notify, then $NEWSWATCH_NOTIFY (whitespace-separated), then each
    environment variable named in sources.yaml `notify:`; duplicates dropped, first place kept."""
    found = [u.strip() for u in cli_urls if u.strip()]
    found += env.get(NOTIFY_ENV, "").split()
    for name in notify_env:
        if not _ENV_NAME.fullmatch(name):
            # Probably a URL pasted into the YAML: say so without printing its secrets.
            raise ConfigError(f"entries must name environment variables, not URLs: {redact(name)!r}",
                              path=config_path, field="notify")
        value = env.get(name)
        if value is None:
            raise ConfigError(f"environment variable {name} is not set", path=config_path,
                              field="notify")
        urls = value.split()
        if not urls:
            raise ConfigError(f"environment variable {name} is empty", path=config_path,
                              field="notify")
        found += urls
    return list(dict.fromkeys(found))


def validate_channel(url: str) -> None:
    """ConfigError (one line, secret-free) unless Apprise can load exactly this one URL."""
    with _captured_logs() as records:
        try:
            box = apprise.Apprise()
            ok = bool(box.add(url)) and len(box) == 1
        except Exception:
            ok = False
    _reemit(records, url)
    if not ok:
        raise ConfigError(f"Apprise cannot use notify URL {redact(url)}", field="notify")


# ---------------------------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeliveryResult:
    """What one send gave: ok, or a one-line, secret-free reason."""

    ok: bool
    error: str | None = None


class Notifier(Protocol):
    """Delivers one message to one channel; never raises for delivery failures."""

    def send(self, channel: str, message: AlertMessage) -> DeliveryResult: ...


@dataclass(frozen=True)
class _Record:
    level: int
    name: str
    message: str


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[_Record] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                message += f" ({type(exc).__name__}: {exc})"
        except Exception:
            message = str(record.msg)
        self.records.append(_Record(record.levelno, record.name, message))


# Apprise logs the raw URL path in DEBUG lines ("JSON POST URL: ..."), requests/urllib3 put it in
# exception texts and request lines. While Apprise works, these loggers stop propagating and log
# into a list instead; the lines are re-emitted with secrets scrubbed under newswatch.io.notify.
# Logger settings are process-wide, so sends are serialised by a lock (alerts are few).
_CAPTURED_LOGGERS = ("apprise", "urllib3", "requests")
_LOG_LOCK = threading.Lock()


@contextmanager
def _captured_logs() -> Iterator[list[_Record]]:
    handler = _ListHandler()
    with _LOG_LOCK:
        loggers = [logging.getLogger(name) for name in _CAPTURED_LOGGERS]
        saved = [(lg, lg.level, lg.propagate) for lg in loggers]
        for lg in loggers:
            lg.addHandler(handler)
            lg.propagate = False
            lg.setLevel(logging.DEBUG)      # the DEBUG lines hold the failure details
        try:
            yield handler.records
        finally:
            for lg, level, propagate in saved:
                lg.removeHandler(handler)
                lg.setLevel(level)
                lg.propagate = propagate


def _one_line(text: str, limit: int = ERROR_MAX_CHARS) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _reemit(records: Sequence[_Record], url: str) -> None:
    for r in records:
        log.debug("%s: %s", r.name, _one_line(scrub(r.message, url), 500))


_REASONS = (
    re.compile(r"\[Errno -?\d+\] [^'\"()\]]+"),
    re.compile(r"\[SSL: [A-Z_]+\][^'\"()]*"),
    re.compile(r"Connection to \S+ timed out\. \(connect timeout=[\d.]+\)"),
    re.compile(r"Read timed out\. \(read timeout=[\d.]+\)"),
)


def _failure(records: Sequence[_Record], fallback: str, url: str) -> str:
    """One line: Apprise's own warning (e.g. "... error=500.") plus the socket reason if any."""
    warnings = [r.message for r in records
                if r.level >= logging.WARNING and r.name.startswith("apprise")]
    main = warnings[0] if warnings else fallback
    detail = next((m.group(0).strip() for r in records for rx in _REASONS
                   if (m := rx.search(r.message))), "")
    text = f"{main} ({detail})" if detail and detail not in main else main
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)   # object addresses: noise and not stable
    return _one_line(scrub(text, url))


class AppriseNotifier:
    """Sends with Apprise, one Apprise() per channel: Markdown where the plugin takes Markdown or
    HTML (Apprise turns Markdown into HTML), plain text otherwise.

    json:// and jsons:// receive Apprise's JSON envelope {"version", "title", "message",
    "attachments", "type"} plus one more key, "newswatch", holding AlertMessage.payload as a JSON
    object (not a string). It travels through the JSON plugin's own `payload` argument (what
    `:key=value` in the URL sets), passed when the plugin is instantiated from the parsed URL; the
    plugin adds keys it does not know to the envelope. A separate key is used because our "type"
    and Apprise's "type" would collide, and the envelope's fields stay as every Apprise receiver
    expects them."""

    def __init__(self, *, connect_timeout_s: float = CONNECT_TIMEOUT_S,
                 read_timeout_s: float = READ_TIMEOUT_S) -> None:
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s

    def send(self, channel: str, message: AlertMessage) -> DeliveryResult:
        ok = False
        fallback = "Apprise reported a failure"
        with _captured_logs() as records:
            try:
                plugin = self._plugin(channel, message)
                if plugin is None:
                    fallback = "Apprise cannot use this notify URL"
                else:
                    box = apprise.Apprise()
                    box.add(plugin)
                    rich = plugin.notify_format in (apprise.NotifyFormat.MARKDOWN,
                                                    apprise.NotifyFormat.HTML)
                    ok = bool(box.notify(
                        body=message.markdown if rich else message.text,
                        title=message.title,
                        body_format=(apprise.NotifyFormat.MARKDOWN if rich
                                     else apprise.NotifyFormat.TEXT)))
            except Exception as exc:   # a plugin bug must not crash the run: report it instead
                fallback = f"{type(exc).__name__}: {exc}"
        _reemit(records, channel)
        if ok:
            return DeliveryResult(True, None)
        return DeliveryResult(False, _failure(records, fallback, channel))

    def _plugin(self, channel: str, message: AlertMessage) -> Any:
        results = url_to_dict(channel)
        if not results:
            return None
        qsd = results.get("qsd") or {}
        # Short timeouts unless the URL sets its own ?cto= / ?rto=.
        if "cto" not in qsd:
            results["cto"] = self.connect_timeout_s
        if "rto" not in qsd:
            results["rto"] = self.read_timeout_s
        if str(results.get("schema", "")).lower() in ("json", "jsons"):
            results["payload"] = {**(results.get("payload") or {}),
                                  JSON_PAYLOAD_KEY: message.payload}
        return apprise.Apprise.instantiate(results)


@dataclass
class RecordingNotifier:
    """The fake twin: records every (channel, message) and answers with configured results.

    `results` maps a channel to one DeliveryResult or to a sequence used in turn (the last one
    repeats), e.g. [failed, ok] to test a retry; unlisted channels get `default`."""

    results: Mapping[str, DeliveryResult | Sequence[DeliveryResult]] = field(default_factory=dict)
    default: DeliveryResult = DeliveryResult(True, None)
    sent: list[tuple[str, AlertMessage]] = field(default_factory=list)

    def send(self, channel: str, message: AlertMessage) -> DeliveryResult:
        tries = sum(1 for c, _ in self.sent if c == channel)
        self.sent.append((channel, message))
        answer = self.results.get(channel, self.default)
        if isinstance(answer, DeliveryResult):
            return answer
        answers = list(answer)
        return answers[min(tries, len(answers) - 1)] if answers else self.default
