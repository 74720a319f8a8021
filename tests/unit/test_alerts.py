"""The alert message: title, bodies and structured payload rendered from an event view."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from newswatch.core.alerts import ALERT_TYPE, EVIDENCE_MAX_CHARS, AlertMessage, render, trim
from newswatch.models import EventRecord, EventView, MentionView, Participant

INAD = Participant("Juma Inad", "IQ", "defense minister")
BAGHERI = Participant("Mohammad Bagheri", "IR", "chief of staff of the armed forces")
EN = MentionView(
    article_id="a-tehrantimes", url="https://www.tehrantimes.com/news/455123/iran-iraq",
    source_id="tehrantimes", language="en",
    title="Iran has provided Iraq with defense products, says general",
    evidence="General Bagheri said on Sunday in a meeting with Iraqi Minister of Defense Juma Inad "
             "in Tehran.")
FR = MentionView(
    article_id="a-presstv", url="https://www.presstv.ir/fr/Detail/2020/11/15/x",
    source_id="presstv-fr", language="fr",
    title="Le ministre irakien de la Défense à Téhéran",
    evidence="Le ministre irakien de la Défense est attendu à Téhéran à la tête d'une délégation.")
EVENT = EventRecord(event_id="ev_1d2c3b4a", meeting_date=date(2020, 11, 15), city="Tehran",
                    host_country="IR",
                    title="Iraqi defense minister Inad meets Iran's Bagheri in Tehran",
                    participants=(INAD, BAGHERI))
VIEW = EventView(event=EVENT, mentions=(FR, EN))


def test_title_is_the_event_title_with_its_date() -> None:
    msg = render(VIEW)
    assert msg.title == "Iraqi defense minister Inad meets Iran's Bagheri in Tehran — 15 Nov 2020"


def test_title_without_a_date_is_the_event_title() -> None:
    msg = render(replace(VIEW, event=replace(EVENT, meeting_date=None)))
    assert msg.title == EVENT.title
    assert msg.payload["meeting_date"] is None
    assert "date unknown" in msg.text


def test_payload_is_the_structured_body() -> None:
    payload = render(VIEW).payload
    assert json.loads(json.dumps(payload)) == payload        # JSON-serialisable as it is
    assert payload["type"] == ALERT_TYPE
    assert payload["event_id"] == "ev_1d2c3b4a"
    assert payload["event_type"] == "iran_iraq_defense_meeting"
    assert payload["title"] == EVENT.title
    assert payload["meeting_date"] == "2020-11-15"
    assert (payload["city"], payload["host_country"]) == ("Tehran", "IR")
    assert payload["participants"] == [
        {"name": "Juma Inad", "country": "IQ", "role": "defense minister"},
        {"name": "Mohammad Bagheri", "country": "IR", "role": "chief of staff of the armed forces"},
    ]
    assert [m["article_id"] for m in payload["mentions"]] == ["a-presstv", "a-tehrantimes"]
    assert payload["mentions"][1] == {
        "article_id": EN.article_id, "url": EN.url, "source_id": EN.source_id, "language": "en",
        "title": EN.title, "evidence": EN.evidence}
    assert payload["languages"] == ["en", "fr"]
    assert payload["sources"] == ["presstv-fr", "tehrantimes"]


def test_bodies_name_participants_place_evidence_and_every_source() -> None:
    msg = render(VIEW)
    for body in (msg.markdown, msg.text):
        assert "Juma Inad" in body and "Mohammad Bagheri" in body
        assert "defense minister" in body
        assert "Tehran, Iran — 15 Nov 2020" in body
        assert "Reports (2) — languages: en, fr" in body
        assert "tehrantimes" in body and "presstv-fr" in body
    # The English report's sentence is the one shown, whatever the order of the mentions.
    assert "General Bagheri said on Sunday" in msg.text
    assert "attendu à Téhéran" not in msg.text
    assert f"[{EN.title}]({EN.url})" in msg.markdown
    assert EN.url in msg.text and FR.url in msg.text
    assert "**" not in msg.text and "](" not in msg.text


def test_untrusted_feed_text_cannot_inject_markdown_or_html() -> None:
    evil = replace(EN, title="Click [here](https://evil.example) <script>alert(1)</script> *now*",
                   url="https://site.example/a (b)")
    msg = render(replace(VIEW, mentions=(evil,)))
    assert "<script>" not in msg.markdown
    assert "&lt;script&gt;" in msg.markdown
    assert "[here](https://evil.example)" not in msg.markdown
    assert "\\*now\\*" in msg.markdown
    assert "(https://site.example/a%20%28b%29)" in msg.markdown
    assert "<script>" in msg.text                        # plain text is shown as it is


def test_evidence_is_trimmed_to_one_line() -> None:
    long = replace(EN, evidence="Bagheri met Inad in Tehran.\n" + "word " * 400)
    msg = render(replace(VIEW, mentions=(long,)))
    evidence = msg.payload["mentions"][0]["evidence"]
    assert len(evidence) <= EVIDENCE_MAX_CHARS
    assert evidence.endswith("…") and "\n" not in evidence
    assert evidence.startswith("Bagheri met Inad in Tehran. word")


def test_trim_keeps_short_text_and_cuts_at_a_word() -> None:
    assert trim("  a  b\n c ") == "a b c"
    cut = trim("alpha beta gamma delta", limit=12)
    assert cut == "alpha beta…"
    assert len(trim("x" * 1000, limit=50)) == 50


def test_an_event_without_mentions_or_participants_still_renders() -> None:
    bare = EventView(event=replace(EVENT, participants=(), city=None, host_country=None, title=""))
    msg = render(bare)
    assert msg.title == "Iran–Iraq defense meeting — 15 Nov 2020"
    assert msg.payload["mentions"] == [] and msg.payload["languages"] == []
    assert "(not identified)" in msg.text and "place unknown" in msg.text


_mentions = st.builds(
    MentionView,
    article_id=st.text("abcdef0123456789", min_size=4, max_size=8),
    url=st.from_regex(r"https://[a-z]{3,8}\.example/[a-z0-9]{1,8}", fullmatch=True),
    source_id=st.sampled_from(["presstv-fr", "tehrantimes", "irna-ar", "shafaq-en"]),
    language=st.sampled_from(["en", "fr", "ar", "fa", "und"]),
    title=st.text(max_size=60),
    evidence=st.text(max_size=600),
)
_participants = st.builds(Participant, name=st.text(min_size=1, max_size=20),
                          country=st.sampled_from(["IR", "IQ"]),
                          role=st.one_of(st.none(), st.text(max_size=20)))


@settings(max_examples=60, deadline=None)
@given(mentions=st.lists(_mentions, max_size=6),
       participants=st.lists(_participants, max_size=4),
       data=st.data())
def test_render_is_deterministic_whatever_the_input_order(
        mentions: list[MentionView], participants: list[Participant], data: st.DataObject) -> None:
    view = EventView(event=replace(EVENT, participants=tuple(participants)),
                     mentions=tuple(mentions))
    shuffled = EventView(
        event=replace(EVENT, participants=tuple(data.draw(st.permutations(participants)))),
        mentions=tuple(data.draw(st.permutations(mentions))))
    first: AlertMessage = render(view)
    assert render(shuffled) == first
    assert json.loads(json.dumps(first.payload)) == first.payload
    assert first.payload["languages"] == sorted({m.language for m in mentions})
    assert all(len(m["evidence"]) <= EVIDENCE_MAX_CHARS for m in first.payload["mentions"])
