"""FastDetector and load_profiles give langdetect's own n-grams and probabilities, bit for bit, on real and
adversarial text: compared with langdetect's Detector on profiles loaded by langdetect's own loader."""

from __future__ import annotations

import json
import random
import re
from functools import lru_cache
from pathlib import Path

import pytest
from langdetect.detector import Detector  # type: ignore[import-untyped]
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory  # type: ignore[import-untyped]
from langdetect.lang_detect_exception import ErrorCode, LangDetectException  # type: ignore[import-untyped]

from newswatch.core.langdetect_fast import FastDetector, load_profiles
from newswatch.core.language import SEED, _factory

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
TAG = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", re.S | re.I)

# Characters from the blocks langdetect's normaliser treats specially: ASCII letters and punctuation,
# Latin-1 (excluded ones too), Romanian comma-below letters, general punctuation, Persian yeh, Arabic,
# Vietnamese letters + combining marks and Latin Extended Additional, kana, bopomofo, CJK, Hangul.
ALPHABET = ("abcXYZ ,.;!?'\"-_[]^`0 9\t\n  éàçüßÆ×÷«»¡¿ \u0219\u021b\u2013\u2014\u201c\u201d\u2026"
            "\u06cc\u064a\u0627\u0644\u0639\u0631\u0642 aeiouyAEIOUY\u0300\u0301\u0303\u0309\u0323"
            "\u1e00\u1ea0\u1ec7\u1eff\u3042\u3093\u30a2\u30f3\u3105\u31a0\u4e00\u4e2d\u6587\uac00\ud55c"
            "\u0410\u0431\u0432\u05d0\u0e01\U0001f600")


@lru_cache(maxsize=1)
def _upstream() -> DetectorFactory:
    """langdetect's own loader over the same profiles, in the same (sorted) order and with the same seed."""
    factory = DetectorFactory()
    profiles = sorted(p for p in Path(PROFILES_DIRECTORY).iterdir() if p.is_file() and not p.name.startswith("."))
    factory.load_json_profile([p.read_text(encoding="utf-8") for p in profiles])
    factory.set_seed(SEED)
    return factory


def _probabilities(make: type[Detector], factory: DetectorFactory,
                   text: str) -> tuple[list[str], list[tuple[str, float]] | str]:
    detector = make(factory)
    detector.append(text)
    detector.cleaning_text()
    ngrams = detector._extract_ngrams()
    fresh = make(factory)
    fresh.append(text)
    try:
        probs = [(p.lang, p.prob) for p in fresh.get_probabilities()]
    except LangDetectException as exc:
        return ngrams, f"LangDetectException: {exc}"
    assert all(type(p) is float for _, p in probs)
    return ngrams, probs


def _assert_same(text: str) -> None:
    ours = _probabilities(FastDetector, _factory(), text)
    assert ours == _probabilities(Detector, _upstream(), text), text[:80]


def test_profiles_are_langdetects() -> None:
    """Same languages in the same order, same n-grams in the same order, same value for each."""
    ours, theirs = _factory(), _upstream()
    assert ours.langlist == theirs.langlist and len(ours.langlist) == 55
    assert list(ours.word_lang_prob_map) == list(theirs.word_lang_prob_map)
    assert all(row.tolist() == theirs.word_lang_prob_map[word] for word, row in ours.word_lang_prob_map.items())
    assert ours.seed == theirs.seed == SEED


def _fuzz(seed: int) -> str:
    rng = random.Random(seed)
    words = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 9))) for _ in range(rng.randint(1, 120))]
    extras = ["https://example.org/a?b=1#c", "someone@example.org", "MINISTRE", "Iraq's", "   ", "\u00a0"]
    return " ".join(w if rng.random() > 0.1 else rng.choice(extras) for w in words)


@pytest.mark.parametrize("seed", range(300))
def test_adversarial_text(seed: int) -> None:
    _assert_same(_fuzz(seed))


def test_seed_articles() -> None:
    texts = sorted((SEEDS).glob("*.txt"))
    assert texts
    for path in texts:
        text = path.read_text(encoding="utf-8")
        for cut in (200, 1000, len(text)):
            _assert_same(text[:cut])


def test_corpus_pages(corpus: Path) -> None:
    """The visible text of every real corpus page (any language, any script): 1,000 characters (what
    detect_language passes), 4,000 for every fifth page."""
    rows = json.loads((corpus / "html" / "manifest.json").read_text(encoding="utf-8"))
    paths = sorted({r["path"] for r in rows if r["kind"] == "real-page"})
    assert len(paths) > 100
    for i, rel in enumerate(paths):
        page = (corpus / rel).read_bytes().decode("utf-8", errors="replace")
        text = " ".join(TAG.sub(" ", page).split())
        for cut in (1000, 4000) if i % 5 == 0 else (1000,):
            _assert_same(text[:cut])


def test_profiles_refused_as_langdetect_refuses_them() -> None:
    text = next(p for p in sorted(Path(PROFILES_DIRECTORY).iterdir()) if p.is_file()).read_text(encoding="utf-8")
    for profiles, code in (([text], "NeedLoadProfileError"), ([text, text], "DuplicateLangError")):
        with pytest.raises(LangDetectException) as caught:
            load_profiles(profiles, SEED)
        assert caught.value.get_code() == getattr(ErrorCode, code)


def test_a_prior_map_is_refused_not_ignored() -> None:
    """The array sampling starts from the uniform prior only; a prior must not be dropped silently."""
    with pytest.raises(NotImplementedError):
        FastDetector(_factory()).set_prior_map({"en": 0.9, "fr": 0.1})
