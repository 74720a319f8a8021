"""`newswatch backfill` as a user runs it: saved pages with sidecars, URL lists, feeds by date and
--reprocess; idempotent, resumable after kill -9, progress on a terminal, alerts suppressed unless asked."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.support.faultserver import serve_files
from tests.support.hook import free_port, json_hook

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
INGEST_BATCH = 200          # runner.INGEST_BATCH: saved pages / URLs stored per transaction
PROGRESS = re.compile(r"backfill: (\d+)/(\d+) pages \((\d+)%\)")

# Every table a backfill writes, with the columns that do not depend on when or by which run.
STABLE = {
    "pages": "page_id, source_id, status, article_id, error",
    "articles": "article_id, canonical_url, source_id, title, published_at, language, content_hash, "
                "story_id, duplicate_of, similarity",
    "article_signatures": "article_id, story_id, signature, content_hash",
    "lsh_buckets": "bucket, article_id",
    "events": "event_id, event_type, meeting_date, city, host_country, visitor_country, title",
    "event_participants": "event_id, name, country, role",
    "event_mentions": "event_id, article_id, evidence, meeting_date",
    "alerts": "alert_id, event_id, channel, status",
}


# ------------------------------------------------------------------------------------ helpers

def cli_env() -> dict[str, str]:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    for name in ("NEWSWATCH_KILL_AT", "NEWSWATCH_NOTIFY", "NEWSWATCH_SOURCES", "NEWSWATCH_WAREHOUSE"):
        env.pop(name, None)
    return env


def cli(project: Path, *args: str) -> list[str]:
    return [str(BIN / "newswatch"), "backfill", "--sources", str(project / "sources.yaml"), *args]


def run(cmd: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def run_on_terminal(cmd: list[str], cwd: Path, timeout: float = 300) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal (as in an interactive shell); returns (code, stdout, terminal)."""
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:   # read continuously so a full pty buffer never blocks the child
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:   # EIO once the child and our copy of the slave are closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=cli_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=slave, text=True)
        os.close(slave)
        out, _ = proc.communicate(timeout=timeout)
    finally:
        reader.join(timeout=10)
        os.close(master)
    return proc.returncode, out, b"".join(chunks).decode("utf-8", errors="replace")


def q(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every written table, timestamps and run ids left out, in a stable order."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT {cols} FROM {t} ORDER BY ALL").fetchall() for t, cols in STABLE.items()}


def counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
                for t in STABLE}


def new_articles(stdout: str) -> int:
    m = re.search(r"new articles: (\d+)", stdout)
    assert m, stdout
    return int(m.group(1))


def iso(value: str) -> datetime:
    d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def seed_sidecars() -> dict[str, dict[str, str]]:
    """The five seed .txt articles with what their real pages say: canonical URL, title, publication."""
    out: dict[str, dict[str, str]] = {}
    for txt in sorted((REPO / "seeds").glob("*.txt")):
        page = next((REPO / "seeds" / "pages").glob(f"{txt.name[:3]}-*.html")).read_text(encoding="utf-8")
        url = re.search(r'<link rel="canonical" href="([^"]+)"', page)
        title = re.search(r"<title>([^<]*)</title>", page)
        published = re.search(r'article:published_time" content="([^"]+)"', page)
        assert url and title and published, txt
        out[txt.name] = {"url": url.group(1), "title": title.group(1).rsplit(" | ", 1)[0],
                         "published": published.group(1), "source_id": "seed-txt"}
    return out


