"""Backfill inputs other than feeds: a folder of saved pages (with JSON sidecars) or a list of URLs.

Both stream in batches: each batch is stored raw (skipping pages stored before, which is what
makes a re-run add nothing and an interrupted run resume), then processed."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newswatch.errors import ConfigError, NewswatchError, RefusedError
from newswatch.io import records
from newswatch.io.http import guard_url
from newswatch.pipeline.collect import compress_raw, page_id
from newswatch.pipeline.context import RunContext

PAGE_SUFFIXES = (".html", ".htm", ".txt")
SIDECAR_KEYS = ("url", "title", "published", "source_id")


def list_pages(directory: Path) -> list[Path]:
    """Saved pages under a folder, in a stable order."""
    if not directory.is_dir():
        raise ConfigError("not a directory", path=str(directory), field="--from-dir")
    return sorted(p for p in directory.rglob("*") if p.suffix.lower() in PAGE_SUFFIXES and p.is_file())


def read_sidecar(page: Path) -> dict[str, Any]:
    """NAME.json beside NAME.html: url, title, published (ISO 8601), source_id; all optional."""
    side = page.with_suffix(".json")
    if not side.exists():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"invalid JSON sidecar: {exc}", path=str(side)) from None
    if not isinstance(data, dict):
        raise ConfigError("expected a JSON object", path=str(side))
    unknown = sorted(set(data) - set(SIDECAR_KEYS))
    if unknown:
        raise ConfigError(f"unknown key (allowed: {', '.join(SIDECAR_KEYS)})", path=str(side), field=unknown[0])
    if data.get("published"):
        try:
            when = datetime.fromisoformat(str(data["published"]).replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError("expected an ISO 8601 date", path=str(side), field="published") from None
        data["published"] = when if when.tzinfo else when.replace(tzinfo=UTC)
    return data


def text_as_html(text: str) -> bytes:
    """A .txt page becomes minimal HTML so that extraction treats every page the same way.

    No <title>: the extractor trims titles at separators ("Irak : le vice-ministre ..." became "Irak"),
    while a sidecar title stored as the page's feed_title reaches the article unchanged."""
    paras = [p.strip() for p in text.splitlines() if p.strip()]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
    return f"<html><head><meta charset='utf-8'></head><body><article>{body}</article></body></html>".encode()


def ingest_dir(ctx: RunContext, files: Sequence[Path], base_dir: Path | None = None) -> int:
    """Store one batch of saved pages raw; returns how many were new."""
    now = ctx.clock()
    rows: list[dict[str, Any]] = []
    bodies: list[bytes] = []
    for path in files:
        side = read_sidecar(path)
        url = str(side.get("url") or path.resolve().as_uri())
        raw = path.read_bytes()
        if path.suffix.lower() == ".txt":
            raw = text_as_html(raw.decode("utf-8", errors="replace"))
        bodies.append(raw)
        rows.append({
            "page_id": page_id(url, base_dir), "url": url, "final_url": url,
            "source_id": str(side.get("source_id") or "backfill-dir"), "content_type": "text/html",
            "http_status": None, "feed_title": side.get("title"), "feed_published_at": side.get("published"),
            "language_hint": None, "fetched_at": now, "status": "pending", "run_id": ctx.run_id,
        })
    for row, packed in zip(rows, compress_raw(bodies), strict=True):
        row["raw"] = packed
    with ctx.warehouse.transaction() as con:
        return records.store_pages(con, rows)


def read_url_list(path: Path) -> list[str]:
    """One URL a line; blank lines and # comments ignored; order kept, duplicates dropped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=str(path), field="--urls") from None
    seen: dict[str, None] = {}
    for n, line in enumerate(lines, 1):
        url = line.strip()
        if not url or url.startswith("#"):
            continue
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"expected an http(s) URL, got {url[:80]!r}", path=str(path), line=n, field="url")
        seen.setdefault(url, None)
    return list(seen)


def ingest_urls(ctx: RunContext, urls: Sequence[str]) -> int:
    """Fetch and store one batch of URLs (skipping those stored before); failures go to fetch_log."""
    now = ctx.clock()
    ids = {u: page_id(u) for u in urls}
    with ctx.warehouse.transaction() as con:
        known = records.known_page_ids(con, list(ids.values()))
    todo = [u for u in urls if ids[u] not in known]
    allowed: list[str] = []
    logs: list[dict[str, Any]] = []
    for u in todo:
        try:
            guard_url(u, allow_private_hosts=ctx.config.settings.allow_private_hosts)
            allowed.append(u)
        except NewswatchError as exc:   # refused, or the host does not resolve (DNS failure)
            logs.append({"run_id": ctx.run_id, "source_id": "backfill-urls", "url": u, "kind": "page",
                         "status": "refused" if isinstance(exc, RefusedError) else "error",
                         "http_status": None, "error": str(exc), "attempts": 0, "fetched_at": now})
    rows: list[dict[str, Any]] = []
    bodies: list[bytes] = []
    for u, res in zip(allowed, ctx.fetcher.fetch_many(allowed), strict=True):
        logs.append({"run_id": ctx.run_id, "source_id": "backfill-urls", "url": u, "kind": "page",
                     "status": res.status, "http_status": res.http_status, "error": res.error,
                     "attempts": res.attempts, "fetched_at": res.fetched_at or now})
        if res.status == "ok" and res.body is not None:
            bodies.append(res.body)
            rows.append({"page_id": ids[u], "url": u, "final_url": res.final_url, "source_id": "backfill-urls",
                         "content_type": res.content_type, "http_status": res.http_status,
                         "feed_title": None, "feed_published_at": None, "language_hint": None,
                         "fetched_at": res.fetched_at or now, "status": "pending", "run_id": ctx.run_id})
    for row, packed in zip(rows, compress_raw(bodies), strict=True):
        row["raw"] = packed
    ctx.counts["errors"] += sum(1 for r in logs if r["status"] in ("error", "refused"))
    ctx.failures.extend(f"{r['url']}: {r['status']}: {r['error']}" for r in logs
                        if r["status"] in ("error", "refused"))
    with ctx.warehouse.transaction() as con:
        new = records.store_pages(con, rows)
        records.insert_fetch_log(con, logs)
    return new


