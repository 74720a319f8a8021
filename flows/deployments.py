"""Deployments, declared once: `newswatch serve` serves them; prefect.yaml mirrors them for work pools."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flows.monitor import monitor

DEFAULT_CRON = "*/15 * * * *"


def monitor_deployment(*, sources: str | Path, warehouse: str | Path, cron: str | None = None,
                       interval: float | None = None, lock_timeout: float = 60.0) -> Any:
    """The scheduled `monitor` deployment. Channel URLs are NOT parameters (they would be stored in
    the Prefect database): the served runs read them from $NEWSWATCH_NOTIFY in their environment."""
    schedule: dict[str, Any] = ({"interval": timedelta(seconds=interval)} if interval
                                else {"cron": cron or DEFAULT_CRON})
    return monitor.to_deployment(
        name="newswatch-monitor",
        parameters={"sources": str(Path(sources).resolve()), "warehouse": str(Path(warehouse).resolve()),
                    "lock_timeout": lock_timeout},
        description="One monitoring pass over sources.yaml into the DuckDB warehouse, then alerts.",
        tags=["newswatch"],
        # Runs never overlap: a slow pass makes the next one wait rather than fight for the file lock.
        concurrency_limit=1,
        **schedule,
    )
