"""The DuckDB side of the near-duplicate index: batch candidate lookups and Arrow inserts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import pyarrow as pa

from newswatch.core.dedupe import (
    EMPTY_HASH,
    DedupeItem,
    StoredCandidate,
    StoryAssignment,
    exact_bucket,
    signature_from_bytes,
    signature_to_bytes,
)

# Literals per IN list. DuckDB answers `bucket IN (<literals>)` with an ART index scan (constant
# cost per probe whatever the table size) but plans every literal (~6 us each), and falls back to a
# full scan when one query would return more than ~2,048 rows; 4,000 probes (60 articles x 65
# buckets) keep each query well inside that while a batch of 200 articles needs only 4 queries.
# A join against a registered Arrow table would be one query, but DuckDB runs it as a hash join
# over the whole lsh_buckets table, i.e. cost growing with the history (measured 10x at 100k).
_CHUNK = 4000


def _chunks(values: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _probes(items: Sequence[DedupeItem]) -> list[str]:
    """The bucket literals of a batch: every band bucket and the content-hash bucket."""
    values: set[int] = set()
    for item in items:
        if item.content_hash == EMPTY_HASH:
            continue
        values.update(item.buckets)
        values.add(exact_bucket(item.content_hash))
    return [str(v) for v in sorted(values)]   # Python ints: safe to inline as SQL literals


def _signature_rows(con: duckdb.DuckDBPyConnection,
                    ids: Sequence[str]) -> dict[str, StoredCandidate]:
    found: dict[str, StoredCandidate] = {}
    for chunk in _chunks(sorted(set(ids))):
        rows = con.execute(
            "SELECT article_id, story_id, content_hash, signature FROM article_signatures "
            f"WHERE article_id IN ({', '.join(_quote(a) for a in chunk)})"
        ).fetchall()
        for aid, story_id, digest, blob in rows:
            found[aid] = StoredCandidate(aid, story_id, digest, signature_from_bytes(blob))
    return found


def lookup_candidates(con: duckdb.DuckDBPyConnection,
                      items: Sequence[DedupeItem]) -> list[StoredCandidate]:
    """Stored articles sharing an LSH bucket or the content hash with any item of the batch, plus
    the items themselves when already stored (re-runs) and the first article of every story found
    (so similarity is measured against it). A few queries per batch; sorted by article_id."""
    if not items:
        return []
    hits: set[str] = {item.article_id for item in items}
    for chunk in _chunks(_probes(items)):
        rows = con.execute(
            f"SELECT DISTINCT article_id FROM lsh_buckets WHERE bucket IN ({', '.join(chunk)})"
        ).fetchall()
        hits.update(r[0] for r in rows)
    found = _signature_rows(con, sorted(hits))
    heads = {c.story_id for c in found.values()} - set(found)
    if heads:
        found.update(_signature_rows(con, sorted(heads)))
    return [found[a] for a in sorted(found)]


def store_signatures(con: duckdb.DuckDBPyConnection, items: Sequence[DedupeItem],
                     assignments: Sequence[StoryAssignment]) -> None:
    """Insert the signatures and buckets of a batch (two Arrow inserts). Articles already stored
    are left alone, so a re-run adds no rows. Runs inside the caller's transaction."""
    by_id = {a.article_id: a for a in assignments}
    batch: dict[str, DedupeItem] = {}
    for item in items:
        if item.article_id in by_id:
            batch.setdefault(item.article_id, item)
    if not batch:
        return
    stored = _signature_rows(con, sorted(batch))
    new = [batch[a] for a in sorted(batch) if a not in stored]
    if not new:
        return
    sig_table = pa.table({
        "article_id": pa.array([i.article_id for i in new], pa.string()),
        "story_id": pa.array([by_id[i.article_id].story_id for i in new], pa.string()),
        "signature": pa.array([signature_to_bytes(i.signature) for i in new], pa.binary()),
        "content_hash": pa.array([i.content_hash for i in new], pa.string()),
    })
    bucket_values: list[int] = []
    bucket_ids: list[str] = []
    for item in new:
        # An exact duplicate has the very signature (hence buckets) of an article already indexed;
        # its rows would only make those buckets longer. Texts without words match nothing.
        if by_id[item.article_id].kind == "exact" or item.content_hash == EMPTY_HASH:
            continue
        values = [*item.buckets, exact_bucket(item.content_hash)]
        bucket_values.extend(values)
        bucket_ids.extend([item.article_id] * len(values))
    bucket_table = pa.table({
        "bucket": pa.array(bucket_values, pa.int64()),
        "article_id": pa.array(bucket_ids, pa.string()),
    })
    con.register("_nw_signature_batch", sig_table)
    con.register("_nw_bucket_batch", bucket_table)
    try:
        con.execute(
            "INSERT INTO article_signatures (article_id, story_id, signature, content_hash) "
            "SELECT article_id, story_id, signature, content_hash FROM _nw_signature_batch "
            "ON CONFLICT DO NOTHING"
        )
        if bucket_values:
            con.execute("INSERT INTO lsh_buckets (bucket, article_id) "
                        "SELECT bucket, article_id FROM _nw_bucket_batch")
    finally:
        con.unregister("_nw_signature_batch")
        con.unregister("_nw_bucket_batch")
