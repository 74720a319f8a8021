"""A backfill writes its processed batches in groups (`settings.backfill_write_rows`): the same
articles, pages, stories and meetings as writing every batch, and each write but the last waits for a
full group. What may differ is which article heads a story, and so the ids of stories and events
(an event's id hashes its first report): the earliest of the pages written together heads it, so a
group of several batches can pick an earlier one than a batch could."""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from newswatch.pipeline import backfill as bf
from newswatch.pipeline import runner

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "html"
BATCH = 20   # pages per batch handed to the workers, small so that a group spans several
SNAPSHOT = {
    "articles": "SELECT article_id, url, title, published_at, language, content_hash, text FROM articles ORDER BY ALL",
    "pages": "SELECT page_id, status, article_id, error IS NOT NULL FROM pages ORDER BY ALL",
    "signatures": "SELECT article_id, content_hash FROM article_signatures ORDER BY ALL",
    "events": "SELECT meeting_date, city, host_country FROM events ORDER BY ALL",
    "mentions": "SELECT event_id, article_id FROM event_mentions ORDER BY ALL",   # grouped by event
    "stories": "SELECT story_id, article_id, duplicate_of FROM articles ORDER BY ALL",
}


def saved_pages(dest: Path) -> int:
    """The seed pages, a near copy of each under another canonical URL (so stories and meetings
    span groups), and the corpus's real pages when ../shared/corpus is present."""
    dest.mkdir()
    for page in sorted((REPO / "seeds" / "pages").glob("*.html")):
        shutil.copy(page, dest / page.name)
        html = page.read_text(encoding="utf-8")
        copy = re.sub(r'(<link rel="canonical" href=")([^"]+)"', r'\1\2-copy"', html, count=1)
        assert copy != html, page
        copy = copy.replace("</article>", "<p>Reprinted with permission.</p></article>", 1)
        (dest / f"zz-copy-{page.name}").write_text(copy, encoding="utf-8")
    if CORPUS.is_dir():   # a sidecar URL each, so that article ids do not depend on this folder
        for page in sorted(CORPUS.rglob("*.html"))[:120]:
            name = f"corpus-{page.parent.name}-{page.name}"
            shutil.copy(page, dest / name)
            (dest / name).with_suffix(".json").write_text(json.dumps({"url": f"https://corpus.invalid/{name}"}))
    return len(list(dest.glob("*.html")))


def groups(rows: list[tuple[object, ...]]) -> set[frozenset[object]]:
    """(group id, member) rows -> the sets of members, whatever the ids."""
    members: dict[object, set[object]] = defaultdict(set)
    for key, member in rows:
        members[key].add(member)
    return {frozenset(group) for group in members.values()}


def stories(rows: list[tuple[object, ...]]) -> set[frozenset[object]]:
    """The articles grouped by story, whatever article heads each; checks that each story's head is
    one of its articles and that the others point at it."""
    for story_id, article_id, duplicate_of in rows:
        assert duplicate_of == (None if article_id == story_id else story_id), (story_id, article_id)
    assert {s for s, _, _ in rows} <= {a for _, a, _ in rows}
    return groups([(story_id, article_id) for story_id, article_id, _ in rows])


def backfill(root: Path, pages: Path, write_rows: int) -> tuple[dict[str, list[tuple[object, ...]]], list[int]]:
    """Store the pages, then process them in BATCH-page batches written `write_rows` articles at a
    time; the warehouse's rows and the size (in pages) of each write."""
    root.mkdir()
    (root / "sources.yaml").write_text(f"settings:\n  backfill_write_rows: {write_rows}\nsources: []\n",
                                       encoding="utf-8")
    ctx = runner.open_run("backfill", sources=root / "sources.yaml", warehouse=root / "news.duckdb",
                          workers=1, alerts_status="suppressed")
    files = bf.list_pages(pages)
    bf.ingest_dir(ctx, files, pages)
    writes: list[int] = []
    runner.process_pending(ctx, batch_size=BATCH, on_batch=writes.append)
    summary = runner.finish_run(ctx)
    assert summary.counts["articles_new"] > 0
    with duckdb.connect(str(root / "news.duckdb"), read_only=True) as con:
        return {name: con.execute(sql).fetchall() for name, sql in SNAPSHOT.items()}, writes


@pytest.mark.slow
def test_grouped_writes_store_what_batch_writes_store(tmp_path: Path) -> None:
    total = saved_pages(tmp_path / "pages")
    every, every_writes = backfill(tmp_path / "every", tmp_path / "pages", 0)
    assert every_writes == [BATCH] * (total // BATCH) + ([total % BATCH] if total % BATCH else [])
    assert every["events"] and every["mentions"] and any(dup for _, _, dup in every["stories"])

    grouped, grouped_writes = backfill(tmp_path / "grouped", tmp_path / "pages", 50)
    assert sum(grouped_writes) == total and 2 <= len(grouped_writes) < len(every_writes), grouped_writes
    # Each write but the last waited for 50 articles: whole batches, at least 3 of them (60 pages).
    assert all(size % BATCH == 0 and size >= 3 * BATCH for size in grouped_writes[:-1]), grouped_writes
    same(grouped, every)

    whole, whole_writes = backfill(tmp_path / "whole", tmp_path / "pages", 100_000)
    assert whole_writes == [total]
    same(whole, every)


def same(got: dict[str, list[tuple[object, ...]]], want: dict[str, list[tuple[object, ...]]]) -> None:
    for table in SNAPSHOT:
        if table == "stories":
            assert stories(got[table]) == stories(want[table])
        elif table == "mentions":
            assert groups(got[table]) == groups(want[table])
        else:
            assert got[table] == want[table], table
