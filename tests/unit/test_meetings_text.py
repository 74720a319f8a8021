"""Normalisation and sentence splitting for the meeting watch."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newswatch.core.meetings.text import guess_language, normalize, normalize_lines, split_sentences


def test_latin_accents_case_and_punctuation_go() -> None:
    assert normalize("Téhéran") == "teheran"
    assert normalize("le chef d’état-major IRANIEN") == "le chef d etat major iranien"
    assert normalize("Straße, ŒUVRE; al-Ghanmi") == "strasse oeuvre al ghanmi"


def test_arabic_and_persian_letter_variants_unify() -> None:
    # Arabic yeh/alef-maqsura and Persian yeh; kaf and Persian keheh; hamza forms; teh marbuta.
    assert normalize("إيران") == normalize("ایران") == normalize("ايران")
    assert normalize("وزیر دفاع عراق") == normalize("وزير دفاع عراق")
    assert normalize("الأعرجي") == normalize("الاعرجی")
    assert normalize("جمعة") == normalize("جمعه")
    assert normalize("نیروهای\u200cمسلح") == "نيروهايمسلح"      # zero-width non-joiner joins
    assert normalize("مُحَمَّد") == "محمد"                        # harakat dropped


def test_eastern_digits_become_ascii() -> None:
    assert normalize("۷ اسفند ۱۴۰۱") == "7 اسفند 1401"
    assert normalize("٢٦ شباط ٢٠٢٣") == "26 شباط 2023"


def test_sentences_split_on_stops_but_not_on_titles_initials_or_ordinals() -> None:
    text = ("Maj. Gen. Mohammad Bagheri met al-Ghanmi. The talks were long! "
            "M. Larijani était à Bagdad. Am 18. März trafen sie sich. U.S. officials said nothing.")
    assert split_sentences(text) == [
        "Maj. Gen. Mohammad Bagheri met al-Ghanmi.", "The talks were long!",
        "M. Larijani était à Bagdad.", "Am 18. März trafen sie sich.", "U.S. officials said nothing."]


def test_lines_are_sentences_and_arabic_question_marks_split() -> None:
    assert split_sentences("عنوان\n\nهل التقى الوزيران؟ نعم.") == ["عنوان", "هل التقى الوزيران؟", "نعم."]


def test_guess_language_from_function_words() -> None:
    assert guess_language(normalize("le ministre de la défense est à téhéran").split(" ")) == "fr"
    assert guess_language(normalize("der Minister ist in der Stadt und").split(" ")) == "de"
    assert guess_language(normalize("وزیر دفاع عراق در تهران با باقری دیدار کرد").split()) == "fa"
    assert guess_language(["xyz"]) == "und"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6))
def test_normalize_lines_equals_normalize_per_line(lines: list[str]) -> None:
    assert normalize_lines(lines) == [normalize(line) for line in lines]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_normalize_is_idempotent_and_space_clean(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert "  " not in once and once == once.strip()
