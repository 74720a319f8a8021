"""langdetect's Detector and profile loader with the same results, minus their per-element Python loops."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from langdetect.detector import Detector  # type: ignore[import-untyped]  # ships no type information
from langdetect.detector_factory import DetectorFactory  # type: ignore[import-untyped]
from langdetect.lang_detect_exception import ErrorCode, LangDetectException  # type: ignore[import-untyped]
from langdetect.utils.ngram import NGram  # type: ignore[import-untyped]

SPACES = re.compile(r"  +")
LATIN = re.compile(r"[A-z]")   # langdetect's own test: 'A' <= ch <= 'z' (six punctuation marks included)
# Characters langdetect counts as non-Latin: all from U+0300 on. (It means to leave out the Latin Extended
# Additional block, but compares unicode_block()'s number with the block's name, so it never does.)
NON_LATIN = re.compile("[\u0300-\U0010ffff]")
_NORMALIZED: dict[str, tuple[str, bool]] = {}   # char -> (NGram.normalize(char), its isupper()), per process


def load_profiles(profiles: Sequence[str], seed: int) -> DetectorFactory:
    """langdetect's `DetectorFactory.load_json_profile` + `set_seed`, giving the same languages, n-grams
    and probabilities, with each n-gram's row a view into one float64 table instead of a list of 55
    Python floats: built with array operations in ~0.2 s instead of ~0.37 s (medians of 8 interleaved
    pairs; every run's process and every spawned worker loads them), and what FastDetector's sampling
    multiplies with."""
    data = [json.loads(text) for text in profiles]
    if len(data) < 2:
        raise LangDetectException(ErrorCode.NeedLoadProfileError, "Need more than 2 profiles.")
    langs = [d["name"] for d in data]
    if len(set(langs)) != len(langs):
        raise LangDetectException(ErrorCode.DuplicateLangError, "Duplicate the same language profile.")
    rows: dict[str, int] = {}   # n-gram -> row, in the order langdetect's dict first sees them
    for d in data:
        for word in d["freq"]:
            rows.setdefault(word, len(rows))
    table = np.zeros((len(rows), len(data)))
    for col, d in enumerate(data):
        freq: dict[str, int] = d["freq"]
        n_words: list[int] = d["n_words"]
        # langdetect's own arithmetic, value by value: 1.0 * count / n_words[len - 1] (1- to 3-grams only)
        kept = [w for w in freq if 1 <= len(w) <= 3]
        table[[rows[w] for w in kept], col] = [1.0 * freq[w] / n_words[len(w) - 1] for w in kept]
    factory = DetectorFactory()
    factory.langlist = langs
    factory.word_lang_prob_map = dict(zip(rows, table, strict=True))   # iterating a 2-D array: row views
    factory.set_seed(seed)
    return factory


class FastDetector(Detector):  # type: ignore[misc]  # langdetect is untyped
    """Gives exactly langdetect's n-grams, hence its probabilities (tests/unit/test_langdetect_fast.py
    compares the two, each with its own loader, on every corpus page and on adversarial text). The text
    passes run as regexes and the n-gram pass as one local loop: ~0.9 ms instead of ~1.6 ms for 1,000
    characters. The sampling loop does langdetect's float operations in the same order, 55 languages
    at a time (needs the rows of `load_profiles`)."""

    text: str

    def append(self, text: str) -> None:
        text = NGram.normalize_vi(self.MAIL_RE.sub(" ", self.URL_RE.sub(" ", text)))
        # langdetect keeps a character unless it and the one before are both spaces.
        self.text += SPACES.sub(" ", text[:self.max_text_length])

    def cleaning_text(self) -> None:
        if len(LATIN.findall(self.text)) * 2 < len(NON_LATIN.findall(self.text)):
            self.text = LATIN.sub("", self.text)

    def _extract_ngrams(self) -> list[str]:
        """NGram.add_char and the 1- to 3-gram lookups of langdetect, inlined."""
        known = self.word_lang_prob_map
        normalized = _NORMALIZED
        result: list[str] = []
        grams = " "
        capital = False
        for raw in self.text:
            entry = normalized.get(raw)
            if entry is None:
                norm = NGram.normalize(raw)
                entry = normalized[raw] = (norm, norm.isupper())
            ch, upper = entry
            last = grams[-1]
            if last == " ":
                grams = " "
                capital = False
                if ch == " ":
                    continue
            elif len(grams) >= 3:
                grams = grams[1:]
            grams += ch
            if upper:
                if last.isupper():
                    capital = True
            else:
                capital = False
            if capital:
                continue
            if ch != " " and ch in known:
                result.append(ch)
            if len(grams) >= 2:
                if grams[-2:] in known:
                    result.append(grams[-2:])
                if len(grams) >= 3 and grams in known:
                    result.append(grams)
        return result

    def set_prior_map(self, prior_map: dict[str, float]) -> None:
        """Not supported: the sampling below starts from langdetect's uniform prior only (newswatch
        sets none), so a prior is refused rather than silently ignored."""
        raise NotImplementedError("FastDetector takes no prior map")

    def _detect_block(self) -> None:
        """langdetect's trials: the same random draws and the same IEEE operations on each language's
        probability, in array form. Only the sum is left to Python's sum(), as langdetect does it."""
        self.cleaning_text()
        ngrams = self._extract_ngrams()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        known: dict[str, Any] = self.word_lang_prob_map
        size = len(self.langlist)
        langprob = np.zeros(size)
        rnd = self.random
        rnd.seed(self.seed)
        choice = rnd.choice
        for _ in range(self.n_trial):
            prob = np.full(size, 1.0 / size)
            alpha = self.alpha + rnd.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            i = 0
            while True:
                prob *= weight + known[choice(ngrams)]
                if i % 5 == 0:
                    prob /= sum(prob.tolist())
                    if prob.max() > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                        break
                i += 1
            langprob += prob / self.n_trial
        self.langprob = langprob.tolist()
