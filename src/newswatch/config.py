"""sources.yaml -> a validated Config; every error names the file, the line and the field."""

from __future__ import annotations

import os
import re
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from newswatch.errors import ConfigError
from newswatch.models import Config, Settings, Source

LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml: same nodes, ~10x faster

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LANG_RE = re.compile(r"^[a-z]{2}$")
TOP_KEYS = ("settings", "sources", "notify")
SOURCE_KEYS = ("id", "url", "language", "enabled")
_TYPES: dict[str, type] = {"bool": bool, "float": float, "int": int, "str": str}
SETTING_TYPES: dict[str, type] = {f.name: _TYPES[str(f.type)] for f in fields(Settings)}
ZERO_OK = ("retries", "hold_s", "backfill_write_rows")


def default_sources_path() -> Path:
    """`$NEWSWATCH_SOURCES`, else ./sources.yaml."""
    return Path(os.environ.get("NEWSWATCH_SOURCES") or "sources.yaml")


def load_config(path: str | Path) -> Config:
    """Read and validate a sources.yaml; raise ConfigError naming file, line and field."""
    p = Path(path)
    shown = str(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=shown) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc.__class__.__name__}: {exc}", path=shown) from None
    try:
        root = yaml.compose(raw, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(f"invalid YAML: {exc.problem or exc}", path=shown, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=shown) from None
    return _validate(root, shown, p.resolve().parent)


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _scalar(node: yaml.Node) -> Any:
    """The Python value of one scalar node, typed by the YAML resolver."""
    return yaml.SafeLoader(" ").construct_object(node, deep=True)


def _mapping(node: yaml.Node | None, path: str, field: str) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError("expected a mapping", path=path, line=_line(node), field=field)
    seen: set[str] = set()
    for key, _ in node.value:
        if key.value in seen:
            raise ConfigError("duplicate key", path=path, line=_line(key), field=f"{field}.{key.value}")
        seen.add(key.value)
    return node.value


def _validate(root: yaml.Node | None, path: str, base: Path) -> Config:
    if root is None:
        raise ConfigError("empty file; expected a `sources:` list", path=path, line=1, field="sources")
    top = dict((k.value, (k, v)) for k, v in _mapping(root, path, "<root>"))
    for name, (key, _) in top.items():
        if name not in TOP_KEYS:
            raise ConfigError(f"unknown key (allowed: {', '.join(TOP_KEYS)})", path=path,
                              line=_line(key), field=name)
    settings = _settings(top.get("settings", (None, None))[1], path)
    if "sources" not in top:
        raise ConfigError("missing required key", path=path, line=1, field="sources")
    sources = _sources(top["sources"][1], path, base)
    notify = _notify(top.get("notify", (None, None))[1], path)
    return Config(path=path, settings=settings, sources=sources, notify_env=notify)


def _settings(node: yaml.Node | None, path: str) -> Settings:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")):
        return Settings()
    values: dict[str, Any] = {}
    for key, val in _mapping(node, path, "settings"):
        field = f"settings.{key.value}"
        want = SETTING_TYPES.get(key.value)
        if want is None:
            raise ConfigError(f"unknown setting (allowed: {', '.join(SETTING_TYPES)})", path=path,
                              line=_line(key), field=field)
        value = _scalar(val) if isinstance(val, yaml.ScalarNode) else None
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise ConfigError(f"expected {want.__name__}, got {val.value!r}"
                              if isinstance(val, yaml.ScalarNode) else f"expected {want.__name__}",
                              path=path, line=_line(val), field=field)
        too_small = isinstance(value, int | float) and (value < 0 or (value == 0 and key.value not in ZERO_OK))
        if want in (int, float) and too_small:
            raise ConfigError("must be 0 or more" if key.value in ZERO_OK else "must be greater than 0",
                              path=path, line=_line(val), field=field)
        values[key.value] = value
    return Settings(**values)


def _sources(node: yaml.Node, path: str, base: Path) -> tuple[Source, ...]:
    if not isinstance(node, yaml.SequenceNode):
        raise ConfigError("expected a list of sources", path=path, line=_line(node), field="sources")
    out: list[Source] = []
    ids: dict[str, int | None] = {}
    for i, item in enumerate(node.value):
        where = f"sources[{i}]"
        entries = dict((k.value, (k, v)) for k, v in _mapping(item, path, where))
        for name, (key, _) in entries.items():
            if name not in SOURCE_KEYS:
                raise ConfigError(f"unknown key (allowed: {', '.join(SOURCE_KEYS)})", path=path,
                                  line=_line(key), field=f"{where}.{name}")
        for required in ("id", "url"):
            if required not in entries:
                raise ConfigError("missing required key", path=path, line=_line(item),
                                  field=f"{where}.{required}")
        sid = _str(entries["id"][1], path, f"{where}.id")
        if not ID_RE.match(sid):
            raise ConfigError(f"invalid id {sid!r}: use lowercase letters, digits and dashes",
                              path=path, line=_line(entries["id"][1]), field=f"{where}.id")
        if sid in ids:
            raise ConfigError(f"duplicate source id {sid!r} (first on line {ids[sid]})", path=path,
                              line=_line(entries["id"][1]), field=f"{where}.id")
        ids[sid] = _line(entries["id"][1])
        url_node = entries["url"][1]
        url = _resolve_url(_str(url_node, path, f"{where}.url"), base, path, _line(url_node),
                           f"{where}.url")
        language = None
        if "language" in entries:
            language = _str(entries["language"][1], path, f"{where}.language").lower()
            if not LANG_RE.match(language):
                raise ConfigError(f"expected an ISO 639-1 code such as 'fr', got {language!r}",
                                  path=path, line=_line(entries["language"][1]),
                                  field=f"{where}.language")
        enabled = True
        if "enabled" in entries:
            val = entries["enabled"][1]
            flag = _scalar(val) if isinstance(val, yaml.ScalarNode) else None
            if not isinstance(flag, bool):
                raise ConfigError("expected true or false", path=path, line=_line(val),
                                  field=f"{where}.enabled")
            enabled = flag
        out.append(Source(id=sid, url=url, language=language, enabled=enabled))
    return tuple(out)


def _str(node: yaml.Node, path: str, field: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not isinstance(_scalar(node), str) \
            or not node.value.strip():
        raise ConfigError("expected a non-empty string", path=path, line=_line(node), field=field)
    return str(node.value).strip()


def _resolve_url(value: str, base: Path, path: str, line: int | None, field: str) -> str:
    """http(s) URLs stay as they are; file:// URLs and relative paths become absolute file:// URLs."""
    parts = urlsplit(value)
    if parts.scheme in ("http", "https"):
        if not parts.hostname or any(c.isspace() for c in value):
            raise ConfigError(f"invalid URL {value!r}", path=path, line=line, field=field)
        return value
    if parts.scheme == "file":
        return Path(parts.path).resolve().as_uri()
    if parts.scheme and len(parts.scheme) > 1:
        raise ConfigError(f"unsupported URL scheme {parts.scheme!r} (use http, https, file or a path)",
                          path=path, line=line, field=field)
    return (base / value).resolve().as_uri()


def _notify(node: yaml.Node | None, path: str) -> tuple[str, ...]:
    if node is None:
        return ()
    if not isinstance(node, yaml.SequenceNode):
        raise ConfigError("expected a list of environment variable names", path=path,
                          line=_line(node), field="notify")
    names: list[str] = []
    for i, item in enumerate(node.value):
        field = f"notify[{i}]"
        value = _str(item, path, field)
        if "://" in value or not ENV_RE.match(value):
            # Never echo the value: it may be a secret pasted in by mistake.
            raise ConfigError("expected the NAME of an environment variable holding an Apprise URL "
                              "(secrets never go in sources.yaml)", path=path, line=_line(item),
                              field=field)
        names.append(value)
    return tuple(names)


def watch_dir() -> Path | None:
    """$NEWSWATCH_WATCH_DIR: a folder of watch YAML files used instead of the package's own (None: those)."""
    value = os.environ.get("NEWSWATCH_WATCH_DIR", "").strip()
    return Path(value).expanduser().resolve() if value else None
