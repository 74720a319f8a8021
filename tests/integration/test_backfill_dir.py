"""`newswatch backfill --from-dir` over 300+ real corpus pages: progress shown, a second identical
backfill adds nothing, and a backfill killed half-way then re-run ends with the same rows."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]


def saved_pages(corpus: Path, dest: Path) -> int:
    """Every real corpus page, with a JSON sidecar (url, title) where the corpus knows the URL."""
    dest.mkdir()
    n = 0
    for row in json.loads((corpus / "html" / "manifest.json").read_text(encoding="utf-8")):
        if row.get("kind") != "real-page":
            continue
        target = dest / f"{n:03d}-{Path(row['path']).name}"
        shutil.copy(corpus / row["path"], target)
        if row.get("url"):
            target.with_suffix(".json").write_text(json.dumps({"url": row["url"], "source_id": row["source"]}))
        n += 1
    return n


def backfill(root: Path, pages: Path, db: Path, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("NEWSWATCH_KILL_AT", None)
    if kill_at:
        env["NEWSWATCH_KILL_AT"] = kill_at
    return subprocess.run([str(BIN / "newswatch"), "backfill", "--from-dir", str(pages), "--progress",
                           "--workers", "2", "--warehouse", str(db)], cwd=root, env=env, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL, start_new_session=True)


def rows(db: Path) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            "articles": con.execute("SELECT article_id, story_id, duplicate_of, content_hash, language "
                                    "FROM articles ORDER BY 1").fetchall(),
            "pages": con.execute("SELECT page_id, status, article_id FROM pages ORDER BY 1").fetchall(),
            "events": con.execute("SELECT event_id FROM events ORDER BY 1").fetchall(),
        }


def test_backfill_from_dir_is_idempotent_and_resumable(corpus: Path, seed_project: Path) -> None:
    pages = seed_project / "saved"
    n = saved_pages(corpus, pages)
    assert n >= 300
    db = seed_project / "warehouse" / "full.duckdb"
    first = backfill(seed_project, pages, db)
    assert first.returncode in (0, 1), first.stderr[-2000:]
    assert f"backfill: {n}/{n} pages (100%)" in first.stderr          # the progress line
    full = rows(db)
    assert len(full["articles"]) >= 300
    failed = [r for r in full["pages"] if r[1] == "failed"]
    assert (first.returncode == 1) == bool(failed)
    print(f"backfill of {n} pages: {len(full['articles'])} articles, {len(failed)} pages failed, "
          f"{len(full['events'])} meetings")

    second = backfill(seed_project, pages, db)
    assert second.returncode == first.returncode
    assert "new articles: 0" in second.stdout
    assert rows(db) == full

    # Killed right after its first batch committed (200 of the pages), then re-run: same rows.
    resumed = seed_project / "warehouse" / "resumed.duckdb"
    killed = backfill(seed_project, pages, resumed, kill_at="batch-committed")
    assert killed.returncode == -signal.SIGKILL
    with duckdb.connect(str(resumed), read_only=True) as con:
        partial = con.execute("SELECT count(*) FROM articles").fetchone()
    assert partial is not None and 0 < partial[0] < len(full["articles"])
    again = backfill(seed_project, pages, resumed)
    assert again.returncode == first.returncode, again.stderr[-2000:]
    assert rows(resumed) == full
    print(f"killed after {partial[0]} articles; the re-run completed the same {len(full['articles'])}")
