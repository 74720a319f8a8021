"""Stage 2, the CPU-heavy part: raw page -> text, language, hashes, signature, meeting detection.

Runs in worker processes, so inputs and outputs are plain picklable dicts and only core/ is used."""

from __future__ import annotations

import atexit
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager, suppress
from datetime import datetime
from functools import lru_cache
from multiprocessing import spawn as mp_spawn
from typing import Any
from urllib.parse import urlsplit

from newswatch.config import watch_dir
from newswatch.core.dedupe import article_id, canonical_url, fingerprint, pick_canonical
from newswatch.core.extract import extract, warm_up_extraction
from newswatch.core.language import detect_language
from newswatch.core.meetings import Watch, detect, load_watch
from newswatch.core.rawpage import unpack
from newswatch.errors import NewswatchError
from newswatch.models import Detection, MeetingInput

SMALL_BATCH = 24   # below this many pages a process pool costs more than it saves
IN_FLIGHT = 2      # pages handed to each spawned worker at a time: one running, one waiting


@lru_cache(maxsize=1)
def _watch() -> Watch:
    return load_watch(watch_dir())


def choose_canonical(link: str, final_url: str | None, page_canonical: str | None) -> str:
    """The URL an article is known by. Saved/local pages are known by the http(s) URL they declare."""
    fetched = final_url or link
    if urlsplit(fetched).scheme == "file":
        if page_canonical and urlsplit(page_canonical).scheme in ("http", "https"):
            return canonical_url(page_canonical)
        return canonical_url(link)
    return pick_canonical(fetched, page_canonical)


def process_page(page: dict[str, Any]) -> dict[str, Any]:
    """One stored page -> an article row (plus signature and detection), or a failure reason."""
    try:
        raw = unpack(page["raw"])
        ex = extract(raw, url=page.get("final_url") or page["url"], content_type=page.get("content_type"))
    except NewswatchError as exc:
        return {"page_id": page["page_id"], "error": str(exc)}
    except ValueError as exc:
        return {"page_id": page["page_id"], "error": f"unreadable page: {exc}"}
    canonical = choose_canonical(page["url"], page.get("final_url"), ex.canonical_url)
    aid = article_id(canonical)
    published: datetime | None = ex.date or page.get("feed_published_at")
    title = ex.title or page.get("feed_title") or ""
    language, confidence = detect_language(ex.text, hint=page.get("language_hint"))
    digest, sig = fingerprint(ex.text)   # normalises the text once for both
    detection: Detection | None = detect(
        MeetingInput(article_id=aid, title=title, text=ex.text, language=language,
                     published_at=published, url=page["url"], source_id=page["source_id"]), _watch())
    return {
        "page_id": page["page_id"],
        "article": {
            "article_id": aid, "url": page["url"], "canonical_url": canonical,
            "source_id": page["source_id"], "title": title or None, "author": ex.author,
            "sitename": ex.sitename, "description": ex.description, "published_at": published,
            "fetched_at": page["fetched_at"], "language": language,
            "language_confidence": confidence, "text": ex.text, "content_hash": digest,
        },
        "signature": sig,
        "detection": detection,
    }


def _die_with_parent() -> None:
    """Linux: a worker gets SIGKILL when the run's process goes, so a run killed with -9 leaves no
    orphan workers behind (they would keep CPUs busy and hold its stdout open)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _quick_exit() -> None:
    """A spawned worker's exit without the interpreter's teardown: freeing dateparser's tables, lxml,
    the watch and the rest took 0.4-0.7 s, which the run waited for when it closed its pool. A worker
    has nothing to clean up (no files or connections; its results went back before it was told to
    stop), so it flushes its output and ends here."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError, AttributeError):   # closed, or None without a console
            stream.flush()
    os._exit(0)


def _warm() -> None:
    """Worker initializer: pay the first-use costs (watch, dateparser tables, langdetect profiles) once,
    at pool start, while the run is still fetching, instead of inside the first pages."""
    _die_with_parent()
    warm_up_extraction()
    watch = _watch()
    detect_language("Le ministre irakien de la Défense est arrivé lundi 25 février à Téhéran.")
    detect(MeetingInput(article_id="warm", title="", language="fr", published_at=None,
                        text="Le ministre irakien de la Défense a rencontré lundi à Téhéran le chef "
                             "d'état-major iranien."), watch)
    # Last in, first out: at exit this runs before the handlers the imports above registered.
    atexit.register(_quick_exit)


def _ready() -> None:
    """A no-op task: submitting it makes the pool start a worker (which runs _warm first)."""


# multiprocessing's spawn makes each child re-run the parent's __main__ module, so that functions
# defined there unpickle. The pool's functions all live in this module, and under Prefect the main
# module is `prefect.engine` (served runs are `python -m prefect.engine`): re-running it imported
# Prefect in every worker, ~1 s and ~50 MB each. While a thread spawns the pool's workers, the
# parent's main module is left out of what they are told to load; other spawns are unchanged.
_SPAWNING = threading.local()
_PREPARATION_DATA = mp_spawn.get_preparation_data


def _preparation_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = _PREPARATION_DATA(name)
    if getattr(_SPAWNING, "bare", False):
        data.pop("init_main_from_name", None)
        data.pop("init_main_from_path", None)
    return data


mp_spawn.get_preparation_data = _preparation_data


