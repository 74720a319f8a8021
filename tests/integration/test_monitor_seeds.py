"""The monitor flow end to end on the seed fixtures: real Prefect harness, real DuckDB file, real
loopback alert endpoint. These are the acceptance checks of the spine, stories, meetings and alerts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.monitor import monitor
from tests.support.hook import free_port, json_hook

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run(project: Path, notify: list[str] | None = None):  # type: ignore[no-untyped-def]
    return monitor(sources=str(project / "sources.yaml"), warehouse=str(project / "warehouse" / "news.duckdb"),
                   notify=notify or [], lock_timeout=10, workers=1)


def q(project: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with duckdb.connect(str(project / "warehouse" / "news.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_seeds_end_to_end(seed_project: Path) -> None:
    first = run(seed_project)
    assert first.exit_code == 0, first.failures
    assert first.counts["articles_new"] == 7
    assert first.counts["events_new"] == 3
    assert q(seed_project, "SELECT language, count(*) FROM articles GROUP BY 1 ORDER BY 1") == [("en", 3), ("fr", 4)]
    assert q(seed_project, "SELECT count(*) FROM articles WHERE published_at IS NULL") == [(0,)]
    assert q(seed_project, "SELECT count(*) FROM articles WHERE length(text) < 500") == [(0,)]
    by_source = dict(q(seed_project, "SELECT source_id, count(*) FROM articles GROUP BY 1"))
    assert by_source == {"presstv-fr": 3, "en-wire": 2, "mirror": 2}

    # Stories: 7 articles, 5 stories; exactly the two mirror copies are duplicates, of the originals.
    assert q(seed_project, "SELECT count(DISTINCT story_id) FROM articles") == [(5,)]
    dups = q(seed_project, """
        SELECT d.source_id, o.source_id, o.url FROM articles d JOIN articles o ON d.duplicate_of = o.article_id
        ORDER BY o.url""")
    assert sorted((d, o) for d, o, _ in dups) == [("mirror", "en-wire"), ("mirror", "presstv-fr")]
    originals = sorted(Path(u).name.split("-")[0] for _, _, u in dups)
    assert originals == ["001", "004"], dups

    # Meetings: exactly three events with the right places, dates and people.
    events = q(seed_project, "SELECT event_id, meeting_date, city, host_country FROM events ORDER BY meeting_date")
    assert [(e[1].year, e[1].month, e[2], e[3]) for e in events] == [
        (2019, 2, "Baghdad", "IQ"), (2020, 11, "Tehran", "IR"), (2023, 2, "Tehran", "IR")]
    assert events[0][1] == date(2019, 2, 25)
    assert events[2][1] == date(2023, 2, 26)
    people = {eid: " ".join(n for (n,) in q(seed_project, f"SELECT name FROM event_participants "
                                                          f"WHERE event_id = '{eid}' ORDER BY name"))
              for eid, *_ in events}
    for eid, names in zip(people, (("Taghizadeh", "Ghanmi"), ("Inad", "Hatami", "Bagheri", "Shamkhani"),
                                   ("Abbasi", "Bagheri", "Mousavi")), strict=True):
        for name in names:
            assert name in people[eid], (name, people[eid])
    mentions = q(seed_project, """
        SELECT e.meeting_date, count(*), count(DISTINCT a.language), min(length(m.evidence))
        FROM event_mentions m JOIN events e USING (event_id) JOIN articles a USING (article_id)
        GROUP BY 1 ORDER BY 1""")
    assert [(m[1], m[2]) for m in mentions] == [(2, 1), (4, 2), (1, 1)]
    assert all(m[3] > 20 for m in mentions)

    # Second pass: nothing new, exit 0.
    second = run(seed_project)
    assert second.exit_code == 0
    assert (second.counts.get("articles_new", 0), second.counts.get("events_new", 0)) == (0, 0)
    assert q(seed_project, "SELECT count(*) FROM articles") == [(7,)]
    assert q(seed_project, "SELECT flow, status FROM runs ORDER BY started_at") == [("monitor", "ok")] * 2
    assert q(seed_project, "SELECT count(*) FROM fetch_log WHERE status NOT IN ('ok', 'not_modified')") == [(0,)]


def test_alerts_once_per_meeting(seed_project: Path) -> None:
    with json_hook() as hook:
        first = run(seed_project, [hook.url])
        assert first.counts["alerts_sent"] == 3
        payloads = hook.payloads()
        assert len(payloads) == 3
        assert len({p["event_id"] for p in payloads}) == 3
        for p in payloads:
            assert p["participants"] and p["mentions"] and p["city"] == ("Baghdad" if p["meeting_date"] <
                                                                         "2020" else "Tehran")
        run(seed_project, [hook.url])
        assert len(hook.payloads()) == 3
    assert q(seed_project, "SELECT status, count(*) FROM alerts GROUP BY 1") == [("sent", 3)]


def test_alerts_survive_a_dead_endpoint(seed_project: Path) -> None:
    port = free_port()
    url = f"json://127.0.0.1:{port}/hook"
    first = run(seed_project, [url])          # nothing listens on the port yet
    assert first.exit_code == 1
    assert first.counts["events_new"] == 3 and first.counts["alerts_failed"] == 3
    assert q(seed_project, "SELECT status, attempts, count(*) FROM alerts GROUP BY ALL") == [("failed", 1, 3)]
    with json_hook(port) as hook:
        second = run(seed_project, [url])
        assert second.exit_code == 0
        assert len(hook.payloads()) == 3
        third = run(seed_project, [url])
        assert third.counts.get("alerts_sent", 0) == 0
        assert len(hook.payloads()) == 3
    assert q(seed_project, "SELECT status, attempts, count(*) FROM alerts GROUP BY ALL") == [("sent", 2, 3)]


def test_prefect_event_per_new_meeting_and_one_artifact(seed_project: Path) -> None:
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    summary = run(seed_project)
    ids = set(summary.new_event_ids)
    assert len(ids) == 3

    async def read() -> tuple[set[str], list[str]]:
        async with get_client() as client:
            found: set[str] = set()
            for _ in range(40):          # events are written by the server asynchronously
                page = await client.read_events(filter=EventFilter(
                    event=EventNameFilter(name=["newswatch.meeting.detected"]),
                    resource=EventResourceFilter(id=[f"newswatch.event.{i}" for i in ids])), limit=50)
                found = {e.resource.id.removeprefix("newswatch.event.") for e in page.events}
                if found >= ids:
                    break
                await asyncio.sleep(0.25)
            arts = await client.read_artifacts()
        return found, [str(a.data) for a in arts if a.key == "newswatch-monitor-summary"]

    found, artifacts = asyncio.run(read())
    assert found == ids
    assert any(summary.run_id in a and "New meetings" in a for a in artifacts)
