"""Scheduling for real: a `prefect server start` on loopback, `newswatch serve --interval`, and at
least two scheduled runs landing in the `runs` table. Then everything is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from newswatch.io.prefect_server import local_server
from tests.support.hook import free_port

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def count_runs(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            row = con.execute("SELECT count(*) FROM runs WHERE flow = 'monitor' AND finished_at IS NOT NULL"
                              ).fetchone()
            return int(row[0]) if row else 0
    except duckdb.Error:       # the writer holds the file this instant, or tables not created yet
        return -1


def test_serve_runs_on_schedule(seed_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    db = seed_project / "warehouse" / "news.duckdb"
    with local_server(free_port()) as api_url:
        env = {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        serve = subprocess.Popen(
            [str(BIN / "newswatch"), "serve", "--interval", "5", "--sources", str(seed_project / "sources.yaml"),
             "--warehouse", str(db), "--workers", "1"],
            cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            seen = 0
            while time.monotonic() < deadline and seen < 2:
                assert serve.poll() is None, serve.stdout.read() if serve.stdout else ""
                time.sleep(2)
                seen = max(seen, count_runs(db))
            print(f"scheduled runs recorded: {seen}")
            assert seen >= 2
        finally:
            os.killpg(serve.pid, signal.SIGTERM)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait()
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT status, articles_new FROM runs WHERE finished_at IS NOT NULL "
                           "ORDER BY started_at").fetchall()
    assert rows[0] == ("ok", 7)
    assert all(r == ("ok", 0) for r in rows[1:])
