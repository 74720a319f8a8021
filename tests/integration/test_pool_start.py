"""The worker pool starts while collect is still running (its start-up overlaps fetching), only when
enough new links are coming, and the run's results do not depend on when or whether it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zlib
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from newswatch.core.rawpage import pack
from newswatch.pipeline import collect, runner
from newswatch.pipeline.process import SMALL_BATCH, page_processor, process_page

PAGE = ("<html><head><title>Report {n}</title></head><body><article><h1>Report {n}</h1>"
        "<p>Report number {n} from the regional desk describes the harbour, the market and the weather "
        "of the day in some detail, so that the extractor keeps this paragraph as the article body.</p>"
        "<p>A second paragraph about item {n} adds the mayor's remarks on the new tram line and the "
        "opening hours of the library, which changed again this week after the holidays.</p>"
        "</article></body></html>")


def site(root: Path, pages: int) -> Path:
    root.mkdir()
    items = []
    for n in range(pages):
        (root / f"p{n:03d}.html").write_text(PAGE.format(n=n), encoding="utf-8")
        items.append(f"<item><title>Report {n}</title><link>p{n:03d}.html</link></item>")
    (root / "feed.xml").write_text("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
                                   f"<title>t</title>{''.join(items)}</channel></rss>", encoding="utf-8")
    (root / "sources.yaml").write_text("sources:\n  - id: local\n    url: feed.xml\n", encoding="utf-8")
    return root / "sources.yaml"


def run(sources: Path, workers: int) -> tuple[bool, list[tuple[object, ...]]]:
    db = sources.parent / f"news-{workers}.duckdb"
    ctx = runner.open_run("monitor", sources=sources, warehouse=db, workers=workers)
    collect.collect_source(ctx, ctx.config.sources[0], None)
    started = ctx.processor is not None and ctx.processor._pool is not None
    runner.process_pending(ctx)
    runner.finish_run(ctx)
    assert ctx.processor is None     # closed with the run
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT article_id, story_id, language, content_hash FROM articles ORDER BY 1").fetchall()
    return started, rows


@pytest.mark.slow
def test_pool_starts_during_collect_only_when_needed(tmp_path: Path) -> None:
    many = SMALL_BATCH + 6
    sources = site(tmp_path / "many", many)
    started, pooled = run(sources, workers=2)
    assert started and len(pooled) == many
    started_one, inline = run(sources, workers=1)
    assert not started_one
    assert pooled == inline          # same rows whether pages went through the pool or not
    started_few, few = run(site(tmp_path / "few", SMALL_BATCH - 4), workers=2)
    assert not started_few and len(few) == SMALL_BATCH - 4


def _comparable(result: dict[str, object]) -> tuple[object, ...]:
    sig = result.get("signature")
    return (result["page_id"], result.get("error"), result.get("article"), result.get("detection"),
            None if sig is None else bytes(sig))   # type: ignore[arg-type]


@pytest.mark.slow
def test_the_run_process_and_the_pool_share_a_batch_with_the_same_results() -> None:
    """With workers > 1 the run's own process takes pages too, while the spawned workers warm up and
    after: every page comes back once, in the batch's order, as processing it in-process gives."""
    when = datetime(2024, 5, 1, tzinfo=UTC)
    pages = [{"page_id": f"p{n:03d}", "url": f"https://news.invalid/{n}", "final_url": None, "source_id": "s",
              "content_type": "text/html", "feed_title": f"Report {n}", "feed_published_at": when,
              "language_hint": None, "fetched_at": when,
              "raw": _stored((PAGE.format(n=n) * (1 + n % 4)).encode(), n)} for n in range(SMALL_BATCH + 10)]
    pages.append({**pages[0], "page_id": "broken", "raw": b"not zlib"})
    expected = [_comparable(process_page(p)) for p in pages]
    # zstd and zlib bodies all give articles; only the broken body is an error
    assert [e[0] for e in expected if e[1] is not None] == ["broken"]
    assert str(expected[-1][1]).startswith("unreadable page: neither zstd nor zlib")
    with page_processor(3) as proc:
        assert [_comparable(r) for r in proc(pages)] == expected   # cold: the workers are warming up
        deadline = time.monotonic() + 120
        while not proc.pool_warm and time.monotonic() < deadline:
            assert [_comparable(r) for r in proc(pages)] == expected
        assert proc.pool_warm
        assert [_comparable(r) for r in proc(pages[::-1])] == expected[::-1]   # and on the warm pool


def _pages(count: int, prefix: str) -> list[dict[str, object]]:
    when = datetime(2024, 5, 1, tzinfo=UTC)
    return [{"page_id": f"{prefix}{n:03d}", "url": f"https://news.invalid/{prefix}/{n}", "final_url": None,
             "source_id": "s", "content_type": "text/html", "feed_title": f"Report {n}", "feed_published_at": when,
             "language_hint": None, "fetched_at": when,
             "raw": _stored((PAGE.format(n=n) * (1 + n % 3)).encode(), n)} for n in range(count)]


