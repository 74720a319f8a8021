"""Language detection: the six languages, 'und' for too little text, identical results across
calls and processes (langdetect is seeded)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from newswatch.core.language import detect_language

SAMPLES = {
    "en": "Iraq's defense minister arrived in Tehran on Saturday for talks with his Iranian counterpart.",
    "fr": "Le ministre irakien de la Défense est arrivé samedi à Téhéran pour des entretiens avec son homologue.",
    "ar": "وصل وزير الدفاع العراقي إلى طهران يوم السبت لإجراء محادثات مع نظيره الإيراني حول التعاون العسكري.",
    "fa": "وزیر دفاع عراق روز شنبه برای گفتگو با همتای ایرانی خود درباره همکاری‌های نظامی وارد تهران شد.",
    "de": "Der irakische Verteidigungsminister ist am Samstag zu Gesprächen mit seinem iranischen Amtskollegen "
          "in Teheran eingetroffen.",
    "es": "El ministro de Defensa iraquí llegó el sábado a Teherán para conversar con su homólogo iraní sobre "
          "la cooperación militar.",
}


@pytest.mark.parametrize(("lang", "text"), sorted(SAMPLES.items()))
def test_six_languages(lang: str, text: str) -> None:
    code, confidence = detect_language(text)
    assert code == lang
    assert 0.5 < confidence <= 1.0


@pytest.mark.parametrize("text", ["", "   ", "OK", "12 345 678", "Téhéran!"])
def test_too_little_text_is_und(text: str) -> None:
    assert detect_language(text) == ("und", 0.0)


def test_results_do_not_depend_on_call_order_or_process() -> None:
    mixed = "Teheran Bagdad Irak Iran ministre minister Minister ministro"   # deliberately ambiguous
    texts = [mixed, *SAMPLES.values(), mixed[::-1]]
    forward = [detect_language(t) for t in texts]
    backward = [detect_language(t) for t in reversed(texts)][::-1]
    assert forward == backward
    code = ("from newswatch.core.language import detect_language as d; import sys, json; "
            "print(json.dumps([d(t) for t in json.load(sys.stdin)]))")
    import json

    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True,
                         check=True)
    assert [tuple(x) for x in json.loads(out.stdout)] == forward
