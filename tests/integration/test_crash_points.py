"""kill -9 at each crash point of a run (and at random moments): the next run ends with exactly the
rows and alerts of an uninterrupted run — nothing lost, nothing duplicated, the file always opens."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from newswatch.faults import POINTS
from tests.support.hook import Hook, json_hook

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]

SNAPSHOT = {
    "articles": "SELECT article_id, story_id, duplicate_of, content_hash, language FROM articles ORDER BY 1",
    "pages": "SELECT page_id, status, article_id FROM pages ORDER BY 1",
    "events": "SELECT event_id, meeting_date, city, host_country, title FROM events ORDER BY 1",
    "participants": "SELECT event_id, name, country, role FROM event_participants ORDER BY 1, 2",
    "mentions": "SELECT event_id, article_id, evidence FROM event_mentions ORDER BY 1, 2",
    # alert ids hash the channel, and every project here has its own receiver port
    "alerts": "SELECT event_id, status, attempts FROM alerts ORDER BY 1",
}


def project(tmp: Path, name: str) -> Path:
    root = tmp / name
    root.mkdir()
    shutil.copy(REPO / "sources.yaml", root / "sources.yaml")
    shutil.copytree(REPO / "seeds", root / "seeds")
    return root


def start(root: Path, hook: Hook, kill_at: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("NEWSWATCH_KILL_AT", None)
    if kill_at:
        env["NEWSWATCH_KILL_AT"] = kill_at
    return subprocess.Popen([str(BIN / "newswatch"), "run", "--workers", "1", "--notify", hook.url], cwd=root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def snapshot(root: Path) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    with duckdb.connect(str(root / "warehouse" / "news.duckdb"), read_only=True) as con:
        return {k: con.execute(q).fetchall() for k, q in SNAPSHOT.items()}


def opens(root: Path) -> None:
    db = root / "warehouse" / "news.duckdb"
    if db.exists():
        with duckdb.connect(str(db), read_only=True) as con:
            con.execute("SELECT count(*) FROM information_schema.tables").fetchall()


def delivered(hook: Hook) -> list[str]:
    return sorted(p["event_id"] for p in hook.payloads())


def test_kill_at_every_point_then_rerun_matches_uninterrupted(tmp_path: Path) -> None:
    with json_hook() as ref_hook:
        ref = project(tmp_path, "reference")
        proc = start(ref, ref_hook)
        assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
        expected, expected_alerts = snapshot(ref), delivered(ref_hook)
    assert len(expected["events"]) == 3 and len(expected_alerts) == 3

    rng = random.Random(20261122)
    plans: list[str | float] = [*POINTS, rng.uniform(1.0, 9.0), rng.uniform(1.0, 9.0)]
    survived = 0
    for n, plan in enumerate(plans):
        root = project(tmp_path, f"kill{n}")
        with json_hook() as hook:
            proc = start(root, hook, plan if isinstance(plan, str) else None)
            if isinstance(plan, float):
                time.sleep(plan)
                os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait(timeout=300)
            assert code in (-signal.SIGKILL, 0, 1), (plan, code)
            opens(root)
            again = start(root, hook)
            assert again.wait(timeout=300) == 0, (plan, again.stderr.read() if again.stderr else "")
            got = snapshot(root)
            for table, rows in expected.items():
                assert got[table] == rows, (plan, table)
            assert delivered(hook) == expected_alerts, plan     # each meeting alerted exactly once
        survived += 1
    print(f"kills survived: {survived} ({', '.join(str(p if isinstance(p, str) else f'{p:.1f}s') for p in plans)})")
