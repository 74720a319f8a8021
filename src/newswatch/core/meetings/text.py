"""Text normalisation for matching (Latin accents, Arabic/Persian letter variants) and sentence splitting."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Combining marks dropped after NFKD: Latin accents, Arabic harakat, hamza/madda marks, Quranic signs.
_MARKS = dict.fromkeys(
    [*range(0x0300, 0x0370), *range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE), 0x0640], None)
# Letter unification: every variant a writer (or a transliterating machine) may pick maps to one form.
_LETTERS = {
    ord("ة"): "ه", ord("ى"): "ي", ord("ی"): "ي", ord("ې"): "ي", ord("ك"): "ك", ord("ک"): "ك",
    ord("ە"): "ه", ord("ۀ"): "ه", ord("ہ"): "ه", ord("ٱ"): "ا", ord("\u200c"): "", ord("\u200d"): "",
    ord("\u200e"): "", ord("\u200f"): "", ord("œ"): "oe", ord("æ"): "ae", ord("ø"): "o", ord("ł"): "l",
    ord("đ"): "d", ord("ð"): "d", ord("þ"): "th", ord("ı"): "i", ord("ʿ"): "", ord("ʾ"): "",
    **{0x0660 + i: str(i) for i in range(10)},   # Arabic-Indic digits
    **{0x06F0 + i: str(i) for i in range(10)},   # Persian digits
}
_MARKS.update(_LETTERS)
# After mapping, only ASCII letters/digits and Arabic-script letters survive; the rest is a separator.
_NON_WORD = re.compile(r"[^a-z0-9\u0621-\u063a\u0641-\u064a\u0671-\u06d3]+")
ARABIC_LETTER = re.compile(r"[\u0621-\u064a\u0671-\u06d3]")


def normalize(text: str) -> str:
    """Lower-case, accent-free, letter-unified text: words separated by single spaces.

    'Téhéran' -> 'teheran', 'l’état-major' -> 'l etat major', 'إيران' and 'ایران' -> 'ايران'."""
    s = unicodedata.normalize("NFKD", text.casefold()).translate(_MARKS)
    return _NON_WORD.sub(" ", s).strip()


_NON_WORD_KEEP_LINES = re.compile(r"[^a-z0-9\n\u0621-\u063a\u0641-\u064a\u0671-\u06d3]+")


def normalize_lines(lines: list[str]) -> list[str]:
    """`normalize` of each line, done in one pass over the joined text (much cheaper per line)."""
    s = unicodedata.normalize("NFKD", "\n".join(line.replace("\n", " ") for line in lines).casefold())
    s = _NON_WORD_KEEP_LINES.sub(" ", s.translate(_MARKS))
    out = [part.strip() for part in s.split("\n")]
    return out if len(out) == len(lines) else [normalize(line) for line in lines]


def is_arabic_script(term: str) -> bool:
    return bool(term) and bool(ARABIC_LETTER.match(term))


# Tokens that end with a full stop without ending the sentence (titles, ranks, initials, "U.S.").
_ABBREVIATION_WORDS = """
mr mrs ms dr prof gen lt col maj brig adm capt cmdr sgt st rep sen gov no nr vol jan feb mar apr jun jul
aug sep sept oct nov dec m mm mme mlle gal gral sr sra dña dr dra lic ing bd abs art ca etc vs u.s u.k
"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_SPLIT = re.compile(r"([.!?؟…]+[\"'»”’)\]]*)(\s+)")


def split_sentences(text: str) -> list[str]:
    """Lines, then sentences inside lines. Keeps the original characters of each sentence."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start = 0
        for m in _SPLIT.finditer(line):
            end = m.end(1)
            before = line[start:m.start(1)].rsplit(None, 1)
            last = before[-1].lower().rstrip(".") if before else ""
            nxt = line[m.end():m.end() + 1]
            # An abbreviation or a single initial ("M. Hatami", "Gen. Bagheri") does not end a sentence;
            # nor does a full stop followed by a lower-case letter.
            if m.group(1) == "." and (last in _ABBREVIATIONS or len(last) == 1):
                continue
            # German ordinals: "am 18. März", "vom 14. bis 15. November".
            if m.group(1) == "." and last.isdigit() and len(last) <= 2:
                continue
            if nxt and nxt.islower():
                continue
            out.append(line[start:end].strip())
            start = m.end()
        rest = line[start:].strip()
        if rest:
            out.append(rest)
    return out


# A few frequent function words per language: enough to tell which language's ambiguous date words
# ("hier" is 'yesterday' in French but 'here' in German) apply, whatever the language label says.
_FUNCTION_WORDS = {
    "en": {"the", "and", "of", "with", "said", "was", "in", "on"},
    "fr": {"le", "la", "les", "et", "des", "du", "avec", "est", "une"},
    "de": {"der", "die", "das", "und", "mit", "den", "dem", "ist", "ein"},
    "es": {"el", "los", "las", "y", "con", "del", "que", "una", "por"},
    "ar": {"في", "من", "على", "الى", "ان", "مع", "التي", "الذي"},
    "fa": {"در", "به", "از", "با", "که", "است", "را", "اين"},
}


_WORD_LANGS: dict[str, tuple[str, ...]] = {}
for _lang, _words in _FUNCTION_WORDS.items():
    for _w in _words:
        _WORD_LANGS[_w] = (*_WORD_LANGS.get(_w, ()), _lang)


def guess_language(tokens: Iterable[str]) -> str:
    """The language whose function words are most frequent among the tokens ('und' if none)."""
    counts = dict.fromkeys(_FUNCTION_WORDS, 0)
    for tok in tokens:
        for lang in _WORD_LANGS.get(tok, ()):
            counts[lang] += 1
    best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return best[0] if best[1] > 0 else "und"
