"""Stage 2, the CPU-heavy part: raw page -> text, language, hashes, signature, meeting detection.

Runs in worker processes, so inputs and outputs are plain picklable dicts and only core/ is used."""

from __future__ import annotations

import multiprocessing
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from newswatch.core.dedupe import article_id, canonical_url, fingerprint, pick_canonical
from newswatch.core.extract import extract
from newswatch.core.language import detect_language
from newswatch.core.meetings import Watch, detect, load_watch
from newswatch.errors import NewswatchError
from newswatch.models import Detection, MeetingInput

SMALL_BATCH = 24   # below this many pages a process pool costs more than it saves


@lru_cache(maxsize=1)
def _watch() -> Watch:
    return load_watch()


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
        raw = zlib.decompress(page["raw"])
        ex = extract(raw, url=page.get("final_url") or page["url"], content_type=page.get("content_type"))
    except NewswatchError as exc:
        return {"page_id": page["page_id"], "error": str(exc)}
    except (zlib.error, ValueError) as exc:
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


@contextmanager
def page_processor(workers: int) -> Iterator[Any]:
    """Yields a function mapping a batch of pages to results; a process pool when workers > 1.

    forkserver, not fork: the parent runs Prefect's threads, and forking a threaded process can
    deadlock. The server preloads our modules once, so each worker starts warm."""
    pool: ProcessPoolExecutor | None = None

    def run(pages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        nonlocal pool
        if workers <= 1 or len(pages) < SMALL_BATCH:
            return [process_page(p) for p in pages]
        if pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["newswatch.pipeline.process"])
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        chunk = max(1, len(pages) // (workers * 4))
        return list(pool.map(process_page, pages, chunksize=chunk))

    try:
        yield run
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
