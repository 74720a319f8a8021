"""One compiled trie regex that finds every watch term in normalised text, longest match first.

Terms are normalised phrases; a trailing '*' lets the last word run on ('visit*' matches 'visited',
'iran*' matches 'iranian', 'iranischen'). Arabic-script terms also match behind the clitics
و ف ب ل ك (and, so, in/with, for, as): 'بطهران', 'والعراق'. A trie regex checks one character per
position instead of trying thousands of alternatives, which keeps a 4 KB article well under a
millisecond per pass."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from newswatch.core.meetings.text import is_arabic_script

P = TypeVar("P")

_END = ""      # trie key marking "a term ends here"
_STAR = "*"    # trie key marking "a term ends here and its last word may run on"
# Clitics glued to the front of Arabic-script words: conjunctions و ف, prepositions ب ل ك.
_CLITICS = "(?:[وف]?[بلك]?)"


@dataclass(frozen=True)
class Hit(Generic[P]):
    """One match: character span in the normalised text, the term matched and its payloads."""

    start: int
    end: int
    term: str
    payloads: tuple[P, ...]
    clitic: str = ""


def _insert(trie: dict[str, dict], word: str, star: bool) -> None:
    node = trie
    for ch in word:
        node = node.setdefault(ch, {})
    node[_STAR if star else _END] = {}


def _pattern(node: dict[str, dict]) -> str:
    """Regex for a trie node; children in sorted order (determinism), run-on and end alternatives last."""
    alts = [re.escape(ch) + _pattern(child) for ch, child in sorted(node.items()) if ch not in (_END, _STAR)]
    if _STAR in node:
        alts.append(r"\S*")
    elif _END in node:
        alts.append("")
    if not alts:
        return ""
    if len(alts) == 1:
        return alts[0]
    optional = alts[-1] == ""
    body = "|".join(a for a in alts if a != "")
    return f"(?:{body})?" if optional else f"(?:{body})"


class TermMatcher(Generic[P]):
    """Finds terms in text produced by `text.normalize` (tokens separated by single spaces/newlines)."""

    def __init__(self, entries: Iterable[tuple[str, P]]) -> None:
        exact: dict[str, list[P]] = {}
        prefix: dict[str, list[P]] = {}
        for raw, payload in entries:
            star = raw.endswith("*")
            term = raw[:-1].rstrip() if star else raw
            if not term:
                continue
            bucket = prefix if star else exact
            lst = bucket.setdefault(term, [])
            if payload not in lst:
                lst.append(payload)
        self._exact = {k: tuple(v) for k, v in exact.items()}
        self._prefix = {k: tuple(v) for k, v in prefix.items()}
        self._max_prefix = max((len(k) for k in self._prefix), default=0)
        latin: dict[str, dict] = {}
        arabic: dict[str, dict] = {}
        for term in self._exact:
            _insert(arabic if is_arabic_script(term) else latin, term, False)
        for term in self._prefix:
            _insert(arabic if is_arabic_script(term) else latin, term, True)
        parts = []
        if latin:
            parts.append(f"(?P<l>{_pattern(latin)})")
        if arabic:
            parts.append(f"(?P<c>{_CLITICS})(?P<a>{_pattern(arabic)})")
        body = "|".join(parts) if parts else "(?!)"
        # (?<!\S) and (?!\S): a term starts and ends on a word boundary of the normalised text.
        self._regex = re.compile(rf"(?<!\S)(?:{body})(?!\S)")
        self.size = len(self._exact) + len(self._prefix)

    def lookup(self, matched: str) -> tuple[str, tuple[P, ...]]:
        """The term (and payloads) a matched string stands for: exact, else the longest run-on prefix."""
        if matched in self._exact:
            return matched, self._exact[matched]
        for n in range(min(len(matched), self._max_prefix), 0, -1):
            key = matched[:n]
            if key in self._prefix and (n == len(matched) or matched[n] != " "):
                return key + "*", self._prefix[key]
        return matched, ()

    def finditer(self, text: str) -> Iterator[Hit[P]]:
        has_latin = "l" in self._regex.groupindex
        for m in self._regex.finditer(text):
            if has_latin and m.group("l") is not None:
                start, end, matched, clitic = m.start(), m.end(), m.group("l"), ""
            else:
                start, end, matched, clitic = m.start(), m.end(), m.group("a"), m.group("c")
            term, payloads = self.lookup(matched)
            if payloads:
                yield Hit(start, end, term, payloads, clitic)
