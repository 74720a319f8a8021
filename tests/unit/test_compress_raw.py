"""Raw pages are stored as zstd frames of exactly their bytes, in order, whether compressed in one
thread or two; bodies stored as zlib before zstd still read back; anything else is a one-line error."""

from __future__ import annotations

import random
import zlib

import pytest
import zstandard

from newswatch.core.rawpage import LEVEL, ZSTD_MAGIC, pack, unpack
from newswatch.pipeline.collect import PARALLEL_BYTES, compress_raw


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
    assert [unpack(p) for p in packed] == bodies
    assert all(p[:4] == ZSTD_MAGIC for p in packed)
    # zstd's own decoder reads them, and they are the same frames, one thread or two
    assert [zstandard.ZstdDecompressor().decompress(p) for p in packed] == bodies
    assert packed == [zstandard.ZstdCompressor(level=LEVEL).compress(b) for b in bodies]


def test_bodies_stored_as_zlib_before_still_read_back() -> None:
    body = _bodies(1, 50_000)[0]
    assert unpack(zlib.compress(body, 3)) == body
    assert unpack(pack(body)) == body


@pytest.mark.parametrize("raw", [b"not a page", b"", ZSTD_MAGIC + b"\x00\x01", b"x\x9c\x01\x02"],
                         ids=["garbage", "empty", "cut-zstd", "cut-zlib"])
def test_an_unreadable_body_is_a_one_line_value_error(raw: bytes) -> None:
    with pytest.raises(ValueError) as err:
        unpack(raw)
    assert "\n" not in str(err.value) and ("zstd" in str(err.value) or "zlib" in str(err.value))


def test_a_cut_frame_is_an_error_not_a_short_page() -> None:
    packed = pack(_bodies(1, 100_000)[0])
    with pytest.raises(ValueError):
        unpack(packed[: len(packed) // 2])
