"""Everything one run needs, built once in a composition root: config, warehouse, fetcher, notifier, clock."""

from __future__ import annotations

import json
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from newswatch.io.http import Fetcher
from newswatch.io.notify import Notifier
from newswatch.io.warehouse import Warehouse
from newswatch.models import Config
from newswatch.pipeline.process import SMALL_BATCH, PageProcessor


def utcnow() -> datetime:
    """The real clock; tests pass their own."""
    return datetime.now(UTC)


@dataclass
class RunContext:
    """One run of `monitor` or `backfill`."""

    config: Config
    warehouse: Warehouse
    fetcher: Fetcher
    notifier: Notifier
    channels: dict[str, str]            # channel id (redacted, stable) -> real Apprise URL
    flow: str                           # monitor | backfill
    run_id: str
    clock: Callable[[], datetime] = utcnow
    alerts_status: str = "pending"      # suppressed for a backfill without --notify-backfill
    workers: int = 1
    counts: Counter[str] = field(default_factory=Counter)
    new_event_ids: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    processor: PageProcessor | None = None   # the run's warm process pool, made when first needed
    rebuilt_events: set[str] = field(default_factory=set)   # a reprocess: events rebuilt so far this run
    pages_coming: int = 0               # new links found by this run's collect so far (early pool start)
    _pool_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def new_links(self, count: int) -> None:
        """Collect found `count` new links to fetch. Once enough are coming for processing to need the
        worker pool, start it, so its start-up (~1 s: spawn, imports, warm-up) overlaps the fetching."""
        with self._pool_lock:
            self.pages_coming += count
            if self.workers > 1 and self.pages_coming >= SMALL_BATCH:
                if self.processor is None:
                    self.processor = PageProcessor(self.workers)
                self.processor.start()

    @property
    def base_dir(self) -> Path:
        return Path(self.config.path).resolve().parent


def new_run_id(flow: str, now: datetime) -> str:
    """Run ids sort by start time; a random tail keeps two runs started together apart."""
    return f"{flow}-{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def parameters_json(**params: object) -> str:
    return json.dumps(params, sort_keys=True, default=str)
