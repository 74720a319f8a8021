"""Event merging: one event per real meeting across outlets, languages, announcements, look-backs and
runs; separate events for separate meetings; deterministic whatever the input order."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from newswatch.core.meetings import MeetingDetection, merge_events
from newswatch.core.meetings.dates import DAY_MONTH, EXPLICIT, INFERRED
from newswatch.core.meetings.merge import _add, _Cluster, _Index, _match, make_title
from newswatch.models import Detection, EventRecord, Participant

INAD = Participant("Juma Inad", "IQ", "defense minister")
HATAMI = Participant("Amir Hatami", "IR", "defense minister")
BAGHERI = Participant("Mohammad Bagheri", "IR", "chief of staff of the armed forces")
SHAMKHANI = Participant("Ali Shamkhani", "IR", "secretary of the Supreme National Security Council")
ABBASI = Participant("Thabet al-Abbasi", "IQ", "defense minister")
ARAJI = Participant("Qasim al-Araji", "IQ", "national security adviser")
RANK = {INAD: 10, HATAMI: 10, BAGHERI: 20, SHAMKHANI: 15, ABBASI: 10, ARAJI: 15}


def det(aid: str, published: date, people: list[Participant], *, day: date | None = None,
        precision: int = 0, city: str | None = "Tehran", host: str | None = "IR") -> MeetingDetection:
    visitor = {"IR": "IQ", "IQ": "IR"}.get(host or "")
    return MeetingDetection(
        article_id=aid, participants=tuple(people), evidence=f"evidence of {aid}", city=city,
        host_country=host, visitor_country=visitor, meeting_date=day, score=0.9,
        published_at=datetime(published.year, published.month, published.day, 8, tzinfo=UTC),
        date_precision=precision if day else 0, ranks=tuple(RANK.get(p, 50) for p in people))


# The Inad visit (14-15 Nov 2020): an announcement without a date, reports in several languages, a
# look-back a week later; the al-Abbasi visit (26 Feb 2023); Bagheri and al-Abbasi again in Baghdad
# (3 Dec 2023); al-Araji in Tehran twice, months apart.
DETECTIONS = [
    det("ann-fr", date(2020, 11, 13), [INAD, HATAMI]),
    det("rep-en", date(2020, 11, 15), [INAD, HATAMI, BAGHERI], day=date(2020, 11, 15), precision=INFERRED),
    det("rep-zh", date(2020, 11, 16), [INAD, HATAMI, SHAMKHANI, BAGHERI], day=date(2020, 11, 14),
        precision=DAY_MONTH),
    det("back-es", date(2020, 11, 24), [INAD, BAGHERI], day=date(2020, 11, 14), precision=DAY_MONTH),
    det("abb-fr", date(2023, 2, 27), [ABBASI, BAGHERI], day=date(2023, 2, 26), precision=DAY_MONTH),
    det("abb-ar", date(2023, 2, 26), [ABBASI, BAGHERI], day=date(2023, 2, 26), precision=INFERRED),
    det("bag-bgd", date(2023, 12, 3), [ABBASI, BAGHERI], day=date(2023, 12, 3), precision=INFERRED,
        city="Baghdad", host="IQ"),
    det("ara-1", date(2023, 5, 29), [ARAJI], day=date(2023, 5, 29), precision=INFERRED),
    det("ara-2", date(2024, 3, 12), [ARAJI], day=date(2024, 3, 12), precision=INFERRED),
]
GOLD = [{"ann-fr", "rep-en", "rep-zh", "back-es"}, {"abb-fr", "abb-ar"}, {"bag-bgd"}, {"ara-1"}, {"ara-2"}]


def groups(result_mentions: tuple[tuple[str, str, str], ...]) -> list[set[str]]:
    by_event: dict[str, set[str]] = {}
    for eid, aid, _ in result_mentions:
        by_event.setdefault(eid, set()).add(aid)
    return sorted(by_event.values(), key=lambda g: sorted(g))


def test_mentions_of_one_meeting_become_one_event() -> None:
    result = merge_events(DETECTIONS, [])
    assert groups(result.mentions) == sorted(GOLD, key=lambda g: sorted(g))
    assert len(result.mentions) == len(DETECTIONS) and result.updated_events == ()
    assert {m[2] for m in result.mentions} == {f"evidence of {d.article_id}" for d in DETECTIONS}


def test_event_fields() -> None:
    result = merge_events(DETECTIONS, [])
    inad = next(e for e in result.new_events if any(p.name == "Juma Inad" for p in e.participants))
    # The announcement is the earliest mention: it names the event and gives first_seen_at.
    assert inad.event_id == "ev_" + hashlib.sha256(b"ann-fr").hexdigest()[:16]
    assert inad.first_seen_at == datetime(2020, 11, 13, 8, tzinfo=UTC)
    # Explicit "14th and 15th November" beats the inferred "on Sunday"; the first day of the visit.
    assert inad.meeting_date == date(2020, 11, 14)
    assert (inad.city, inad.host_country, inad.event_type) == ("Tehran", "IR", "iran_iraq_defense_meeting")
    assert inad.participants == (INAD, SHAMKHANI, HATAMI, BAGHERI)    # sorted by country, then name
    assert inad.title == "Iraqi defense minister Inad meets Iran's Hatami in Tehran — 14 Nov 2020"


def test_same_officials_on_other_dates_are_other_events() -> None:
    result = merge_events(DETECTIONS, [])
    abbasi_bagheri = [e for e in result.new_events if {p.name for p in e.participants} == {
        "Thabet al-Abbasi", "Mohammad Bagheri"}]
    assert sorted((e.meeting_date, e.city) for e in abbasi_bagheri) == [
        (date(2023, 2, 26), "Tehran"), (date(2023, 12, 3), "Baghdad")]


def test_same_week_but_other_city_is_another_event() -> None:
    a = det("a", date(2019, 3, 18), [BAGHERI], day=date(2019, 3, 18), precision=INFERRED, city="Damascus",
            host="SY")
    b = det("b", date(2019, 3, 20), [BAGHERI], day=date(2019, 3, 20), precision=INFERRED)
    assert len(merge_events([a, b], []).new_events) == 2


@settings(max_examples=60, deadline=None)
@given(st.permutations(DETECTIONS))
def test_input_order_does_not_matter(order: list[MeetingDetection]) -> None:
    assert merge_events(order, []) == merge_events(DETECTIONS, [])


def test_merging_across_runs() -> None:
    first = [d for d in DETECTIONS if d.article_id in {"ann-fr", "abb-ar", "ara-1"}]
    later = [d for d in DETECTIONS if d not in first]
    run1 = merge_events(first, [])
    stored = list(run1.new_events)
    run2 = merge_events(later, stored)
    ids1 = {e.event_id for e in stored}
    inad_id = next(e.event_id for e in stored if any(p.name == "Juma Inad" for p in e.participants))
    # Reports arriving next week join the stored events; their mentions carry the stored ids.
    assert {eid for eid, aid, _ in run2.mentions if aid in {"rep-en", "rep-zh", "back-es"}} == {inad_id}
    # The stored announcement event had no date and two people: now it has a date and four.
    updated = {e.event_id: e for e in run2.updated_events}
    assert set(updated) <= ids1 and inad_id in updated
    assert updated[inad_id].meeting_date == date(2020, 11, 14) and len(updated[inad_id].participants) == 4
    stored_inad = next(e for e in stored if e.event_id == inad_id)
    assert updated[inad_id].first_seen_at == stored_inad.first_seen_at     # kept, not recomputed
    # Same grouping as one run over everything.
    all_mentions = run1.mentions + run2.mentions
    assert groups(all_mentions) == groups(merge_events(DETECTIONS, []).mentions)
    assert not ({e.event_id for e in run2.new_events} & ids1)


def test_an_existing_event_that_gains_nothing_is_not_updated() -> None:
    run1 = merge_events([DETECTIONS[4]], [])
    run2 = merge_events([DETECTIONS[5]], list(run1.new_events))
    assert run2.updated_events == () and run2.new_events == ()
    assert run2.mentions == ((run1.new_events[0].event_id, "abb-ar", "evidence of abb-ar"),)


def test_existing_event_without_date_matches_around_first_seen() -> None:
    stored = EventRecord(event_id="ev_stored", meeting_date=None, city="Tehran", host_country="IR",
                         title="old", participants=(INAD,), first_seen_at=datetime(2020, 11, 13, tzinfo=UTC))
    near = merge_events([DETECTIONS[1]], [stored])
    far = merge_events([DETECTIONS[4]], [stored])
    assert near.mentions[0][0] == "ev_stored" and near.updated_events[0].meeting_date == date(2020, 11, 15)
    assert far.mentions[0][0] != "ev_stored"


def test_plain_detections_without_the_extra_fields_merge_too() -> None:
    plain = [Detection(article_id=d.article_id, participants=d.participants, evidence=d.evidence,
                       city=d.city, host_country=d.host_country, visitor_country=d.visitor_country,
                       meeting_date=d.meeting_date, score=d.score, published_at=d.published_at)
             for d in DETECTIONS]
    assert groups(merge_events(plain, []).mentions) == sorted(GOLD, key=lambda g: sorted(g))


def test_a_new_id_never_collides_with_a_stored_one() -> None:
    # The article that created a stored event is re-detected (rules changed) and no longer matches it.
    taken = "ev_" + hashlib.sha256(b"ara-2").hexdigest()[:16]
    stored = EventRecord(event_id=taken, meeting_date=date(2015, 1, 1), city="Baghdad", host_country="IQ",
                         title="old", participants=(HATAMI,))
    result = merge_events([DETECTIONS[8]], [stored])
    assert result.new_events[0].event_id == "ev_" + hashlib.sha256(b"ara-2#1").hexdigest()[:16]


def test_undated_without_publication_needs_two_shared_people() -> None:
    loose = replace(DETECTIONS[0], article_id="loose", published_at=None)
    assert len(merge_events([DETECTIONS[2], loose], []).new_events) == 1
    lone = replace(loose, participants=(INAD,), ranks=(10,))
    assert len(merge_events([DETECTIONS[2], lone], []).new_events) == 2


def test_titles() -> None:
    people = [(INAD, 10), (HATAMI, 10), (BAGHERI, 20)]
    assert make_title(people, date(2020, 11, 15), "Tehran", "IR", "IQ") == (
        "Iraqi defense minister Inad meets Iran's Hatami in Tehran — 15 Nov 2020")
    assert make_title([(BAGHERI, 20), (INAD, 10)], None, "Damascus", "SY", None) == (
        "Iranian chief of staff of the armed forces Bagheri meets Iraqi defense minister Inad in Damascus")
    assert make_title([(INAD, 10)], date(2020, 11, 14), "Tehran", "IR", "IQ") == (
        "Iraqi defense minister Inad visits Tehran — 14 Nov 2020")
    assert make_title([], None, None, None, None) == "Iran–Iraq defense meeting"


def test_explicit_dates_beat_inferred_ones() -> None:
    a = det("x1", date(2023, 2, 27), [ABBASI], day=date(2023, 2, 25), precision=INFERRED)
    b = det("x2", date(2023, 2, 28), [ABBASI], day=date(2023, 2, 26), precision=EXPLICIT)
    assert merge_events([a, b], []).new_events[0].meeting_date == date(2023, 2, 26)


def _random_detection(rng: random.Random, aid: str) -> MeetingDetection:
    """A report over a few officials and cities; dated, announced (publication date only) or undated."""
    city, host = rng.choice([("Tehran", "IR"), ("Baghdad", "IQ"), ("Mashhad", "IR"), (None, None)])
    people = rng.sample([INAD, HATAMI, BAGHERI, SHAMKHANI, ABBASI, ARAJI], rng.randint(0, 3))
    published = date(2023, 1, 1) + timedelta(days=rng.randrange(120))
    kind = rng.random()
    day = published - timedelta(days=rng.randrange(3)) if kind < 0.5 else None
    return replace(det(aid, published, people, day=day, precision=INFERRED, city=city, host=host),
                   published_at=None if kind > 0.85 else datetime(published.year, published.month,
                                                                   published.day, 8, tzinfo=UTC))


def test_the_merge_index_never_leaves_out_a_cluster_that_could_match() -> None:
    """merge_events scores only the clusters its index returns; every cluster `_match` accepts must
    be among them (else a report would start a new event instead of joining its meeting)."""
    rng = random.Random(7)
    stored = merge_events([_random_detection(rng, f"s{n}") for n in range(120)], []).new_events
    clusters: list[_Cluster] = []
    index = _Index()
    for i, ev in enumerate(stored):     # half as stored events, half grown from reports in this batch
        c = _Cluster(event_id=ev.event_id, original=ev if i % 2 else None)
        for p in ev.participants if i % 2 else ():
            c.people[(p.name, p.country)] = (p, 100)
        if i % 2 == 0:
            _add(c, _random_detection(rng, f"g{i}"), 10)
        clusters.append(c)
        index.add(i, c)
    scored = 0
    for n in range(400):
        d = _random_detection(rng, f"d{n}")
        can = set(index.candidates(d, 10))
        matching = {i for i, c in enumerate(clusters) if _match(d, c, 10) is not None}
        assert matching <= can, (d, matching - can)
        scored += len(can)
    assert scored < 400 * len(clusters) * 0.6     # and it does leave most clusters out
