"""MinHash signatures over word shingles and their LSH band buckets (numpy, deterministic)."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import numpy.typing as npt

# Parameters, tuned on the shared corpus: 210 real news pages with >= 300 chars of text and, for
# each, a copy in other HTML chrome, a copy with 5% of its words edited and a copy with one
# paragraph added (tests/quality/test_near_duplicates.py prints the figures). Exact Jaccard
# similarity of the shingle sets, worst copy / median copy / most similar pair of distinct pages:
#
#   shingle   other chrome   5% edited      paragraph added   distinct pages   seeds 002 vs 004
#   2 words   0.936 / 0.996  0.658 / 0.822  0.530 / 0.942     0.084            0.093
#   3 words   0.942 / 0.996  0.546 / 0.753  0.551 / 0.944     0.037            0.044
#   4 words   0.938 / 0.996  0.473 / 0.690  0.538 / 0.942     0.024            0.025
#   5 words   0.930 / 0.996  0.419 / 0.635  0.521 / 0.940     0.019            0.014
#
# - SHINGLE = 3 words: the widest absolute gap between copies and distinct texts (0.04 .. 0.55),
#   which is what matters since MinHash noise is absolute; 2-word shingles let stock phrases
#   through (0.08-0.09 between different reports), 4-5 words punish edits harder.
# - NUM_PERM = 128 values: the estimate's standard error is sqrt(J(1-J)/128), 0.04 at J = 0.3.
#   Measured estimates: distinct pages <= 0.031, seeds 002 vs 004 0.0625, copies >= 0.50.
# - BANDS x ROWS = 64 x 2: a pair is a candidate with probability 1 - (1 - J^2)^64, i.e. 0.998 at
#   J = 0.3, 0.93 at J = 0.2 and 0.10 at J = 0.04. Three rows per band (42 bands) would find only
#   68% of the pairs at J = 0.3; more bands cost more probes per lookup (about 6 us each in DuckDB).
SHINGLE = 3
NUM_PERM = 128
BANDS = 64
ROWS = 2
assert BANDS * ROWS == NUM_PERM

# Texts with fewer tokens than this get a signature derived from their whole content, so they can
# only ever match a text with the very same normalised content (i.e. exactly). 30 words is about
# one short paragraph; below it 3-word shingles are too few for a stable estimate.
MIN_TOKENS = 30


def _splitmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The splitmix64 finaliser: a bijective, well-mixing map on uint64 (wrap-around arithmetic)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _seeded(label: str, n: int) -> npt.NDArray[np.uint64]:
    """n fixed pseudo-random uint64 values derived from a label (never from the process)."""
    digest = hashlib.blake2b(label.encode(), digest_size=8).digest()
    start = np.uint64(int.from_bytes(digest, "little"))
    return _splitmix64(start + np.arange(n, dtype=np.uint64))


# One multiply-add-shift hash per permutation: h_i(x) = ((a_i * x + b_i) mod 2^64) >> 32. The
# inputs are already uniform 64-bit hashes of shingles, so this cheap family behaves like independent
# random permutations (checked in tests: estimates track exact Jaccard within a few hundredths).
_PERM_A = _seeded("newswatch.minhash.a", NUM_PERM) | np.uint64(1)   # odd multipliers
_PERM_B = _seeded("newswatch.minhash.b", NUM_PERM)
_BAND_KEYS = _seeded("newswatch.lsh.band", BANDS)
_SHORT_KEYS = _seeded("newswatch.minhash.short", NUM_PERM)

# Scripts written without spaces between words: each character is one token there, so a shingle is
# three characters (Han, kana, Thai, Lao, Myanmar, Khmer).
_CHAR_SCRIPTS = re.compile(
    "([\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\U00020000-\U0002fa1f])"
)


def token_hashes(normalized: str) -> npt.NDArray[np.uint64]:
    """One 64-bit hash per token of a text already passed through normalize_text.

    Tokens are the space-separated words (CJK/Thai: one per character). Vectorised over code
    points: each code point is mixed with its offset in the token, the token's values are summed
    (mod 2^64) and mixed again; no per-token Python call, and the same on every platform.
    """
    if _CHAR_SCRIPTS.search(normalized):
        normalized = _CHAR_SCRIPTS.sub(r" \1 ", normalized)
    cps = np.frombuffer(normalized.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if cps.size == 0:
        return np.zeros(0, dtype=np.uint64)
    space = cps == np.uint64(32)
    starts = ~space
    starts[1:] &= space[:-1]
    start_idx = np.flatnonzero(starts)
    if start_idx.size == 0:
        return np.zeros(0, dtype=np.uint64)
    pos = np.arange(cps.size, dtype=np.int64)
    offset = (pos - np.maximum.accumulate(np.where(starts, pos, 0))).astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = _splitmix64(cps ^ (offset * np.uint64(0xD6E8FEB86659FD93)))
    mixed[space] = 0
    return _splitmix64(np.add.reduceat(mixed, start_idx))


def shingle_hashes(token_hash: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Unique 64-bit hashes of the SHINGLE-token windows, from the tokens' hashes."""
    n = token_hash.size - SHINGLE + 1
    if n <= 0:
        return np.unique(token_hash)
    h = token_hash[:n].copy()
    for j in range(1, SHINGLE):
        # Position-dependent fold: "a b c" and "c b a" hash differently.
        h = _splitmix64(h ^ token_hash[j : j + n])
    return np.unique(h)


def minhash(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    """The NUM_PERM minimum values of the shingle hashes under each permutation (uint32)."""
    if hashes.size == 0:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    # (shingles x perms) matrix, ~650 x 128 for a 4 KB text. The top 32 bits of the minimum are
    # the minimum of the top 32 bits, so the shift is done on the 128 minima only.
    mixed = np.multiply(hashes[:, None], _PERM_A[None, :])
    mixed += _PERM_B[None, :]
    return (mixed.min(axis=0) >> np.uint64(32)).astype(np.uint32)


def content_signature(key: bytes) -> npt.NDArray[np.uint32]:
    """A signature that only an identical key reproduces (for texts too short to shingle)."""
    start = np.uint64(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little"))
    return (_splitmix64(_SHORT_KEYS ^ start) >> np.uint64(32)).astype(np.uint32)


def band_buckets(sig: npt.NDArray[np.uint32]) -> list[int]:
    """One signed 64-bit bucket per band: a hash of the band index and the band's ROWS values."""
    values = np.asarray(sig, dtype=np.uint32).astype(np.uint64).reshape(BANDS, ROWS)
    h = _BAND_KEYS.copy()
    for j in range(ROWS):
        h = _splitmix64(h ^ values[:, j])
    return [int(v) for v in h.view(np.int64)]


def estimate(sig_a: npt.NDArray[np.uint32], sig_b: npt.NDArray[np.uint32]) -> float:
    """Estimated Jaccard similarity: the share of equal signature values."""
    a = np.asarray(sig_a)
    b = np.asarray(sig_b)
    if a.shape != b.shape or a.size == 0:
        return 0.0
    return float(np.count_nonzero(a == b)) / a.size


def estimate_many(sig: npt.NDArray[np.uint32], others: npt.NDArray[np.uint32]) -> npt.NDArray[
    np.float64
]:
    """Estimated Jaccard similarity of one signature with each row of a (n x NUM_PERM) matrix."""
    if others.size == 0:
        return np.zeros(0, dtype=np.float64)
    return np.count_nonzero(others == sig[None, :], axis=1) / float(sig.size)
