"""Crash safety of whole CLI runs: kill -9 at every named crash point and at random moments, then run
again; the warehouse and the alerts received end exactly as after one uninterrupted run.

Every run of every project sends its alerts to the same loopback receiver (one port), so alert ids,
which hash the channel, can be compared across projects. After each kill the DuckDB file must open
and hold no half-written batch: whatever was committed is internally consistent."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import duckdb
import pytest

from newswatch.faults import POINTS
from tests.support.hook import Hook, json_hook

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
SEED = 7_2026
RANDOM_KILLS = 3
RUN_TIMEOUT = 300

SNAPSHOT = {
    "articles": "SELECT article_id, story_id, duplicate_of, content_hash, language FROM articles ORDER BY 1",
    "pages": "SELECT page_id, status, article_id, error FROM pages ORDER BY 1",
    "events": "SELECT event_id, event_type, meeting_date, city, host_country, title FROM events ORDER BY 1",
    "event_participants": "SELECT event_id, name, country, role FROM event_participants ORDER BY 1, 2",
    "event_mentions": "SELECT event_id, article_id, evidence FROM event_mentions ORDER BY 1, 2",
    "alerts": "SELECT alert_id, event_id, channel, status FROM alerts ORDER BY 1",
}
# What one committed batch writes together; after a kill, none of these may find a partner missing.
HALF_WRITTEN = {
    "processed page without its article": """SELECT count(*) FROM pages p WHERE p.status IN
        ('processed', 'duplicate_url') AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.article_id = p.article_id)""",
    "article without a processed page": """SELECT count(*) FROM articles a WHERE NOT EXISTS
        (SELECT 1 FROM pages p WHERE p.article_id = a.article_id AND p.status <> 'pending')""",
    "article without its signature": """SELECT count(*) FROM articles a WHERE NOT EXISTS
        (SELECT 1 FROM article_signatures s WHERE s.article_id = a.article_id)""",
    "event without a mention": """SELECT count(*) FROM events e WHERE NOT EXISTS
        (SELECT 1 FROM event_mentions m WHERE m.event_id = e.event_id)""",
    "event without participants": """SELECT count(*) FROM events e WHERE NOT EXISTS
        (SELECT 1 FROM event_participants p WHERE p.event_id = e.event_id)""",
    "event without its alert": """SELECT count(*) FROM events e WHERE NOT EXISTS
        (SELECT 1 FROM alerts a WHERE a.event_id = e.event_id)""",
    "mention of a missing article": """SELECT count(*) FROM event_mentions m WHERE NOT EXISTS
        (SELECT 1 FROM articles a WHERE a.article_id = m.article_id)""",
    "alert of a missing event": """SELECT count(*) FROM alerts a WHERE NOT EXISTS
        (SELECT 1 FROM events e WHERE e.event_id = a.event_id)""",
}


def project(tmp: Path, name: str) -> Path:
    root = tmp / name
    root.mkdir()
    shutil.copy(REPO / "sources.yaml", root / "sources.yaml")
    shutil.copytree(REPO / "seeds", root / "seeds")
    return root


def start(root: Path, hook: Hook, log: str, kill_at: str | None = None) -> subprocess.Popen[bytes]:
    """`newswatch run` in root, in its own process group (so the Prefect server it starts can be
    cleaned up too); output goes to files, so a chatty run can never block on a full pipe."""
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("NEWSWATCH_KILL_AT", None)
    if kill_at:
        env["NEWSWATCH_KILL_AT"] = kill_at
    with open(root / f"{log}.out", "wb") as out, open(root / f"{log}.err", "wb") as err:
        return subprocess.Popen([str(BIN / "newswatch"), "run", "--workers", "1", "--notify", hook.url],
                                cwd=root, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def reap(proc: subprocess.Popen[bytes]) -> int:
    """Wait for the run, then kill what is left of its process group (a Prefect server orphaned by a
    kill at a crash point)."""
    code = proc.wait(timeout=RUN_TIMEOUT)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return code


def stderr_tail(root: Path, log: str) -> str:
    return (root / f"{log}.err").read_text("utf-8", "replace")[-3000:]


def db_path(root: Path) -> Path:
    return root / "warehouse" / "news.duckdb"


def snapshot(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(db_path(root)), read_only=True) as con:
        return {table: con.execute(sql).fetchall() for table, sql in SNAPSHOT.items()}


def half_written(root: Path) -> dict[str, int]:
    """Open the file after a kill (it must open) and count broken pairs; {} when consistent."""
    if not db_path(root).exists():
        return {}
    with duckdb.connect(str(db_path(root)), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "alerts" not in tables:      # killed before the schema was committed: nothing to check
            return {}
        broken = {name: con.execute(sql).fetchall()[0][0] for name, sql in HALF_WRITTEN.items()}
    return {name: n for name, n in broken.items() if n}


def received(hook: Hook, root: Path) -> list[str]:
    """Alert payloads as received, one JSON text each, with this project's folder made neutral."""
    out = []
    for body in hook.payloads():
        text = json.dumps(body, sort_keys=True, ensure_ascii=False)
        for folder in {str(root), str(root.resolve())}:
            text = text.replace(folder, "<project>")
        out.append(text)
    return sorted(out)