class PageBatch:
    """One batch handed to a PageProcessor: its pages go to the spawned workers as they free up (a
    feeder thread keeps each one busy, largest pages first) until `PageProcessor.results` is called,
    from then on to the run's own process as well."""

    def __init__(self, pages: Sequence[dict[str, Any]]) -> None:
        self.pages = pages
        self.todo = deque(sorted(range(len(pages)), key=lambda i: -len(pages[i]["raw"] or b"")))
        self.out: dict[int, dict[str, Any]] = {}
        self.sent: dict[Future[dict[str, Any]], int] = {}
        self.lock = threading.Lock()
        self.error: BaseException | None = None

    def take(self) -> int | None:
        """The next page nobody has started, or None."""
        with self.lock:
            return self.todo.popleft() if self.todo else None

    def record(self, done: Iterable[Future[dict[str, Any]]]) -> bool:
        """Keep the results of finished futures (each once; a page taken back has none to keep).
        True when any came from a spawned worker."""
        got = False
        for fut in done:
            try:
                result: dict[str, Any] | BaseException = fut.result()
            except BaseException as exc:   # a worker died or the pool broke: results() raises it
                result = exc
            with self.lock:   # popped and kept in one step: results() never sees a page in neither
                i = self.sent.pop(fut, None)
                if i is None:
                    continue
                if isinstance(result, BaseException):
                    self.error = self.error or result
                else:
                    self.out[i] = result
            got = True
        return got


class PageProcessor:
    """Maps batches of pages to results. With workers > 1, the run's own process works alongside a
    warm pool of `workers - 1` spawned processes, kept for the whole run: pages start being processed
    at once, while the spawned workers warm up (~1 s), and `workers` processes share the CPUs after.
    `submit` hands a batch to the spawned workers and returns at once, so they can extract it while
    the run writes the previous one; `results` joins in and returns the batch's results in order.

    spawn, not fork: the parent runs Prefect's threads, and forking a threaded process can deadlock;
    not forkserver either: its server outlives a killed run."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._pool_warm = False   # a spawned worker has returned a page (it finished warming up)

    @property
    def pool_warm(self) -> bool:
        """Whether a spawned worker has returned a page yet (it has finished warming up)."""
        return self._pool_warm

    def start(self) -> None:
        """Spawn and warm the workers now, in the background (the run goes on fetching meanwhile)."""
        if self.workers > 1 and self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers - 1, mp_context=ctx, initializer=_warm)
            _SPAWNING.bare = True
            try:
                for _ in range(self.workers - 1):   # the executor spawns a worker per waiting task
                    self._pool.submit(_ready)
            finally:
                _SPAWNING.bare = False

    def __call__(self, pages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.results(self.submit(pages))

    def submit(self, pages: Sequence[dict[str, Any]]) -> PageBatch:
        """Start the spawned workers on `pages` (nothing starts for one worker or a small batch on a
        run without a pool: `results` does those here)."""
        batch = PageBatch(pages)
        if self.workers > 1 and (self._pool is not None or len(pages) >= SMALL_BATCH):
            self.start()
            threading.Thread(target=self._feed, args=(batch,), name="newswatch-feeder", daemon=True).start()
        return batch

    def _feed(self, batch: PageBatch) -> None:
        """Keep IN_FLIGHT pages per spawned worker until the batch has none left to start."""
        pool = self._pool
        if pool is None:
            return
        while True:
            with batch.lock:
                while batch.todo and len(batch.sent) < IN_FLIGHT * (self.workers - 1):
                    i = batch.todo.popleft()
                    try:
                        batch.sent[pool.submit(process_page, batch.pages[i])] = i
                    except RuntimeError as exc:   # shut down (the run is ending) or broken (a worker died)
                        batch.todo.appendleft(i)
                        batch.error = batch.error or exc
                        return
                waiting = list(batch.sent)
            if not waiting:
                return
            self._collect(batch, waiting)

    def _collect(self, batch: PageBatch, waiting: list[Future[dict[str, Any]]]) -> None:
        """Wait for one of `waiting` to finish and keep what finished (the pool is warm from then on)."""
        done, _ = wait(waiting, return_when=FIRST_COMPLETED)
        if batch.record(done):
            self._pool_warm = True

    def results(self, batch: PageBatch) -> list[dict[str, Any]]:
        """The batch's results in page order; this process takes pages too until none is left."""
        while batch.error is None:
            if (i := batch.take()) is not None:
                batch.out[i] = process_page(batch.pages[i])
                continue
            with batch.lock:
                waiting = list(batch.sent)
                # While the spawned workers are still warming up, doing their pages here is faster
                # than waiting for them (the same inputs give the same result wherever they run).
                idle = None if self._pool_warm else next((f for f in waiting if not f.done()), None)
                taken = batch.sent.pop(idle) if idle is not None else None
            if taken is not None:
                batch.out[taken] = process_page(batch.pages[taken])
            elif not waiting:
                break
            else:
                self._collect(batch, waiting)
        if batch.error is not None:
            raise batch.error
        return [batch.out[i] for i in range(len(batch.pages))]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


@contextmanager
def page_processor(workers: int) -> Iterator[PageProcessor]:
    """A PageProcessor closed on exit."""
    proc = PageProcessor(workers)
    try:
        yield proc
    finally:
        proc.close()