def saved_pages(corpus: Path, dest: Path) -> dict[str, dict[str, Any]]:
    """Every real corpus page (some as .htm), a JSON sidecar (url, title, published from meta.json) for
    every third page with a known URL and for both pages that share one URL (one page then), plus the five
    seed articles as .txt with full sidecars. Returns file name -> sidecar ({} when none)."""
    dest.mkdir()
    rows = [r for r in json.loads((corpus / "html" / "manifest.json").read_text(encoding="utf-8"))
            if r["kind"] == "real-page"]
    shared = {u for u in (r.get("url") for r in rows) if u and sum(1 for x in rows if x.get("url") == u) > 1}
    files: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        src = corpus / row["path"]
        name = f"{row['source']}-{src.stem}{'.htm' if i % 10 == 5 else '.html'}"
        shutil.copy(src, dest / name)
        meta = json.loads(src.with_suffix(".meta.json").read_text(encoding="utf-8"))
        url = meta.get("url") or meta.get("canonical_url")
        side: dict[str, Any] = {}
        if url and (i % 3 == 0 or url in shared):
            expected = meta.get("expected") or meta.get("expected_metadata") or {}
            side["url"] = url
            if expected.get("title"):
                side["title"] = expected["title"]
            when = expected.get("date") or expected.get("publishedTime")
            try:
                if when:
                    iso(str(when))
                    side["published"] = str(when)
            except ValueError:
                pass   # the sidecar format is ISO 8601; the corpus has a few free-form dates
            (dest / name).with_suffix(".json").write_text(json.dumps(side), encoding="utf-8")
        files[name] = side
    for name, side in seed_sidecars().items():
        shutil.copy(REPO / "seeds" / name, dest / name)
        (dest / name).with_suffix(".json").write_text(json.dumps(side), encoding="utf-8")
        files[name] = side
    return files


