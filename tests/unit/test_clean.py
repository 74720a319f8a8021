"""clean_text: the seeds' own noise lines go, page noise goes in six languages, real sentences stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswatch.core.clean import NOISE, clean_text

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

# What cleaning must remove from each seed, line by line (the rest of the seed must come out unchanged).
SEED_NOISE = {
    "000_ccac7b9bec0f3b7e.txt": {
        "Lire aussi:",
        "\"Nous avons conclu d'importants contrats avec la Russie et la Chine\" (le général Hatami)"},
    "001_9598d2335c4139ab.txt": {"Source: PressTV"},
    "002_55e5600d96472930.txt": {
        "Home Politics Iranian Defense Minister: Ready to meet the needs of the Iraqi armed forces to "
        "strengthen their defense forces",
        "by YCPress"},
    "003_ae4a6f0e0f0b7b5f.txt": {
        "TV",
        "Infos \xa0 / \xa0 A La Une \xa0 / \xa0 Iran \xa0 / \xa0 Moyen-Orient \xa0 / \xa0 L’INFO EN CONTINU",
        "US Rep. Ilhan Omar (D-MN) (L) talks with Speaker of the House Nancy Pelosi (D-CA) during a rally with "
        "fellow Democrats before voting on H.R. 1, or the People Act, on the East Steps of the US Capitol on "
        "March 08, 2019 in Washington, DC. (AFP photo)",
        "Le chef d'état-major des forces armées iraniennes, le général de division Mohammad Baqeri (G) et le "
        "ministre irakien de la Défense Thabet Muhammad Saeed al-Abbasi, à Téhéran, le 26 février 2023. ©DefaPress",
        "Partager Cet Article",
        "SOURCE: FRENCH PRESS TV"},
    "004_b4a537f1d5559298.txt": {"Leave a Comment", "0 + 0 ="},
}


@pytest.mark.parametrize("seed", sorted(SEED_NOISE))
def test_seed_noise_lines_are_removed_and_nothing_else(seed: str) -> None:
    text = (SEEDS / seed).read_text(encoding="utf-8")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    assert SEED_NOISE[seed] <= set(lines), "the noise listed here must be in the seed"
    assert clean_text(text).splitlines() == [ln for ln in lines if ln not in SEED_NOISE[seed]]


NOISE_LINES = {
    "en": ["Read more: Oil prices fall", "READ MORE:", "Related Articles", "Share this article", "Share on Facebook",
           "Facebook Twitter WhatsApp", "Leave a Reply", "12 Comments", "Subscribe to our newsletter",
           "Follow us on Twitter", "Home / World / Middle East", "Home Politics Iran talks", "Source: Reuters",
           "By Jane Smith", "Tags: Iran, Iraq", "© 2020 Reuters. All rights reserved.", "Advertisement",
           "Politics World Business Sports", "(Photo: IRNA)", "Photo: IRNA", "3 + 4 ="],
    "fr": ["Lire aussi:", "» Lire aussi : Bavar-373, le bouclier iranien", "À lire également", "Partager cet article",
           "Partager sur Facebook · Twitter", "Laisser un commentaire", "Abonnez-vous à notre newsletter",
           "Suivez-nous sur Telegram", "Accueil Monde Moyen-Orient", "Accueil > International > Irak",
           "Source : AFP", "Par Jean Dupont", "Mots-clés : Iran, Irak", "Tous droits réservés", "Publicité",
           "TV", "Crédit photo : AFP"],
    "de": ["Lesen Sie auch:", "Mehr zum Thema: Iran und Irak", "Teilen", "Artikel teilen", "Kommentar schreiben",
           "Newsletter abonnieren", "Folgen Sie uns auf Twitter", "Startseite Politik Ausland", "Quelle: dpa",
           "Von Anna Müller", "Schlagwörter: Iran, Irak", "Alle Rechte vorbehalten", "Anzeige", "Foto: dpa"],
    "es": ["Lee también: La OTAN se reúne", "Te puede interesar", "Compartir en Twitter", "Deja un comentario",
           "Suscríbete al boletín", "Síguenos en Twitter", "Inicio Internacional Oriente Medio", "Fuente: EFE",
           "Por Juan Pérez", "Etiquetas: Irán, Irak", "Todos los derechos reservados", "Publicidad"],
    "ar": ["اقرأ أيضا:", "اقرأ أيضاً: وزير الدفاع العراقي في طهران", "مواضيع ذات صلة", "شارك", "أضف تعليق",
           "تابعونا على تويتر", "الرئيسية / أخبار / العراق", "المصدر: وكالات", "بقلم علي حسين",
           "الكلمات المفتاحية: إيران، العراق", "جميع الحقوق محفوظة", "إعلان"],
    "fa": ["بیشتر بخوانید:", "بیشتر بخوانید: سفر وزیر دفاع عراق به تهران", "اخبار مرتبط", "اشتراک‌گذاری",
           "هم‌رسانی", "ارسال نظر", "عضویت در خبرنامه", "خانه » سیاسی", "منبع: ایرنا", "برچسب‌ها: ایران، عراق",
           "کلیه حقوق این سایت محفوظ است", "تبلیغات"],
}
CASES = [(lang, line) for lang, lines in sorted(NOISE_LINES.items()) for line in lines]


@pytest.mark.parametrize(("lang", "noise"), CASES)
def test_noise_lines_in_six_languages(lang: str, noise: str) -> None:
    text = f"Une vraie phrase d'article sur la rencontre.\n{noise}\nAnother real sentence of the article."
    assert clean_text(text).splitlines() == ["Une vraie phrase d'article sur la rencontre.",
                                             "Another real sentence of the article."], (lang, noise)


def test_every_language_has_a_table() -> None:
    assert set(NOISE) == {"en", "fr", "de", "es", "ar", "fa"}


def test_a_bare_read_more_label_takes_its_link_line_but_not_a_sentence() -> None:
    assert clean_text("Body.\nLire aussi:\nBavar-373 : l'Iran dévoile son bouclier\nMore body.") == "Body.\nMore body."
    text = "Body.\nRead more:\nThe minister then left for Baghdad, where he met the army chief.\nEnd."
    assert clean_text(text) == "Body.\nThe minister then left for Baghdad, where he met the army chief.\nEnd."


REAL_SENTENCES = [
    "Source: the ministry said the talks would continue next week in Baghdad, officials told reporters.",
    "Home to millions of pilgrims, Karbala hosted the delegation on Sunday.",
    "Home Secretary visits Baghdad",
    "Share prices rose 3% in Tehran on Sunday",
    "Related to this, the ministry said the visit had been planned for months.",
    "Comment the minister made on Sunday angered Baghdad",
    "Subscribers to the agency's service received the statement late on Sunday.",
    "by the end of the year, both armies will hold joint exercises",
    "Par ailleurs, le ministre a rencontré son homologue.",
    "Partagée par les deux pays, cette analyse a été saluée à Bagdad.",
    "Le ministre a déclaré : « Nous partagerons notre expérience avec nos voisins. »",
    "Teilen Sie uns Ihre Meinung mit",
    "Von Teheran nach Bagdad",
    "Por otra parte, el ministro iraní recibió a su homólogo iraquí en Teherán.",
    "اشترك الجيش العراقي في المناورات.",
    "شارك وزير الدفاع في الاجتماع",
    "وقال الوزير إن التعاون الدفاعي بين البلدين سيستمر.",
    "وزیر دفاع عراق روز شنبه وارد تهران شد.",
    "The photo (see photo) was taken in Baghdad on Sunday",
    "Irak : le vice-ministre iranien de la Défense rencontre le chef d'état-major irakien",
    "Tehran / Baghdad talks resume after a two-year pause in military cooperation, officials say",
    "| Jané Koos i-Size | 210 € | nein | 4,9 |",
    "L'Occident ne recherche pas la sécurité des autres Etats",
    "November 15, 2020 - 18:2",
    "Iran",
]


@pytest.mark.parametrize("sentence", REAL_SENTENCES)
def test_real_sentences_and_headings_survive(sentence: str) -> None:
    assert clean_text(sentence) == sentence


LINES = st.one_of(
    st.sampled_from([ln for _, ln in CASES] + REAL_SENTENCES + ["", "   ", "Lire aussi:", "0 + 0 ="]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Zl", "Zp", "Cc")), max_size=120),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=12))
def test_cleaning_only_removes_whole_lines_and_is_idempotent(lines: list[str]) -> None:
    text = "\n".join(lines)
    out = clean_text(text)
    kept = out.splitlines() if out else []
    remaining = iter(ln.strip() for ln in text.splitlines())
    assert all(any(k == r for r in remaining) for k in kept)   # an ordered subsequence of the input lines
    assert clean_text(out) == out


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Zl", "Zp", "Cc")),
               min_size=301, max_size=600))
def test_long_lines_are_never_removed(line: str) -> None:
    line = " ".join(line.split())
    if len(line) > 300:
        assert clean_text(line) == line
