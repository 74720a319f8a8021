"""Detection: which articles report an Iran-Iraq defense meeting, with which evidence, participants,
place and date; robustness to wrong language labels and arbitrary text; and its speed (printed)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswatch.core.meetings import Watch, detect, detect_many, load_watch
from newswatch.models import Detection, MeetingInput


@pytest.fixture(scope="module")
def watch() -> Watch:
    return load_watch()


def doc(text: str, published: date | None, *, title: str = "", language: str = "en",
        article_id: str = "a1") -> MeetingInput:
    when = datetime(published.year, published.month, published.day, 12, tzinfo=UTC) if published else None
    return MeetingInput(article_id=article_id, title=title, text=text, language=language, published_at=when)


def names(det: Detection | None) -> set[str]:
    assert det is not None
    return {p.name for p in det.participants}


# The role phrases of the issue, each in a meeting report that names nobody: the phrase is read as
# the holder of that office on the publication date.
ROLE_PHRASES = [
    ("en", date(2020, 11, 14), "Juma Inad", "Tehran",
     "The Iraqi defense minister arrived in Tehran on Saturday for talks with Iranian military commanders."),
    ("fr", date(2023, 12, 4), "Mohammad Bagheri", "Baghdad",
     "Le chef d'état-major iranien s'est rendu lundi à Bagdad pour des entretiens avec les commandants "
     "militaires irakiens."),
    ("ar", date(2023, 2, 26), "Thabet al-Abbasi", "Tehran",
     "وصل وزير الدفاع العراقي إلى طهران اليوم في زيارة رسمية يلتقي خلالها القادة العسكريين الإيرانيين."),
    ("fa", date(2020, 11, 14), "Juma Inad", "Tehran",
     "وزیر دفاع عراق امروز وارد تهران شد و با فرماندهان نظامی ایران دیدار کرد."),
    ("de", date(2023, 12, 3), "Mohammad Bagheri", "Baghdad",
     "Der iranische Generalstabschef ist am Sonntag zu Gesprächen mit der irakischen Militärführung "
     "in Bagdad eingetroffen."),
    ("es", date(2017, 7, 22), "Erfan al-Hiyali", "Tehran",
     "El ministro de Defensa iraquí llegó a Teherán para reunirse con los mandos militares iraníes."),
]


@pytest.mark.parametrize(("lang", "published", "holder", "city", "text"), ROLE_PHRASES)
def test_role_phrases_name_the_office_holder(watch: Watch, lang: str, published: date, holder: str,
                                             city: str, text: str) -> None:
    det = detect(doc(text, published, language=lang), watch)
    assert det is not None
    assert holder in names(det)
    assert det.city == city
    assert det.evidence == text


@pytest.mark.parametrize(("lang", "published", "holder", "city", "text"), ROLE_PHRASES)
@pytest.mark.parametrize("label", ["en", "fa", "und"])
def test_language_label_does_not_matter(watch: Watch, lang: str, published: date, holder: str, city: str,
                                        text: str, label: str) -> None:
    right = detect(doc(text, published, language=lang), watch)
    wrong = detect(doc(text, published, language=label), watch)
    assert right == wrong


def test_the_office_holder_depends_on_the_date(watch: Watch) -> None:
    text = "The Iraqi defense minister arrived in Tehran for talks with Iran's chief of staff."
    assert names(detect(doc(text, date(2017, 7, 22)), watch)) == {"Erfan al-Hiyali", "Mohammad Bagheri"}
    assert names(detect(doc(text, date(2020, 11, 14)), watch)) == {"Juma Inad", "Mohammad Bagheri"}
    assert names(detect(doc(text, date(2025, 7, 1)), watch)) == {"Thabet al-Abbasi", "Abdolrahim Mousavi"}


@pytest.mark.parametrize("text", [
    "Iranian Defense Minister Amir Hatami held a phone call with his Iraqi counterpart Juma Inad in Tehran.",
    "Le ministre iranien de la Défense a eu un entretien téléphonique avec son homologue irakien à Bagdad.",
    "بحث وزير الدفاع العراقي جمعة عناد في اتصال هاتفي مع نظيره الإيراني أمير حاتمي التعاون العسكري.",
    "امیر حاتمی وزیر دفاع در تماس تلفنی با جمعه عناد وزیر دفاع عراق درباره همکاری دفاعی گفتگو کرد.",
    "Der iranische Verteidigungsminister Hatami sprach in einem Telefonat mit seinem irakischen Amtskollegen Inad.",
    "El ministro de Defensa iraní, Amir Hatami, mantuvo una llamada con su homólogo iraquí, Juma Inad.",
    "Iran's chief of staff Bagheri and Iraq's defense minister Inad met by videoconference.",
])
def test_calls_are_not_meetings(watch: Watch, text: str) -> None:
    assert detect(doc(text, date(2020, 11, 20)), watch) is None


def test_an_invitation_is_not_a_visit(watch: Watch) -> None:
    text = "Iranian Defense Minister Amir Hatami invited his Iraqi counterpart Juma Inad to visit Tehran."
    assert detect(doc(text, date(2020, 7, 1)), watch) is None
    visited = "Iraqi Defense Minister Juma Inad visited Tehran at the invitation of Amir Hatami."
    assert detect(doc(visited, date(2020, 11, 15)), watch) is not None


@pytest.mark.parametrize("text", [
    # a third country's official, in a third country's capital
    "Iraqi Defense Minister Thabet al-Abbasi met his Turkish counterpart in Ankara to discuss Iranian shelling.",
    # one side only
    "Iran's chief of staff Mohammad Bagheri met Pakistan's army commander in Tehran to discuss border security.",
    # trade, no defense content
    "Iraq's trade minister met Iran's industry minister in Tehran to discuss customs and bilateral trade.",
    # a strike, a statement: no meeting
    "Iran's Revolutionary Guards struck targets in Erbil in northern Iraq with missiles.",
    "General Bagheri said Iran was ready to meet the needs of the Iraqi armed forces.",
])
def test_hard_negatives(watch: Watch, text: str) -> None:
    assert detect(doc(text, date(2023, 8, 22)), watch) is None


def test_third_location_with_both_sides_is_a_meeting(watch: Watch) -> None:
    text = ("Iranian Defense Minister Amir Hatami met his Iraqi counterpart Juma Inad on the "
            "sidelines of the Moscow Conference on International Security on Wednesday.")
    det = detect(doc(text, date(2021, 6, 24)), watch)
    assert names(det) == {"Amir Hatami", "Juma Inad"}
    assert det is not None and det.city == "Moscow" and det.host_country == "RU" and det.visitor_country is None
    assert det.meeting_date == date(2021, 6, 23)


def test_a_name_out_of_office_on_the_meeting_date_is_not_a_participant(watch: Watch) -> None:
    # Najah al-Shammari became defense minister only in June 2019.
    text = ("Iranian Defense Minister Amir Hatami met Najah al-Shammari and Iraqi army chief of staff "
            "Othman al-Ghanmi in Baghdad on Wednesday.")
    assert names(detect(doc(text, date(2019, 4, 25)), watch)) == {"Amir Hatami", "Othman al-Ghanmi"}
    assert "Najah al-Shammari" in names(detect(doc(text, date(2019, 9, 5)), watch))


def test_weak_names_need_a_title_or_a_full_name(watch: Watch) -> None:
    plain = "Mousavi met Iraqi defense minister al-Abbasi in Tehran on Sunday."
    titled = "General Mousavi met Iraqi defense minister al-Abbasi in Tehran on Sunday."
    d1 = detect(doc(plain, date(2023, 2, 27)), watch)
    d2 = detect(doc(titled, date(2023, 2, 27)), watch)
    assert "Abdolrahim Mousavi" not in names(d1)
    assert "Abdolrahim Mousavi" in names(d2)
    assert "Thabet al-Abbasi" in names(d1)           # weak, but right after a role phrase


def test_officials_no_longer_in_office_are_not_participants(watch: Watch) -> None:
    text = ("Iraqi Defense Minister Thabet al-Abbasi met General Mohammad Bagheri in Tehran on Sunday, "
            "where both paid tribute to Qasem Soleimani.")
    assert names(detect(doc(text, date(2023, 2, 27)), watch)) == {"Thabet al-Abbasi", "Mohammad Bagheri"}


def test_host_visitor_and_first_day_of_a_visit(watch: Watch) -> None:
    text = ("Iraqi Defense Minister Juma Inad arrived in Tehran on Saturday. "
            "On Sunday he met Major General Mohammad Bagheri, Iran's chief of staff.")
    det = detect(doc(text, date(2020, 11, 16)), watch)
    assert det is not None
    assert (det.city, det.host_country, det.visitor_country) == ("Tehran", "IR", "IQ")
    assert det.meeting_date == date(2020, 11, 14)
    assert det.published_at == datetime(2020, 11, 16, 12, tzinfo=UTC)


def test_the_title_is_read_too(watch: Watch) -> None:
    det = detect(doc("The talks lasted two hours.", date(2023, 3, 19),
                     title="Shamkhani meets Iraqi national security adviser al-Araji in Baghdad"), watch)
    assert names(det) == {"Ali Shamkhani", "Qasim al-Araji"}


def test_unrelated_and_one_country_articles_are_skipped(watch: Watch) -> None:
    assert detect(doc("The football season opens on Sunday in Madrid.", date(2024, 8, 1)), watch) is None
    assert detect(doc("Iran's defense minister met Russian officials in Moscow.", date(2024, 8, 1)), watch) is None
    assert detect(doc("", None), watch) is None


def test_detect_many_keeps_order_and_drops_non_meetings(watch: Watch) -> None:
    yes = "Iraqi Defense Minister Juma Inad met Amir Hatami in Tehran."
    docs = [doc(yes, date(2020, 11, 15), article_id="b"), doc("Nothing here.", None, article_id="x"),
            doc(yes, date(2020, 11, 15), article_id="a")]
    assert [d.article_id for d in detect_many(docs, watch)] == ["b", "a"]


_WORDS = ["Iran", "Iraq", "Tehran", "بغداد", "met", "visited", "defense minister", "Bagheri", "al-Araji",
          "باقری", " عراق ", " دیدار ", "وزير الدفاع", "phone", "14", "Sunday", "November", "اسفند", "Mr.",
          " ", " ", ". ", ", ", "\n", "'s", "in", "à", "في", "در"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_WORDS) | st.text(max_size=4), max_size=60).map("".join),
       st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)))
def test_detect_never_fails_and_is_deterministic(watch: Watch, text: str, published: date | None) -> None:
    first = detect(doc(text, published), watch)
    assert first == detect(doc(text, published), watch)
    if first is not None:
        assert first.evidence and all(p.country in ("IR", "IQ") for p in first.participants)


def test_timing_is_printed(watch: Watch) -> None:
    """Speed per article (printed, not asserted): a 4 KB unrelated page, a 4 KB page mentioning Iran
    and Iraq but no meeting, and a 4 KB meeting report."""
    filler = ("The committee reviewed the budget and the schedule for the coming year, and members "
              "asked for more details about the costs of the new building. ") * 30
    unrelated = filler[:4096]
    mentions = ("Oil prices rose after Iran and Iraq said exports would continue. " + filler)[:4096]
    report = ("Iraqi Defense Minister Juma Inad arrived in Tehran on Saturday and met Amir Hatami. "
              "On Sunday he met Major General Mohammad Bagheri and Ali Shamkhani. " + filler)[:4096]
    for label, text in (("unrelated", unrelated), ("mentions Iran+Iraq", mentions), ("meeting report", report)):
        d = doc(text, date(2020, 11, 16))
        detect(d, watch)
        runs = 50
        start = time.perf_counter()
        for _ in range(runs):
            detect(d, watch)
        ms = (time.perf_counter() - start) / runs * 1000
        print(f"\ndetect, 4 KB {label}: {ms:.3f} ms/article")
