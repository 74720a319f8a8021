"""Text -> (ISO 639-1 code, confidence) with langdetect, deterministic across calls and processes."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from langdetect.detector_factory import (  # type: ignore[import-untyped]  # ships no type information
    PROFILES_DIRECTORY,
    DetectorFactory,
)
from langdetect.lang_detect_exception import LangDetectException  # type: ignore[import-untyped]

from newswatch.core.langdetect_fast import FastDetector, load_profiles

# langdetect's accuracy on news pages is flat beyond ~600 characters while its cost grows with length
# (tests/quality/test_extraction_quality.py; on 119 corpus news texts, 2,000 characters took 3.3 ms a
# text, 1,000 took 2.25 ms, with the same 119 answers). Fewer than langdetect's 7 trials would be
# faster still, but makes the probabilities of short texts coarse (multiples of 1/3 with 3), which the
# source-language hint relies on.
PREFIX_CHARS = 1000
MIN_LETTERS = 20       # below this a guess is noise: 'und'
SEED = 0
HINT_MAX_PROB = 0.6    # the hint only decides when the detector is this unsure ...
HINT_MIN_PROB = 0.3    # ... and the hinted language is itself a serious candidate
LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    """A private, seeded factory with the profiles loaded once per process, in sorted order.

    langdetect's own loader follows os.listdir order and its module-level factory is shared with any
    other user of langdetect; a private factory fed in sorted order gives the same detector on every
    machine. Its seed (0) makes every detector reseed its random generator the same way on each call."""
    profiles = sorted(p for p in Path(PROFILES_DIRECTORY).iterdir() if p.is_file() and not p.name.startswith("."))
    return load_profiles([p.read_text(encoding="utf-8") for p in profiles], SEED)


def _iso639_1(code: str) -> str:
    """langdetect's codes are ISO 639-1 except the Chinese variants: 'zh-cn', 'zh-tw' -> 'zh'."""
    return code.split("-")[0].lower()


def detect_language(text: str, *, hint: str | None = None) -> tuple[str, float]:
    """The most probable language of `text` and its probability; ('und', 0.0) for too little text.

    Each call builds a fresh detector from the seeded factory, so a result never depends on what was
    detected before. `hint` (a source's configured language) only settles a near-tie: it is returned
    when the best guess is below HINT_MAX_PROB and the hinted language has at least HINT_MIN_PROB."""
    sample = text[:PREFIX_CHARS]
    if len(LETTER.findall(sample)) < MIN_LETTERS:
        return "und", 0.0
    detector = FastDetector(_factory())
    detector.append(sample)
    try:
        probs = detector.get_probabilities()
    except LangDetectException:   # no usable features (e.g. only symbols of unknown scripts)
        return "und", 0.0
    if not probs:
        return "und", 0.0
    best = probs[0]
    wanted = _iso639_1(hint) if hint else None
    if wanted and best.prob < HINT_MAX_PROB and _iso639_1(best.lang) != wanted:
        for p in probs:
            if _iso639_1(p.lang) == wanted and p.prob >= HINT_MIN_PROB:
                best = p
                break
    return _iso639_1(best.lang), round(float(best.prob), 4)
