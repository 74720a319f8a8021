"""sources.yaml validation: every bad input is one ConfigError naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswatch.config import load_config
from newswatch.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sources.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_default_sources_yaml_is_valid() -> None:
    cfg = load_config(REPO / "sources.yaml")
    assert [s.id for s in cfg.sources] == ["presstv-fr", "en-wire", "mirror"]
    assert all(s.url.startswith("file://") and s.url.endswith(".xml") for s in cfg.sources)
    assert cfg.settings.allow_private_hosts is False


def test_relative_paths_resolve_against_the_yaml(tmp_path: Path) -> None:
    p = write(tmp_path, "sources:\n  - id: a\n    url: feeds/a.xml\n  - id: b\n    url: https://example.org/rss\n")
    cfg = load_config(p)
    assert cfg.sources[0].url == (tmp_path / "feeds" / "a.xml").resolve().as_uri()
    assert cfg.sources[1].url == "https://example.org/rss"


@pytest.mark.parametrize(("text", "line", "field", "words"), [
    ("sources:\n  - id: a\n    url: x.xml\n  - id: a\n    url: y.xml\n", 4, "sources[1].id", "duplicate source id"),
    ("sources:\n  - id: a\n    url: x.xml\n    colour: red\n", 4, "sources[0].colour", "unknown key"),
    ("sources:\n  - id: a\n    url: ftp://example.org/x\n", 3, "sources[0].url", "unsupported URL scheme"),
    ("sources:\n  - id: a\n    url: 'http:///nohost'\n", 3, "sources[0].url", "invalid URL"),
    ("settings:\n  timeout_s: soon\nsources: []\n", 2, "settings.timeout_s", "expected float"),
    ("settings:\n  max_bytes: -1\nsources: []\n", 2, "settings.max_bytes", "greater than 0"),
    ("settings:\n  max_bytes: 0\nsources: []\n", 2, "settings.max_bytes", "greater than 0"),
    ("settings:\n  backfill_write_rows: -1\nsources: []\n", 2, "settings.backfill_write_rows", "0 or more"),
    ("sources:\n  - id: Bad_Id\n    url: x.xml\n", 2, "sources[0].id", "invalid id"),
    ("sources:\n  - id: a\n    url: x.xml\n    enabled: maybe\n", 4, "sources[0].enabled", "true or false"),
    ("sources:\n  - id: a\n", 2, "sources[0].url", "missing required key"),
    ("sources: {}\n", 1, "sources", "expected a list"),
    ("sources:\n  - id: a\n    url: x.xml\nnotify:\n  - slack://tok/en\n", 5, "notify[0]", "NAME of an environment"),
    ("sources:\n  - id: a\n   url: x.xml\n", 3, None, "invalid YAML"),
    ("extra: 1\nsources: []\n", 1, "extra", "unknown key"),
])
def test_bad_config_names_file_line_and_field(tmp_path: Path, text: str, line: int, field: str | None,
                                              words: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert "\n" not in msg
    assert err.value.line == line, msg
    assert err.value.field == field, msg
    assert words in msg
    assert msg.startswith(f"{p}:{line}: ")


def test_secret_in_notify_is_not_echoed(tmp_path: Path) -> None:
    p = write(tmp_path, "sources: []\nnotify:\n  - tgram://123456:SECRETTOKEN/999\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert "SECRETTOKEN" not in str(err.value)


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(p)


def test_settings_that_may_be_zero(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "settings:\n  hold_s: 0\n  backfill_write_rows: 0\n  retries: 0\nsources: []\n"))
    assert (cfg.settings.hold_s, cfg.settings.backfill_write_rows, cfg.settings.retries) == (0, 0, 0)
    assert load_config(write(tmp_path, "sources: []\n")).settings.backfill_write_rows == 4096