def _stored(body: bytes, n: int) -> bytes:
    """Bodies as a run stores them (zstd), every third as an older warehouse did (zlib)."""
    return zlib.compress(body, 3) if n % 3 == 0 else pack(body)


@pytest.mark.slow
def test_a_batch_submitted_ahead_is_extracted_meanwhile_and_returned_intact() -> None:
    """The pipelining process_pending relies on: batch B goes to the workers before batch A's results
    are taken; both come back complete, in order, equal to in-process results, and the workers had
    already done part of B by the time it was asked for."""
    first, second = _pages(SMALL_BATCH + 6, "a"), _pages(SMALL_BATCH + 6, "b")
    expected_first = [_comparable(process_page(p)) for p in first]
    expected_second = [_comparable(process_page(p)) for p in second]
    with page_processor(2) as proc:
        deadline = time.monotonic() + 120
        while not proc.pool_warm and time.monotonic() < deadline:
            proc(first)
        a = proc.submit(first)
        b = proc.submit(second)
        assert [_comparable(r) for r in proc.results(a)] == expected_first
        time.sleep(0.5)   # "the run writes batch A"
        done_ahead = len(b.out)
        assert [_comparable(r) for r in proc.results(b)] == expected_second
    assert done_ahead > 0


@pytest.mark.slow
def test_a_worker_killed_mid_batch_fails_the_batch_with_a_clear_error() -> None:
    """A spawned worker that dies (out of memory, a crash in lxml) breaks the pool: results() raises
    BrokenProcessPool instead of hanging or returning a batch with holes."""
    pages = _pages(SMALL_BATCH * 3, "k")
    with page_processor(2) as proc:
        deadline = time.monotonic() + 120
        while not proc.pool_warm and time.monotonic() < deadline:
            proc(pages[:SMALL_BATCH])
        batch = proc.submit(pages)
        assert proc._pool is not None
        for pid in list(proc._pool._processes):   # type: ignore[attr-defined]  # the pool's worker pids
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            proc.results(batch)


@pytest.mark.slow
def test_a_spawned_worker_exits_without_the_interpreter_teardown(tmp_path: Path) -> None:
    """The pool's initializer makes the worker end at exit once its output is flushed, skipping the
    interpreter's teardown (0.4-0.7 s the run waited for at every pool close): an exit handler
    registered before it never runs, and what the worker printed or logged still comes out."""
    marker = tmp_path / "teardown-ran"
    code = (
        "import atexit, logging, pathlib, sys\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'ran')\n"
        "from newswatch.pipeline.process import _warm\n"
        "_warm()\n"
        "logging.getLogger('worker').warning('logged before exit')\n"
        "sys.stdout.write('printed before exit')\n"   # a pipe: block-buffered until flushed
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "printed before exit"
    assert "logged before exit" in done.stderr
    assert not marker.exists()
    # Control: without _warm the same handler runs, so the check above can fail.
    plain = subprocess.run([sys.executable, "-c", code.replace("_warm()\n", "")], capture_output=True,
                           text=True, timeout=120)
    assert plain.returncode == 0 and marker.read_text() == "ran"


MAIN_MODULE = """
import os, pathlib, sys
with pathlib.Path(os.environ["NW_MARKER"]).open("a") as f:   # each time this module runs
    f.write(f"{os.getpid()} {__name__}\\n")
if __name__ == "__main__":
    from newswatch.pipeline.process import page_processor
    with page_processor(2) as proc:
        proc.start()
        print(proc._pool.submit(os.getpid).result())   # answered by the spawned worker
"""


@pytest.mark.slow
@pytest.mark.parametrize("how", ["module", "script"])
def test_spawned_workers_do_not_rerun_the_parents_main_module(tmp_path: Path, how: str) -> None:
    """Served Prefect runs are `python -m prefect.engine`; multiprocessing's spawn would make every
    worker run that module again (importing Prefect: ~1 s and ~50 MB a worker). Here the main module
    records each time it runs: only the parent's run, whether started with -m or as a script."""
    (tmp_path / "nwmain.py").write_text(MAIN_MODULE, encoding="utf-8")
    marker = tmp_path / "runs.txt"
    env = {**os.environ, "NW_MARKER": str(marker),
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    argv = ["-m", "nwmain"] if how == "module" else [str(tmp_path / "nwmain.py")]
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=180, env=env,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    worker = int(done.stdout.strip())
    runs = marker.read_text(encoding="utf-8").splitlines()
    assert len(runs) == 1 and runs[0].endswith(" __main__"), runs
    assert int(runs[0].split()[0]) != worker
