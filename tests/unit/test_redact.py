"""Secrets in Apprise URLs never survive redact(), channel ids or channel resolution errors."""

from __future__ import annotations

import re
import string
from urllib.parse import quote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newswatch.errors import ConfigError
from newswatch.io.notify import MASK, channel_id, redact, resolve_channels, scrub

TOKEN_CHARS = string.ascii_letters + string.digits + "-_"
tokens = st.text(TOKEN_CHARS, min_size=16, max_size=64)
# Where real Apprise URLs carry secrets: {t}, {u}, {v} are tokens.
TEMPLATES = (
    "json://user:{t}@127.0.0.1:8080/hook",
    "json://127.0.0.1:8080/hook/{t}",
    "json://{t}@localhost/hook",
    "jsons://hooks.example.com/api/v1/{t}/x",
    "jsons://hooks.example.com/api?token={t}",
    "json://hooks.example.com/?apikey={t}&method=POST",
    "json://hooks.example.com/?access_token={t}&format=markdown",
    "json://hooks.example.com/?+Authorization=Bearer%20{t}",
    "json://hooks.example.com/?:secret={t}&-sig={u}",
    "json://hooks.example.com/?password={t}&key={u}",
    "xml://hooks.example.com/{t}",
    "form://user:{t}@hooks.example.com/{u}",
    "slack://{t}/{u}/{v}",
    "slack://{t}/{u}/{v}/#general",
    "slack://botname@{t}/{u}/{v}/#alerts",
    "https://hooks.slack.com/services/{t}/{u}/{v}",
    "tgram://123456789:{t}/-1001234567890",
    "tgram://{t}/{u}",
    "discord://{t}/{u}",
    "discord://123456789012345678/{t}",
    "https://discord.com/api/webhooks/123456789012345678/{t}",
    "msteams://{t}/{u}/{v}",
    "mailto://user:{t}@gmail.com",
    "mailtos://alerts:{t}@smtp.example.com?to=desk@example.com&from=bot@example.com",
    "pbul://{t}",
    "pbul://o.{t}",
    "pover://{t}@{u}",
    "ifttt://{t}@meeting",
    "gotify://gotify.example.com/{t}",
    "ntfy://user:{t}@ntfy.sh/newswatch",
    "ntfy://ntfy.sh/{t}",
    "mmost://mattermost.example.com/{t}",
    "matrix://bot:{t}@matrix.example.com/#newsroom",
    "apprise://apprise.example.com/{t}",
    "rocket://user:{t}@chat.example.com/#desk",
    "{t}://example.com/x",
)
RUN = re.compile(r"[A-Za-z0-9_-]{16,}")


@settings(max_examples=300, deadline=None)
@given(template=st.sampled_from(TEMPLATES), t=tokens, u=tokens, v=tokens)
def test_random_tokens_never_survive(template: str, t: str, u: str, v: str) -> None:
    url = template.format(t=t, u=u, v=v)
    out = redact(url)
    for secret in (t, u, v):
        assert secret not in out
        assert secret not in channel_id(url)
    assert MASK in out
    assert redact(url) == out                                # stable


@settings(max_examples=200, deadline=None)
@given(scheme=st.sampled_from(["json", "mailto", "ntfy", "form", "matrix"]),
       password=st.text(min_size=1, max_size=40))
def test_any_password_is_masked(scheme: str, password: str) -> None:
    quoted = quote(password, safe="")
    out = redact(f"{scheme}://user:{quoted}@127.0.0.1:8080/hook")
    assert out.startswith(f"{scheme}://user:***@127.0.0.1:8080/")
    if len(quoted) >= 4:   # shorter strings occur in the fixed parts ("user", "hook") by chance
        assert quoted not in out


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
@example("json://" + "a" * 40)
@example("json://host/" + "b" * 15 + "-" + "c" * 15)
@example("json://h/?-abcdefghijklmnop=1")
@example("ab" * 30 + "://x")
@example("json://[::1")
@example("json://a:b:c@[zz]:x/?=&&==")
def test_redact_never_raises_and_keeps_no_long_token_run(url: str) -> None:
    out = redact(url)
    # Every kept component is a short word, so no run of 16+ token characters can survive:
    # a token of that size or longer cannot appear in the output whatever its position.
    assert RUN.search(out) is None, out


