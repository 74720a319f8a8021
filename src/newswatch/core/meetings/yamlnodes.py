"""Reading YAML as position-carrying nodes, so every validation error names file, line and field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from newswatch.errors import ConfigError

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
# libyaml's parser when PyYAML was built with it: the same nodes, tags and marks (plain scalars say
# style '' instead of None, which nothing here reads), ~10x faster: the watch files took 0.14 s to
# compose in pure Python, paid by the run's process and again by each spawned worker.
LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(path: Path) -> Node | None:
    """The node tree of one YAML file; a syntax error becomes a ConfigError with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read watch file: {exc}", path=str(path)) from exc
    try:
        return yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(f"invalid YAML: {exc.problem or exc}", path=str(path), line=line) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=str(path)) from exc


class Reader:
    """Typed accessors over the nodes of one file; each raises ConfigError(path, line, field)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, node: Node | None, field: str, message: str) -> ConfigError:
        line = node.start_mark.line + 1 if node is not None else None
        return ConfigError(message, path=str(self.path), line=line, field=field)

    def mapping(self, node: Node | None, field: str, *, required: tuple[str, ...] = (),
                allowed: tuple[str, ...] | None = None) -> dict[str, Node]:
        """A mapping's values by key. Duplicate keys, unknown keys and missing keys are errors."""
        if not isinstance(node, MappingNode):
            raise self.error(node, field, "expected a mapping")
        out: dict[str, Node] = {}
        for key_node, value in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.error(key_node, field, "keys must be plain words")
            key = key_node.value
            sub = f"{field}.{key}" if field else key
            if key in out:
                raise self.error(key_node, sub, "duplicate key")
            if allowed is not None and key not in allowed:
                raise self.error(key_node, sub, f"unknown key (allowed: {', '.join(allowed)})")
            out[key] = value
        for key in required:
            if key not in out:
                raise self.error(node, f"{field}.{key}" if field else key, "missing required key")
        return out

    def items(self, node: Node | None, field: str) -> Iterator[tuple[str, Node, Node]]:
        """(key, key node, value node) of a mapping whose keys are data (ids, codes)."""
        if not isinstance(node, MappingNode):
            raise self.error(node, field, "expected a mapping")
        seen: set[str] = set()
        for key_node, value in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.error(key_node, field, "keys must be plain words")
            if key_node.value in seen:
                raise self.error(key_node, f"{field}.{key_node.value}", "duplicate key")
            seen.add(key_node.value)
            yield key_node.value, key_node, value

    def sequence(self, node: Node | None, field: str) -> list[Node]:
        if isinstance(node, ScalarNode) and _NULL.match(node.value) and node.tag.endswith(":null"):
            return []
        if not isinstance(node, SequenceNode):
            raise self.error(node, field, "expected a list")
        return list(node.value)

    def is_null(self, node: Node | None) -> bool:
        return node is None or (isinstance(node, ScalarNode) and node.tag.endswith(":null"))

    def string(self, node: Node | None, field: str) -> str:
        # The raw scalar text, so "no", "on" or "2014" stay the words the analyst wrote.
        if not isinstance(node, ScalarNode) or node.tag.endswith(":null"):
            raise self.error(node, field, "expected a text value")
        value = str(node.value).strip()
        if not value:
            raise self.error(node, field, "must not be empty")
        return value

    def strings(self, node: Node | None, field: str) -> list[tuple[str, Node]]:
        return [(self.string(n, f"{field}[{i}]"), n) for i, n in enumerate(self.sequence(node, field))]

    def boolean(self, node: Node | None, field: str) -> bool:
        if isinstance(node, ScalarNode) and node.tag.endswith(":bool"):
            return node.value.lower() in ("true", "yes", "on")
        raise self.error(node, field, "expected true or false")

    def integer(self, node: Node | None, field: str) -> int:
        if isinstance(node, ScalarNode) and node.tag.endswith(":int"):
            return int(node.value)
        raise self.error(node, field, "expected a whole number")

    def day(self, node: Node | None, field: str) -> date:
        if isinstance(node, ScalarNode) and not node.tag.endswith(":null"):
            try:
                return date.fromisoformat(str(node.value).strip())
            except ValueError:
                pass
        raise self.error(node, field, "expected a date as YYYY-MM-DD")
