"""Benchmark: per-article near-duplicate lookup + story assignment at 1k, 10k and 100k stored articles."""

from __future__ import annotations

import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from newswatch.core import dedupe, minhash
from newswatch.io.stories import lookup_candidates, store_signatures

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / ".." / "shared" / "corpus"
BATCH = 200
REPEATS = 5      # warm batches per connection
ROUNDS = 9       # connections per size, taken in turn across the sizes (this machine is noisy)
REPLACE = 0.7     # share of a base text's words replaced to make one stored article (J ~ 0.001
#                   between two articles made from one base: distinct stories sharing a style)
EDIT = 0.05       # share of words edited in the near-duplicates of the timed batch


def _texts(limit: int | None) -> list[str]:
    """Article texts: the corpus's real news pages when ../shared/corpus exists, else the seeds."""
    manifest = CORPUS / "html" / "manifest.json"
    texts: list[str] = []
    if manifest.exists():
        import trafilatura

        rows = [r for r in json.loads(manifest.read_text(encoding="utf-8"))
                if r["kind"] == "real-page" and r["news_article"] is True]
        for row in sorted(rows, key=lambda r: r["sha256"])[:limit]:
            text = trafilatura.extract((CORPUS / row["path"]).read_bytes()) or ""
            if len(text) >= 300:
                texts.append(text)
    if not texts:
        for folder in (REPO / "seeds", REPO / ".." / "shared" / "seeds"):
            texts += [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.txt"))]
    if not texts:
        raise SystemExit("no texts: neither ../shared/corpus nor seeds/ has any")
    return texts


class _Synth:
    """Synthetic articles: corpus texts with most words swapped for other corpus words."""

    def __init__(self, texts: list[str]) -> None:
        self.bases = [minhash.token_hashes(dedupe.normalize_text(t)) for t in texts]
        self.bases = [b for b in self.bases if b.size >= minhash.MIN_TOKENS]
        self.vocab = np.unique(np.concatenate(self.bases))

    def tokens(self, n: int, salt: int = 0) -> npt.NDArray[np.uint64]:
        rng = np.random.default_rng([n, salt])
        base = self.bases[n % len(self.bases)].copy()
        swap = rng.random(base.size) < REPLACE
        base[swap] = rng.choice(self.vocab, int(swap.sum()))
        return base

    @staticmethod
    def edited(toks: npt.NDArray[np.uint64], seed: int, vocab: npt.NDArray[np.uint64]) -> (
            npt.NDArray[np.uint64]):
        rng = np.random.default_rng([seed, 7])
        out = toks.copy()
        idx = rng.choice(out.size, max(1, round(out.size * EDIT)), replace=False)
        out[idx] = rng.choice(vocab, idx.size)
        return out

    def item(self, aid: str, toks: npt.NDArray[np.uint64]) -> dedupe.DedupeItem:
        sig = minhash.minhash(minhash.shingle_hashes(toks))
        digest = hashlib.sha256(toks.tobytes()).hexdigest()
        return dedupe.DedupeItem(aid, digest, sig, ("9999", aid))


def _schema(con: duckdb.DuckDBPyConnection) -> None:
    for sql in sorted((REPO / "warehouse" / "migrations").glob("*.sql")):
        con.execute(sql.read_text(encoding="utf-8"))


def _grow(con: duckdb.DuckDBPyConnection, synth: _Synth, start: int, stop: int) -> None:
    """Store articles start..stop-1 (each a new story) through the real store_signatures."""
    for lo in range(start, stop, 5000):
        items = [synth.item(f"a_{n:016x}", synth.tokens(n)) for n in range(lo, min(stop, lo + 5000))]
        assigned = [dedupe.StoryAssignment(i.article_id, i.article_id, None, None, "new")
                    for i in items]
        con.execute("BEGIN")
        store_signatures(con, items, assigned)
        con.execute("COMMIT")


def _batch(synth: _Synth, stored: int) -> tuple[list[dedupe.DedupeItem], set[str]]:
    """200 new articles: half edited copies of stored ones (spread over the history), half new."""
    items: list[dedupe.DedupeItem] = []
    expected: set[str] = set()
    for k in range(BATCH):
        if k % 2 == 0:
            n = (k * 7919) % stored
            toks = synth.edited(synth.tokens(n), k, synth.vocab)
            expected.add(f"b_{k:04d}")
        else:
            toks = synth.tokens(10_000_000 + k)
        items.append(synth.item(f"b_{k:04d}", toks))
    return items, expected


def _signature_cost(texts: list[str]) -> float:
    """Milliseconds per signature() of a 4 KB text (median over the texts that long)."""
    four = [t[:4096] for t in texts if len(t) >= 4096] or [(" ".join(texts) * 2)[:4096]]
    times = []
    for text in four:
        t0 = time.perf_counter()
        dedupe.signature(text)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _measure(path: Path, items: list[dedupe.DedupeItem], expected: set[str],
             warm: list[float], cold: list[float]) -> dict[str, Any]:
    """Open the file as a batch transaction does, time the first lookup (index read from disk) and
    then REPEATS more on the same connection (index in memory, as batches on a held connection)."""
    con = duckdb.connect(str(path))
    try:
        cands: list[dedupe.StoredCandidate] = []
        found: set[str] = set()
        for n in range(REPEATS + 1):
            t0 = time.perf_counter()
            cands = lookup_candidates(con, items)
            assigned = dedupe.assign_stories(items, cands)
            (cold if n == 0 else warm).append(time.perf_counter() - t0)
            found = {a.article_id for a in assigned if a.kind != "new"}
    finally:
        con.close()
    return {"duplicates_found": f"{len(found & expected)}/{len(expected)}",
            "false_duplicates": len(found - expected), "candidates": len(cands)}


def run(sizes: tuple[int, ...] = (1000, 10000, 100000), smoke: bool = False,
        rounds: int = ROUNDS) -> dict[str, Any]:
    """Per-article lookup + assign time (ms) at each number of stored articles. One DuckDB file grows
    from the smallest size up, copied at each size; then every size is measured in turn, `rounds`
    times over (so a slow spell of a shared machine hits every size alike): on a fresh connection,
    the first batch (cold: the index is read from disk) and REPEATS batches more (warm)."""
    if smoke:
        sizes, rounds = (200, 1000), 1
    texts = _texts(40 if smoke else None)
    synth = _Synth(texts)
    result: dict[str, Any] = {"sizes": {}, "batch": BATCH, "repeats": REPEATS, "rounds": rounds,
                              "texts": len(synth.bases),
                              "signature_ms_per_4kb": round(_signature_cost(texts), 3)}
    with tempfile.TemporaryDirectory() as tmp:
        grow = Path(tmp) / "grow.duckdb"
        files: dict[int, Path] = {}
        builds: dict[int, float] = {}
        stored = 0
        for size in sorted(sizes):
            con = duckdb.connect(str(grow))
            try:
                if not stored:
                    _schema(con)
                t0 = time.perf_counter()
                _grow(con, synth, stored, size)
                builds[size] = time.perf_counter() - t0
            finally:
                con.close()
            stored = size
            files[size] = grow if size == max(sizes) else Path(tmp) / f"at-{size}.duckdb"
            if files[size] != grow:
                shutil.copyfile(grow, files[size])
        batches = {size: _batch(synth, size) for size in files}
        warm: dict[int, list[float]] = {size: [] for size in files}
        cold: dict[int, list[float]] = {size: [] for size in files}
        checks: dict[int, dict[str, Any]] = {}
        for _ in range(rounds):
            for size, path in files.items():
                checks[size] = _measure(path, *batches[size], warm[size], cold[size])
        for size in files:
            result["sizes"][size] = {
                "ms_per_article": round(statistics.median(warm[size]) / BATCH * 1000, 4),
                "cold_ms_per_article": round(statistics.median(cold[size]) / BATCH * 1000, 4),
                "build_s": round(builds[size], 1), **checks[size]}
    lo, hi = min(sizes), max(sizes)
    result["ratio"] = round(result["sizes"][hi]["ms_per_article"]
                            / result["sizes"][lo]["ms_per_article"], 3)
    result["cold_ratio"] = round(result["sizes"][hi]["cold_ms_per_article"]
                                 / result["sizes"][lo]["cold_ms_per_article"], 3)
    result["ratio_of"] = f"{hi}/{lo}"
    return result


def main() -> None:
    res = run(smoke="--smoke" in sys.argv[1:])
    print(f"signature(): {res['signature_ms_per_4kb']} ms per 4 KB text "
          f"({res['texts']} base texts)")
    print(f"{'stored':>8} {'ms/article':>11} {'first batch':>12} {'build s':>8} {'dups found':>11} "
          f"{'false':>6} {'candidates':>11}")
    for size, row in res["sizes"].items():
        print(f"{size:>8} {row['ms_per_article']:>11} {row['cold_ms_per_article']:>12} {row['build_s']:>8} "
              f"{row['duplicates_found']:>11} {row['false_duplicates']:>6} {row['candidates']:>11}")
    print(f"ratio {res['ratio_of']}: {res['ratio']} (target <= 1.3); first batch on a fresh connection: "
          f"{res['cold_ratio']}")


if __name__ == "__main__":
    main()