def test_readable_urls_stay_readable() -> None:
    assert redact("json://127.0.0.1:8080/hook") == "json://127.0.0.1:8080/hook"
    assert redact("jsons://hooks.example.com/api/v1/newswatch?method=POST&cto=2") == (
        "jsons://hooks.example.com/api/v1/newswatch?method=POST&cto=2")
    assert redact("json://[::1]:9000/x") == "json://[::1]:9000/x"
    assert redact("mailtos://desk:hunter2@smtp.example.com") == "mailtos://desk:***@smtp.example.com"
    assert redact("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general") == (
        "slack://***/***/***/***")
    assert redact("tgram://123456789:AAHdfgsdfg-kjhsdf/-100123") == "tgram://***/***"
    assert redact("json://h.example.com/hook/s3cr3t?token=abc&x=1") == (
        "json://h.example.com/hook/***?token=***&x=***")
    assert redact("not a url") == MASK
    assert redact(None) == MASK  # type: ignore[arg-type]   # never raises, even on bad input


def test_channel_id_is_stable_distinct_and_secret_free() -> None:
    a = "json://127.0.0.1:8080/hook/" + "A" * 32
    b = "json://127.0.0.1:8080/hook/" + "B" * 32
    assert channel_id(a) == channel_id(a)
    assert redact(a) == redact(b) and channel_id(a) != channel_id(b)
    assert re.fullmatch(r"json://127\.0\.0\.1:8080/hook/\*\*\*#[0-9a-f]{8}", channel_id(a))


def test_scrub_removes_secrets_in_any_encoding() -> None:
    url = "json://user:p%40ssw0rd!@127.0.0.1:1/hook/TOKEN1234567890abc?token=Zq9-xyz"
    text = ("POST /hook/TOKEN1234567890abc?token=Zq9-xyz failed; auth p@ssw0rd! / p%40ssw0rd!")
    out = scrub(text, url)
    for secret in ("TOKEN1234567890abc", "Zq9-xyz", "p@ssw0rd!", "p%40ssw0rd!"):
        assert secret not in out
    assert out == "POST /hook/***?token=*** failed; auth *** / ***"


def test_resolve_channels_order_dedupe_and_sources() -> None:
    env = {"NEWSWATCH_NOTIFY": "  json://a.example/x   json://b.example/y\n",
           "NW_SLACK": "slack://T/B/C", "NW_MAIL": "mailto://u:p@example.com json://a.example/x"}
    got = resolve_channels(["json://c.example/z", "json://b.example/y"], env, ["NW_SLACK", "NW_MAIL"])
    assert got == ["json://c.example/z", "json://b.example/y", "json://a.example/x",
                   "slack://T/B/C", "mailto://u:p@example.com"]
    assert resolve_channels([], {}, []) == []


def test_missing_notify_variable_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError) as err:
        resolve_channels([], {"OTHER": "slack://secret-value"}, ["NW_HOOK"], config_path="s.yaml")
    assert str(err.value) == "s.yaml: notify: environment variable NW_HOOK is not set"
    with pytest.raises(ConfigError, match="NW_HOOK is empty"):
        resolve_channels([], {"NW_HOOK": "  "}, ["NW_HOOK"])


def test_a_url_pasted_into_the_notify_list_is_refused_without_echoing_it() -> None:
    secret = "xoxbSECRETSECRETSECRET123"
    with pytest.raises(ConfigError) as err:
        resolve_channels([], {}, [f"slack://{secret}/B/C"])
    assert secret not in str(err.value)
    assert "environment variables" in str(err.value)
