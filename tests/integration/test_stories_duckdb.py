"""The near-duplicate index on a real DuckDB file: batch lookups, Arrow inserts, re-runs, rollback."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pytest

from newswatch.core import dedupe, minhash
from newswatch.core.dedupe import DedupeItem, StoryAssignment, assign_stories
from newswatch.io.stories import lookup_candidates, store_signatures

MIGRATIONS = Path(__file__).resolve().parents[2] / "warehouse" / "migrations"
PER_ARTICLE = minhash.BANDS + 1   # band buckets + the content-hash bucket


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "news.duckdb"))
    for sql in sorted(MIGRATIONS.glob("*.sql")):
        connection.execute(sql.read_text(encoding="utf-8"))
    yield connection
    connection.close()


def _text(seed: int, n: int = 150) -> str:
    rng = random.Random(seed)
    return " ".join(f"w{rng.randrange(400)}" for _ in range(n)) + "."


def _edit(text: str, seed: int, share: float = 0.05) -> str:
    rng = random.Random(seed)
    words = text.split()
    for i in rng.sample(range(len(words)), round(len(words) * share)):
        words[i] = f"edit{rng.randrange(10**6)}"
    return " ".join(words)


def _item(aid: str, text: str, when: str = "9999") -> DedupeItem:
    digest, sig = dedupe.fingerprint(text)
    return DedupeItem(aid, digest, sig, (when, aid))


def _run(con: duckdb.DuckDBPyConnection, items: list[DedupeItem]) -> list[StoryAssignment]:
    """What the pipeline does per batch: look up, assign, store, in one transaction."""
    con.execute("BEGIN")
    assigned = assign_stories(items, lookup_candidates(con, items))
    store_signatures(con, items, assigned)
    con.execute("COMMIT")
    return assigned


def _signatures(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str, str]]:
    return {(a, s, h) for a, s, h in con.execute(
        "SELECT article_id, story_id, content_hash FROM article_signatures").fetchall()}


def _bucket_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(con.execute(
        "SELECT article_id, count(*) FROM lsh_buckets GROUP BY article_id").fetchall())


BASE, OTHER = _text(1), _text(2)


def _first_batch() -> list[DedupeItem]:
    return [
        _item("a_near", _edit(BASE, 1), "2024-05-02"),
        _item("a_base", BASE, "2024-05-01"),
        _item("a_copy", "  " + BASE.upper(), "2024-05-03"),
        _item("a_other", OTHER, "2024-05-01"),
        _item("a_empty", "", "2024-05-01"),
    ]


def test_first_batch_stores_whole_rows(con: duckdb.DuckDBPyConnection) -> None:
    items = _first_batch()
    assert lookup_candidates(con, items) == []
    got = {a.article_id: (a.story_id, a.duplicate_of, a.kind) for a in _run(con, items)}
    assert got == {
        "a_base": ("a_base", None, "new"),
        "a_near": ("a_base", "a_base", "near"),
        "a_copy": ("a_base", "a_base", "exact"),
        "a_other": ("a_other", None, "new"),
        "a_empty": ("a_empty", None, "new"),
    }
    h = {i.article_id: i.content_hash for i in items}
    assert _signatures(con) == {
        ("a_base", "a_base", h["a_base"]), ("a_near", "a_base", h["a_near"]),
        ("a_copy", "a_base", h["a_base"]), ("a_other", "a_other", h["a_other"]),
        ("a_empty", "a_empty", dedupe.EMPTY_HASH),
    }
    # Exact copies and empty texts add no buckets: their rows would only lengthen existing ones.
    assert _bucket_counts(con) == {"a_base": PER_ARTICLE, "a_near": PER_ARTICLE,
                                   "a_other": PER_ARTICLE}
    blob = con.execute("SELECT signature FROM article_signatures WHERE article_id = 'a_near'"
                       ).fetchone()
    assert blob is not None
    assert np.array_equal(dedupe.signature_from_bytes(blob[0]), items[0].signature)


def test_next_batch_finds_history_and_reruns_add_nothing(con: duckdb.DuckDBPyConnection) -> None:
    _run(con, _first_batch())
    batch = [
        _item("a_later", _edit(BASE, 7), "2024-06-01"),      # edited copy of the first story
        _item("a_repost", OTHER + " ", "2024-06-01"),         # exact copy of the other one
        _item("a_fresh", _text(3), "2024-06-01"),             # unrelated
    ]
    cands = lookup_candidates(con, batch)
    # Only what shares a bucket: the first story's two indexed articles and the other story.
    assert [c.article_id for c in cands] == ["a_base", "a_near", "a_other"]
    got = {a.article_id: (a.story_id, a.duplicate_of, a.kind) for a in _run(con, batch)}
    assert got == {"a_later": ("a_base", "a_base", "near"),
                   "a_repost": ("a_other", "a_other", "exact"),
                   "a_fresh": ("a_fresh", None, "new")}
    before = (_signatures(con), _bucket_counts(con))
    # Re-running the same batch, in another order, gives the same stories and no new rows.
    again = {a.article_id: (a.story_id, a.duplicate_of, a.kind)
             for a in _run(con, list(reversed(batch)))}
    assert again == got
    assert (_signatures(con), _bucket_counts(con)) == before
    # Indexed: base, near, other, later, fresh (copy and repost are exact, empty has no words).
    assert con.execute("SELECT count(*) FROM lsh_buckets").fetchone() == (5 * PER_ARTICLE,)


def test_story_head_is_returned_for_similarity(con: duckdb.DuckDBPyConnection) -> None:
    """A match through a later member still reports similarity to the story's first article."""
    _run(con, [_item("a_head", BASE, "1"), _item("a_mid", _edit(BASE, 11, 0.12), "2")])
    drifted = _item("a_end", _edit(_edit(BASE, 11, 0.12), 12, 0.05), "3")
    cands = {c.article_id for c in lookup_candidates(con, [drifted])}
    assert {"a_head", "a_mid"} <= cands
    (got,) = assign_stories([drifted], lookup_candidates(con, [drifted]))
    assert (got.story_id, got.duplicate_of) == ("a_head", "a_head")
    head_sig = dedupe.signature(BASE)
    assert got.similarity == dedupe.similarity(drifted.signature, head_sig)


def test_store_runs_inside_the_callers_transaction(con: duckdb.DuckDBPyConnection) -> None:
    items = _first_batch()
    con.execute("BEGIN")
    store_signatures(con, items, assign_stories(items, []))
    assert con.execute("SELECT count(*) FROM article_signatures").fetchone() == (5,)
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM article_signatures").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM lsh_buckets").fetchone() == (0,)


def test_large_batches_are_chunked_and_all_found(con: duckdb.DuckDBPyConnection) -> None:
    """150 articles (more than one IN-list chunk), then 150 edited copies: every one is found."""
    originals = [_item(f"a_o{k:03d}", _text(1000 + k), "1") for k in range(150)]
    _run(con, originals)
    copies = [_item(f"a_c{k:03d}", _edit(_text(1000 + k), k), "2") for k in range(150)]
    got = _run(con, copies)
    assert [(a.story_id, a.kind) for a in got] == [(f"a_o{k:03d}", "near") for k in range(150)]
    assert con.execute("SELECT count(*) FROM article_signatures").fetchone() == (300,)