def test_kill_9_anywhere_then_rerun_equals_one_uninterrupted_run(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    plans: list[str | float] = [*POINTS, *(round(rng.uniform(0.5, 15.0), 2) for _ in range(RANDOM_KILLS))]
    with json_hook() as hook:
        ref = project(tmp_path, "reference")
        t0 = time.monotonic()
        code = reap(start(ref, hook, "run"))
        ref_seconds = time.monotonic() - t0
        assert code == 0, stderr_tail(ref, "run")
        expected, expected_alerts = snapshot(ref), received(hook, ref)
        assert expected["events"] and len(expected_alerts) == len(expected["alerts"]) == len(expected["events"])
        assert all(status == "sent" for *_, status in expected["alerts"])

        outcomes: list[str] = []
        killed = resent = 0
        for n, plan in enumerate(plans):
            root = project(tmp_path, f"kill{n}")
            with hook.lock:
                hook.bodies.clear()
            proc = start(root, hook, "killed", plan if isinstance(plan, str) else None)
            if isinstance(plan, float):
                try:
                    proc.wait(timeout=plan)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            code = reap(proc)
            assert code in (-signal.SIGKILL, 0), (plan, code, stderr_tail(root, "killed"))
            if isinstance(plan, str):       # every named crash point is reached by a run
                assert code == -signal.SIGKILL, (plan, code)
            killed += code == -signal.SIGKILL
            assert half_written(root) == {}, plan          # the file opens, every batch whole
            again = reap(start(root, hook, "rerun"))
            assert again == 0, (plan, stderr_tail(root, "rerun"))
            got = snapshot(root)
            for table, rows in expected.items():
                assert got[table] == rows, (plan, table)    # 0 lost, 0 duplicated, same ids
            # Each alert arrives, with the reference run's payload. The one promise weaker than
            # "once": a kill between a send and the commit of its outcome (milliseconds apart) has
            # the rerun send that alert again, identical, alert_id included, so a receiver can drop it.
            deliveries = received(hook, root)
            assert sorted(set(deliveries)) == expected_alerts, plan
            again_sent = len(deliveries) - len(set(deliveries))
            if plan == "alert-sent":        # killed there: the alert in flight, and only it, again
                assert again_sent == 1, (plan, deliveries)
            else:
                assert again_sent == 0 or (again_sent == 1 and isinstance(plan, float)
                                           and code == -signal.SIGKILL), (plan, deliveries)
            resent += again_sent
            outcomes.append(f"{plan if isinstance(plan, str) else f'{plan:.2f}s'}: "
                            f"{'killed' if code == -signal.SIGKILL else 'finished before the kill'}")

    counts = {t: len(rows) for t, rows in expected.items()}
    print(f"\nkills survived: {killed} of {len(plans)} runs ({'; '.join(outcomes)}); "
          f"uninterrupted run {ref_seconds:.1f} s; every rerun matched it: {counts}; alerts sent again "
          f"after a kill mid-send: {resent}")
