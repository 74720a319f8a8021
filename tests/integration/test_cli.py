"""The `newswatch` command as a user runs it: real subprocesses, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def nw(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "newswatch"), *args], cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_check_accepts_the_default_config(seed_project: Path) -> None:
    res = nw("check", cwd=seed_project)
    assert res.returncode == 0, res.stderr
    assert "3 sources" in res.stdout and "watch definitions: ok" in res.stdout


def test_check_validates_the_watch_folder_named_by_the_environment(seed_project: Path, tmp_path: Path) -> None:
    import shutil

    from newswatch.core.meetings.watch import WATCH_DIR

    folder = tmp_path / "my-watch"
    shutil.copytree(WATCH_DIR, folder)
    env = {**ENV, "NEWSWATCH_WATCH_DIR": str(folder)}
    res = subprocess.run([str(BIN / "newswatch"), "check"], cwd=seed_project, env=env, capture_output=True,
                         text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    assert f"from $NEWSWATCH_WATCH_DIR {folder}" in res.stdout
    (folder / "cues.yaml").unlink()
    res = subprocess.run([str(BIN / "newswatch"), "run"], cwd=seed_project, env=env, capture_output=True,
                         text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert "cues.yaml" in res.stderr and "missing watch file" in res.stderr
    assert not (seed_project / "warehouse" / "news.duckdb").exists()


@pytest.mark.parametrize(("yaml_text", "where"), [
    ("sources:\n  - id: a\n    url: x.xml\n  - id: a\n    url: y.xml\n", "sources.yaml:4: sources[1].id"),
    ("sources:\n  - id: a\n    url: x.xml\n    timeout: 3\n", "sources.yaml:4: sources[0].timeout"),
    ("settings:\n  max_bytes: lots\nsources: []\n", "sources.yaml:2: settings.max_bytes"),
])
@pytest.mark.parametrize("command", ["check", "run"])
def test_bad_config_exits_2_with_one_line(tmp_path: Path, yaml_text: str, where: str, command: str) -> None:
    (tmp_path / "sources.yaml").write_text(yaml_text, encoding="utf-8")
    res = nw(command, cwd=tmp_path)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert where in lines[0]
    assert not (tmp_path / "warehouse").exists()


def test_bad_notify_url_exits_2(seed_project: Path) -> None:
    res = nw("run", "--notify", "nosuchscheme://secret-token-1234567890", cwd=seed_project)
    assert res.returncode == 2
    assert "secret-token-1234567890" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_locked_warehouse_exits_3_then_next_run_lands(seed_project: Path) -> None:
    # The first run creates the warehouse; an analyst then holds it open in the DuckDB shell.
    db = seed_project / "warehouse" / "news.duckdb"
    first = nw("run", "--workers", "1", cwd=seed_project)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "new articles: 7" in first.stdout
    shell = subprocess.Popen([str(BIN / "duckdb"), "-readonly", str(db)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Wait until the shell has the file open (it answers a query).
        assert shell.stdin is not None and shell.stdout is not None
        shell.stdin.write("SELECT 'ready';\n")
        shell.stdin.flush()
        while "ready" not in shell.stdout.readline():
            pass
        blocked = nw("run", "--lock-timeout", "2", cwd=seed_project)
        assert blocked.returncode == 3
        lines = blocked.stderr.strip().splitlines()
        assert len(lines) == 1 and "another process holds the warehouse" in lines[0], blocked.stderr
        assert "--lock-timeout" in lines[0]
    finally:
        shell.communicate(".quit\n", timeout=10)
    after = nw("run", "--workers", "1", cwd=seed_project)
    assert after.returncode == 0, after.stderr[-2000:]
    out = nw("sql", "--format", "json", "SELECT flow, status, articles_new FROM runs ORDER BY started_at",
             cwd=seed_project)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [{"flow": "monitor", "status": "ok", "articles_new": 7},
                                      {"flow": "monitor", "status": "ok", "articles_new": 0}]
    table = nw("sql", "SELECT language, count(*) AS n FROM articles GROUP BY 1 ORDER BY 1", cwd=seed_project)
    assert table.stdout.splitlines()[2:4] == ["en       | 3", "fr       | 4"]
    bad = nw("sql", "SELECT * FROM nope", cwd=seed_project)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
