"""Extraction on the seed pages: every body paragraph kept, none of the chrome, and the seeds' own
noise lines removed by the cleaning step."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from newswatch.core.clean import clean_text
from newswatch.core.extract import decode_html, extract

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
spec = importlib.util.spec_from_file_location("make_fixtures", SEEDS / "make_fixtures.py")
assert spec and spec.loader
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)

# The seeds' own page noise (real, from the sites they were copied from): the cleaning step removes it.
SEED_NOISE = {
    "Lire aussi:",
    "\"Nous avons conclu d'importants contrats avec la Russie et la Chine\" (le général Hatami)",
    "Source: PressTV",
    "Home Politics Iranian Defense Minister: Ready to meet the needs of the Iraqi armed forces to strengthen "
    "their defense forces",
    "by YCPress",
    "TV",
    "Infos   /   A La Une   /   Iran   /   Moyen-Orient   /   L’INFO EN CONTINU",
    "Partager Cet Article",
    "SOURCE: FRENCH PRESS TV",
    "Leave a Comment",
    "0 + 0 =",
}
PHOTO_CAPTIONS = ("(AFP photo)", "©DefaPress")


def body_lines(seed: str) -> list[str]:
    lines = [ln.strip() for ln in (SEEDS / seed).read_text(encoding="utf-8").splitlines() if ln.strip()]
    noise = {" ".join(n.split()) for n in SEED_NOISE}
    return [ln for ln in lines if " ".join(ln.split()) not in noise and not ln.endswith(PHOTO_CAPTIONS)]


def chrome_strings(site: str) -> list[str]:
    s = fixtures.SITES[site]
    return [*s["related"], s["share"], s["footer"], s["newsletter"], s["related_title"], *s["comment"],
            s["logo"], "Advertisement", "gtag(", "dataLayer"]


PAGES = [(p[0], p[1], p[2], p[3]) for p in fixtures.PAGES]


@pytest.mark.parametrize(("name", "seed", "site", "title"), PAGES)
def test_seed_page_keeps_every_paragraph_and_no_chrome(name: str, seed: str, site: str, title: str) -> None:
    ex = extract((SEEDS / "pages" / f"{name}.html").read_bytes(), url=f"https://example.org/{name}")
    text = " ".join(ex.text.split())   # trafilatura turns no-break spaces into plain ones
    for line in body_lines(seed):
        assert " ".join(line.split()) in text, line[:80]
    for chrome in chrome_strings(site):
        assert chrome not in ex.text, chrome
    assert ex.title == title                      # no " | PressTV" suffix
    assert ex.date is not None and ex.date.tzinfo is not None
    assert ex.canonical_url and ex.canonical_url.startswith("https://")


@pytest.mark.parametrize(("name", "seed", "site", "title"), PAGES)
def test_seed_noise_lines_are_cleaned(name: str, seed: str, site: str, title: str) -> None:
    ex = extract((SEEDS / "pages" / f"{name}.html").read_bytes(), url=f"https://example.org/{name}")
    lines = set(ex.text.splitlines())
    for noise in SEED_NOISE:
        assert " ".join(noise.split()) not in {" ".join(x.split()) for x in lines}, noise
    assert not any(line.endswith(PHOTO_CAPTIONS) for line in lines)


@pytest.mark.parametrize("noise", [
    "Read more: Oil prices fall", "Lesen Sie auch:", "Lee también: La OTAN se reúne", "اقرأ أيضا:",
    "بیشتر بخوانید:", "Share this article", "Partager cet article", "Teilen", "Compartir en Twitter",
    "Leave a Reply", "Kommentar schreiben", "Deja un comentario", "أضف تعليق", "ارسال نظر", "3 + 4 =",
    "Accueil Monde Moyen-Orient", "Startseite Politik Ausland", "Inicio Internacional Oriente Medio",
    "Home / World / Middle East", "Quelle: dpa", "Fuente: EFE", "المصدر: وكالات", "منبع: ایرنا",
    "Abonnez-vous à notre newsletter", "Suscríbete al boletín",
])
def test_noise_in_six_languages(noise: str) -> None:
    text = f"Une vraie phrase d'article sur la rencontre.\n{noise}\nAnother real sentence of the article."
    assert clean_text(text).splitlines() == ["Une vraie phrase d'article sur la rencontre.",
                                             "Another real sentence of the article."]


@pytest.mark.parametrize("sentence", [
    "Source: the ministry said the talks would continue next week in Baghdad, officials told reporters.",
    "Home to millions of pilgrims, Karbala hosted the delegation on Sunday.",
    "Le ministre a déclaré : « Nous partagerons notre expérience avec nos voisins. »",
    "وقال الوزير إن التعاون الدفاعي بين البلدين سيستمر.",
])
def test_real_sentences_survive(sentence: str) -> None:
    assert clean_text(sentence) == sentence


@pytest.mark.parametrize(("raw", "ctype", "expected"), [
    ("Téhéran, 15 novembre".encode("cp1252"), "text/html; charset=ISO-8859-1", "Téhéran, 15 novembre"),
    ("طهران".encode("cp1256"), "text/html; charset=windows-1256", "طهران"),
    ("<meta charset='gb2312'>新华网".encode("gb2312"), None, "<meta charset='gb2312'>新华网"),
    ("\ufeffbonjour".encode("utf-8"), "text/html; charset=latin-1", "bonjour"),
    (b"caf\xc3\xa9 and a bad byte \xff", "text/html; charset=utf-8", "café and a bad byte"),
])
def test_decoding(raw: bytes, ctype: str | None, expected: str) -> None:
    assert decode_html(raw, ctype).startswith(expected)
