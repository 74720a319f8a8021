"""A token in a notify URL never appears in any log line, artifact, Prefect log or warehouse column."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import duckdb
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter

from flows.monitor import monitor
from tests.support.hook import json_hook

pytestmark = pytest.mark.usefixtures("prefect_harness")

TOKEN = "Zq7tK2pW9vXc4mNb8rLs"      # 20 token characters
PASSWORD = "hunter2Secret77"


def warehouse_text(db: Path) -> str:
    """Every value of every table, as text."""
    parts: list[str] = []
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_type = 'BASE TABLE'").fetchall()]
        for t in tables:
            parts.extend(repr(row) for row in con.execute(f"SELECT * FROM {t}").fetchall())
    return "\n".join(parts)


async def prefect_text() -> str:
    async with get_client() as client:
        artifacts = await client.read_artifacts()
        logs = await client.read_logs(LogFilter())
    return "\n".join([*(repr(a.data) + repr(a.description) for a in artifacts), *(log.message for log in logs)])


def test_notify_secrets_never_leak(seed_project: Path, caplog: pytest.LogCaptureFixture,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    db = seed_project / "warehouse" / "news.duckdb"
    with json_hook() as hook:
        good = f"json://alerts:{PASSWORD}@127.0.0.1:{hook.port}/hook/{TOKEN}?token={TOKEN}"
        dead = f"json://127.0.0.1:1/{TOKEN}x"           # fails: its error message must not leak either
        summary = monitor(sources=str(seed_project / "sources.yaml"), warehouse=str(db), notify=[good, dead],
                          lock_timeout=10, workers=1)
        assert len(hook.payloads()) == 3                  # the secret URL really was used
    assert summary.counts["alerts_failed"] == 3
    seen = {
        "logs": "\n".join(r.getMessage() for r in caplog.records),
        "stdout/stderr": "".join(capsys.readouterr()),
        "warehouse": warehouse_text(db),
        "prefect artifacts and logs": asyncio.run(prefect_text()),
        "summary": repr(summary),
    }
    assert "127.0.0.1" in seen["warehouse"]               # channels are stored, in redacted form
    for where, text in seen.items():
        assert TOKEN not in text, where
        assert PASSWORD not in text, where
    print({k: len(v) for k, v in seen.items()})
