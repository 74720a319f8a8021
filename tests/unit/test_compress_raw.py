"""Raw pages are stored as zlib streams of exactly their bytes, in order, whether compressed in one
thread or two."""

from __future__ import annotations

import random
import zlib

import pytest

from newswatch.pipeline.collect import PARALLEL_BYTES, RAW_LEVEL, compress_raw


def _bodies(count: int, size: int) -> list[bytes]:
    rng = random.Random(count)
    words = [bytes(rng.choices(b"abcdefghij<>/ ", k=rng.randint(2, 9))) for _ in range(400)]
    return [b" ".join(rng.choices(words, k=size // 6)) + str(n).encode() for n in range(count)]


@pytest.mark.parametrize(("count", "size", "threaded"),
                         [(0, 0, False), (1, 200_000, False), (5, 1_000, False), (40, PARALLEL_BYTES // 10, True)])
def test_each_body_round_trips_in_order(count: int, size: int, threaded: bool) -> None:
    bodies = _bodies(count, size)
    assert (count > 1 and sum(map(len, bodies)) >= PARALLEL_BYTES) is threaded   # the case tests that path
    packed = compress_raw(bodies)
    assert [zlib.decompress(p) for p in packed] == bodies
    assert packed == [zlib.compress(b, RAW_LEVEL) for b in bodies]   # the same stream, one thread or two
