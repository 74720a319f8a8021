"""Named crash points for fault-injection tests: `NEWSWATCH_KILL_AT=name` kills the process there.

A real SIGKILL, not an exception: the tests prove that a run killed at any of these points loses
nothing and duplicates nothing. Unset (always, outside tests) it costs one dictionary lookup."""

from __future__ import annotations

import os
import signal

POINTS = ("pages-stored", "batch-committed", "before-delivery", "alert-sent")


def checkpoint(name: str) -> None:
    """SIGKILL this run's whole process group if the environment asks for it at `name`: the run, its
    extraction workers and the ephemeral Prefect server it started die together, as in a machine
    crash. Tests start such runs in a session of their own (start_new_session=True)."""
    if os.environ.get("NEWSWATCH_KILL_AT") == name:
        os.killpg(os.getpgrp(), signal.SIGKILL)
