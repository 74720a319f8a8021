"""Text -> (ISO 639-1 code, confidence) with langdetect, deterministic across calls and processes."""

from __future__ import annotations

import re
from functools import lru_cache

from langdetect import DetectorFactory
from langdetect.detector_factory import init_factory
from langdetect.lang_detect_exception import LangDetectException

PREFIX_CHARS = 2000      # langdetect's accuracy plateaus well before this; cost grows with length
MIN_LETTERS = 20         # below this a guess is noise: 'und'
SEED = 0
LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    init_factory()   # loads the language profiles once per process
    from langdetect import detector_factory

    factory = detector_factory._factory   # the profiles loaded above
    factory.set_seed(SEED)
    return factory


def detect_language(text: str, *, hint: str | None = None) -> tuple[str, float]:
    """Best language of `text` and its probability; ('und', 0.0) when there is too little text.

    A fresh detector per call, seeded, so a result never depends on what was detected before. The
    feed's language `hint` only breaks near-ties."""
    sample = text[:PREFIX_CHARS]
    if len(LETTER.findall(sample)) < MIN_LETTERS:
        return "und", 0.0
    detector = _factory().create()
    detector.append(sample)
    try:
        probs = detector.get_probabilities()   # the detector seeds its own Random with SEED
    except LangDetectException:
        return "und", 0.0
    if not probs:
        return "und", 0.0
    best = probs[0]
    if hint and best.prob < 0.6:
        for p in probs:
            if p.lang.split("-")[0] == hint and p.prob >= 0.3:
                best = p
                break
    return best.lang.split("-")[0], round(float(best.prob), 4)