def wait_for_rows(proc: subprocess.Popen[str], db: Path, table: str, more_than: int, timeout: float = 240) -> int:
    """Poll `table` through short read-only connections (the run holds the file only during its
    transactions, so a poll may find it locked: retry) until it holds more than `more_than` rows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the backfill ended before it could be interrupted"
        try:
            with duckdb.connect(str(db), read_only=True) as con:
                n = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            if n > more_than:
                return n
        except (duckdb.IOException, duckdb.CatalogException, duckdb.ConnectionException):
            pass   # locked by the writer, or not migrated yet
        time.sleep(0.05)
    raise AssertionError(f"the {table} table never passed {more_than} rows")


# --------------------------------------------------------------------- 1. saved pages (--from-dir)

@pytest.mark.slow
def test_from_dir_over_the_corpus_is_idempotent_and_resumes_after_kill(corpus: Path, seed_project: Path) -> None:
    started = time.monotonic()
    saved = seed_project / "saved"
    files = saved_pages(corpus, saved)
    n = len(files)
    assert n >= 300
    with_url = [side["url"] for side in files.values() if side.get("url")]
    distinct_pages = n - (len(with_url) - len(set(with_url)))   # a URL shared by two files is one page
    full = seed_project / "warehouse" / "full.duckdb"
    args = ["--from-dir", str(saved), "--workers", "2"]
    # Every 200-page batch written apart (the corpus is less than one group of 4,096 articles), so
    # that the kill below can land between two writes; test_backfill_groups.py covers the groups.
    sources = seed_project / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8").replace("backfill_write_rows: 4096",
                                                                   "backfill_write_rows: 0"), encoding="utf-8")
    assert "backfill_write_rows: 0" in sources.read_text(encoding="utf-8")

    first = run(cli(seed_project, *args, "--progress", "--warehouse", str(full)), seed_project)
    assert first.returncode in (0, 1), first.stderr[-3000:]
    # Progress: one update per stored batch, on stderr, ending at 100 %.
    shown = [tuple(map(int, m)) for m in PROGRESS.findall(first.stderr)]
    assert shown[0] == (INGEST_BATCH, n, 100 * INGEST_BATCH // n) and shown[-1] == (n, n, 100), shown
    assert "backfill:" not in first.stdout
    pages = q(full, "SELECT status, count(*) FROM pages GROUP BY 1")
    assert sum(c for _, c in pages) == distinct_pages
    assert {s for s, _ in pages} <= {"processed", "duplicate_url", "failed"}, pages   # nothing left pending
    failed = q(full, "SELECT page_id, error FROM pages WHERE status = 'failed'")
    assert all(err for _, err in failed), failed
    assert first.returncode == (1 if failed else 0), first.stdout
    n_articles = q(full, "SELECT count(*) FROM articles")[0][0]
    assert new_articles(first.stdout) == n_articles >= 300
    assert q(full, "SELECT flow, status, articles_new, finished_at IS NOT NULL FROM runs") == [
        ("backfill", "partial" if failed else "ok", n_articles, True)]

    # Sidecars: the page is known by the sidecar's URL; without one, by its file.
    by_url = dict(q(full, "SELECT url, source_id FROM pages"))
    for name, side in files.items():
        if side.get("url"):
            assert by_url.get(side["url"]) == side.get("source_id", "backfill-dir"), name
        else:
            assert by_url.get((saved / name).resolve().as_uri()) == "backfill-dir", name
    # The .txt seed articles: sidecar URL, title and source kept; published on the sidecar's (UTC) day.
    seeds = {name: side for name, side in files.items() if name.endswith(".txt")}
    stored = {r[0]: r[1:] for r in q(full, "SELECT url, title, source_id, published_at FROM articles "
                                           "WHERE source_id = 'seed-txt'")}
    assert set(stored) == {s["url"] for s in seeds.values()}
    for side in seeds.values():
        title, source_id, published = stored[side["url"]]
        assert (title, source_id) == (side["title"], "seed-txt")
        assert published.date() == iso(side["published"]).astimezone(UTC).date(), (side, published)
    # ... and they carry the seeds' three real meetings.
    seed_events = q(full, "SELECT DISTINCT e.meeting_date, e.city FROM event_mentions m JOIN events e "
                          "USING (event_id) JOIN articles a USING (article_id) WHERE a.source_id = 'seed-txt' "
                          "ORDER BY 1")
    assert [(d.isoformat()[:7], c) for d, c in seed_events] == [
        ("2019-02", "Baghdad"), ("2020-11", "Tehran"), ("2023-02", "Tehran")]
    first_time = time.monotonic() - started
    before = snapshot(full)

    # The same backfill again: nothing new anywhere.
    second = run(cli(seed_project, *args, "--progress", "--warehouse", str(full)), seed_project)
    assert second.returncode == first.returncode, second.stderr[-3000:]
    assert new_articles(second.stdout) == 0 and "new meetings: 0" in second.stdout
    assert snapshot(full) == before
    assert len(q(full, "SELECT * FROM runs")) == 2

    # A fresh backfill into a new warehouse, killed (SIGKILL) once its first batch of articles is
    # written, i.e. while the next batch is being processed (the workers start on it before that
    # write); then the same command without --progress. hold_s: 0 (a connection per transaction)
    # lets the poll below see the tables between batches.
    sources.write_text(sources.read_text(encoding="utf-8").replace("hold_s: 10", "hold_s: 0"), encoding="utf-8")
    assert "hold_s: 0" in sources.read_text(encoding="utf-8")
    resumed = seed_project / "warehouse" / "resumed.duckdb"
    proc = subprocess.Popen(cli(seed_project, *args, "--progress", "--warehouse", str(resumed)),
                            cwd=seed_project, env=cli_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        seen = wait_for_rows(proc, resumed, "articles", 0)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        # The temporary Prefect server and the worker processes outlive a SIGKILLed parent: end them too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    partial = q(resumed, "SELECT count(*), count(*) FILTER (WHERE status = 'pending') FROM pages")[0]
    partial_articles = q(resumed, "SELECT count(*) FROM articles")[0][0]
    assert 0 < partial_articles < n_articles, (partial, partial_articles)
    assert q(resumed, "SELECT finished_at FROM runs") == [(None,)]   # the killed run never finished

    again = run(cli(seed_project, *args, "--warehouse", str(resumed)), seed_project)
    assert again.returncode == first.returncode, again.stderr[-3000:]
    assert not PROGRESS.search(again.stderr)   # no terminal and no --progress: no progress output
    assert new_articles(again.stdout) == n_articles - partial_articles
    assert q(resumed, "SELECT article_id, story_id, duplicate_of, content_hash FROM articles ORDER BY 1") == \
        q(full, "SELECT article_id, story_id, duplicate_of, content_hash FROM articles ORDER BY 1")
    assert snapshot(resumed) == before
    print(f"\nfrom-dir: {n} files ({distinct_pages} pages), {n_articles} articles, {len(failed)} failed, "
          f"{len(before['events'])} meetings; first run {first_time:.0f} s; killed at {seen} articles written "
          f"({partial[1]} pending, {partial_articles} articles); resumed to the same rows; "
          f"total {time.monotonic() - started:.0f} s")


# ---------------------------------------------------------------------------- 2. a URL list (--urls)

def test_urls_from_a_loopback_server(corpus: Path, seed_project: Path) -> None:
    text = (seed_project / "sources.yaml").read_text(encoding="utf-8")
    assert "allow_private_hosts: false" in text
    (seed_project / "sources.yaml").write_text(text.replace("allow_private_hosts: false", "allow_private_hosts: true"),
                                               encoding="utf-8")
    files = {f"/seed/{p.name}": (p.read_bytes(), "text/html; charset=utf-8")
             for p in sorted((seed_project / "seeds" / "pages").glob("*.html"))}
    news = [r for r in json.loads((corpus / "html" / "manifest.json").read_text(encoding="utf-8"))
            if r["kind"] == "real-page" and r.get("news_article") and r["source"] == "trafilatura"]
    for row in news[:20 - len(files)]:
        files[f"/news/{Path(row['path']).name}"] = ((corpus / row["path"]).read_bytes(), "text/html")
    assert len(files) == 20
    db = seed_project / "warehouse" / "news.duckdb"
    with serve_files(files) as server:
        good = [server.url(p) for p in files]
        missing, unreachable = server.url("/gone.html"), f"http://127.0.0.1:{free_port()}/page.html"
        listing = seed_project / "urls.txt"
        listing.write_text("# pages to backfill\n\n" + "\n".join([*good, good[0], missing, unreachable]) + "\n",
                           encoding="utf-8")
        cmd = cli(seed_project, "--urls", str(listing), "--workers", "1", "--warehouse", str(db))

        first = run([*cmd, "--progress"], seed_project)
        assert first.returncode == 1, first.stderr[-3000:]        # two URLs failed
        assert "backfill: 22/22 pages (100%)" in first.stderr    # duplicates and comments dropped
        assert missing in first.stdout and unreachable in first.stdout
        assert q(db, "SELECT count(*), count(DISTINCT source_id), min(source_id) FROM pages") == [
            (20, 1, "backfill-urls")]
        assert q(db, "SELECT count(*) FROM pages WHERE status NOT IN ('processed', 'duplicate_url')") == [(0,)]
        log = {url: (status, code, err) for url, status, code, err in
               q(db, "SELECT url, status, http_status, error FROM fetch_log WHERE kind = 'page'")}
        assert {u: s for u, (s, _, _) in log.items()} == {**{u: "ok" for u in good}, missing: "error",
                                                          unreachable: "error"}
        assert log[missing][1] == 404 and log[unreachable][1] is None and log[unreachable][2]
        n_articles = q(db, "SELECT count(*) FROM articles")[0][0]
        assert new_articles(first.stdout) == n_articles > 0
        # The seed pages carry the three real meetings, whatever the corpus pages hold.
        assert [r[0] for r in q(db, "SELECT DISTINCT e.city FROM events e JOIN event_mentions USING (event_id) "
                                    "JOIN articles a USING (article_id) WHERE a.url LIKE '%/seed/%' "
                                    "ORDER BY e.city")] == ["Baghdad", "Tehran"]
        assert q(db, "SELECT count(DISTINCT event_id) FROM event_mentions m JOIN articles a USING (article_id) "
                     "WHERE a.url LIKE '%/seed/%'") == [(3,)]
        before = snapshot(db)

        # Again, on a terminal without --progress: progress shows, nothing new, good pages not refetched.
        code, out, terminal = run_on_terminal(cmd, seed_project)
        assert code == 1, terminal[-3000:]
        assert "backfill: 22/22 pages (100%)" in terminal
        assert new_articles(out) == 0
        assert snapshot(db) == before
        assert all(server.hits(p) == 1 for p in files), {p: server.hits(p) for p in files}
        assert server.hits("/gone.html") == 2
        assert q(db, "SELECT status, count(*) FROM fetch_log WHERE kind = 'page' GROUP BY 1 ORDER BY 1") == [
            ("error", 4), ("ok", 20)]
    print(f"\nurls: 22 URLs, {n_articles} articles, {len(before['events'])} meetings; second run fetched only "
          f"the 2 failures")


# ------------------------------------------------------------- 3. feeds by publication date, alerts

def test_feeds_window_suppresses_alerts_unless_asked(seed_project: Path) -> None:
    other = seed_project / "again"
    other.mkdir()
    shutil.copy(seed_project / "sources.yaml", other / "sources.yaml")
    shutil.copytree(seed_project / "seeds", other / "seeds")
    window = ["--since", "2020-11-01", "--until", "2020-11-30", "--workers", "1"]
    november = ["000-irak-ministre-defense-attendu-teheran.html",
                "002-iranian-defense-minister-ready-iraqi-armed-forces.html",
                "004-iran-provided-iraq-defense-products.html",
                "mirror-004-iran-supplied-iraq-defense-equipment.html"]
    with json_hook() as hook:
        db = seed_project / "warehouse" / "news.duckdb"
        quiet = run(cli(seed_project, *window, "--notify", hook.url, "--warehouse", str(db)), seed_project)
        assert quiet.returncode == 0, quiet.stderr[-3000:]
        assert sorted(Path(u).name for (u,) in q(db, "SELECT url FROM articles")) == november
        assert sorted(Path(u).name for (u,) in q(db, "SELECT url FROM fetch_log WHERE kind = 'page'")) == november
        events = q(db, "SELECT event_id, meeting_date, city FROM events")
        assert [(str(d)[:7], c) for _, d, c in events] == [("2020-11", "Tehran")]
        assert q(db, "SELECT event_id, status FROM alerts") == [(events[0][0], "suppressed")]
        assert "alerts sent: 0" in quiet.stdout
        assert hook.bodies == []

        db2 = other / "warehouse" / "news.duckdb"
        loud = run(cli(other, *window, "--notify", hook.url, "--notify-backfill", "--warehouse", str(db2)), other)
        assert loud.returncode == 0, loud.stderr[-3000:]
        assert "alerts sent: 1" in loud.stdout
        assert [p["event_id"] for p in hook.payloads()] == [events[0][0]]
        assert q(db2, "SELECT event_id, status FROM alerts") == [(events[0][0], "sent")]
    assert snapshot(db2)["articles"] == snapshot(db)["articles"]


# ------------------------------------------------------------------------------- 4. --reprocess

@pytest.fixture
def use_watch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path | None], None]]:
    """Point detection at another watch folder, as a user does, with $NEWSWATCH_WATCH_DIR (None: the
    package's own). The loader reads and validates that folder's real YAML files; the per-process cache
    of the loaded watch is emptied so this process sees the change (spawned workers read it at start)."""
    from newswatch.pipeline import process

    def use(folder: Path | None) -> None:
        if folder is None:
            monkeypatch.delenv("NEWSWATCH_WATCH_DIR", raising=False)
        else:
            monkeypatch.setenv("NEWSWATCH_WATCH_DIR", str(folder))
        process._watch.cache_clear()

    yield use
    process._watch.cache_clear()


def watch_without(tmp: Path, official: str) -> Path:
    """A copy of the package's watch folder with one official's entry removed."""
    from newswatch.core.meetings.watch import WATCH_DIR

    folder = tmp / f"watch-without-{official}"
    shutil.copytree(WATCH_DIR, folder)
    path = folder / "officials.yaml"
    text, n = re.subn(rf"  - id: {official}\n(?:    .*\n)*", "", path.read_text(encoding="utf-8"))
    assert n == 1
    path.write_text(text, encoding="utf-8")
    return folder


def flow_run(project: Path, flow: str, **params: Any) -> Any:
    from flows.backfill import backfill
    from flows.monitor import monitor

    common: dict[str, Any] = {"sources": str(project / "sources.yaml"), "lock_timeout": 10, "workers": 1,
                              "warehouse": str(project / "warehouse" / "news.duckdb")}
    summary = (monitor if flow == "monitor" else backfill)(**common, **params)
    assert not isinstance(summary, BaseException) and hasattr(summary, "counts"), summary
    return summary


def participants(db: Path) -> set[str]:
    return {name for (name,) in q(db, "SELECT name FROM event_participants")}


@pytest.mark.usefixtures("prefect_harness")
def test_reprocess_keeps_events_and_picks_up_new_rules(seed_project: Path, tmp_path: Path,
                                                       use_watch: Callable[[Path | None], None]) -> None:
    db = seed_project / "warehouse" / "news.duckdb"
    first = flow_run(seed_project, "monitor")
    assert first.exit_code == 0 and first.counts["events_new"] == 3
    baseline = snapshot(db)

    # Unchanged rules: every table identical apart from timestamps; nothing counted as new.
    same = flow_run(seed_project, "backfill", mode="reprocess")
    assert same.exit_code == 0, same.failures
    assert same.counts["articles_reprocessed"] == len(baseline["articles"])
    assert [same.counts.get(k, 0) for k in ("articles_new", "events_new", "events_removed")] == [0, 0, 0]
    assert snapshot(db) == baseline
    assert q(db, "SELECT flow, status FROM runs ORDER BY started_at") == [("monitor", "ok"), ("backfill", "ok")]

    # Rules gain an official: a project first run without Shamkhani in the watch, reprocessed with him,
    # ends exactly like the run that always knew him (same event ids, no duplicate events or mentions).
    other = tmp_path / "other"
    shutil.copytree(seed_project, other, ignore=shutil.ignore_patterns("warehouse"))
    db2 = other / "warehouse" / "news.duckdb"
    use_watch(watch_without(tmp_path, "shamkhani"))
    assert flow_run(other, "monitor").counts["events_new"] == 3
    assert "Ali Shamkhani" in participants(db) and "Ali Shamkhani" not in participants(db2)
    assert [e[0] for e in snapshot(db2)["events"]] == [e[0] for e in baseline["events"]]
    use_watch(None)
    gained = flow_run(other, "backfill", mode="reprocess")
    assert gained.exit_code == 0
    assert [gained.counts.get(k, 0) for k in ("events_new", "events_removed")] == [0, 0]
    assert snapshot(db2) == baseline
    assert q(db2, "SELECT count(*), count(DISTINCT (event_id, article_id)) FROM event_mentions") == [
        (len(baseline["event_mentions"]),) * 2]


@pytest.mark.usefixtures("prefect_harness")
def test_reprocess_drops_what_the_rules_no_longer_support(seed_project: Path, tmp_path: Path,
                                                          use_watch: Callable[[Path | None], None]) -> None:
    db = seed_project / "warehouse" / "news.duckdb"
    flow_run(seed_project, "monitor")
    fresh = tmp_path / "fresh"
    shutil.copytree(seed_project, fresh, ignore=shutil.ignore_patterns("warehouse"))
    use_watch(watch_without(tmp_path, "shamkhani"))
    flow_run(fresh, "monitor")            # what the new rules find from scratch
    assert "Ali Shamkhani" not in participants(fresh / "warehouse" / "news.duckdb")
    flow_run(seed_project, "backfill", mode="reprocess")
    assert snapshot(db) == snapshot(fresh / "warehouse" / "news.duckdb")


# ------------------------------------------------- the feeds window: whole days, the rest left for later

@pytest.mark.usefixtures("prefect_harness")
def test_monitor_after_a_windowed_backfill_lands_the_rest(seed_project: Path) -> None:
    part = flow_run(seed_project, "backfill", mode="feeds", since=iso("2020-11-01"), until=iso("2020-11-30"))
    assert part.counts.get("articles_new", 0) == 4
    rest = flow_run(seed_project, "monitor")
    assert rest.counts.get("articles_new", 0) == 3, rest.counts


@pytest.mark.usefixtures("prefect_harness")
def test_until_includes_the_whole_day(seed_project: Path) -> None:
    from newswatch.cli import build_parser

    args = build_parser().parse_args(["backfill", "--since", "2020-11-16", "--until", "2020-11-16"])
    got = flow_run(seed_project, "backfill", mode="feeds", since=args.since, until=args.until)
    # 002 is dated 2020-11-16T15:45+08:00 (07:45 UTC on the 16th) in its feed.
    assert got.counts.get("articles_new", 0) == 1, got.counts
