"""Named crash points for fault-injection tests: `NEWSWATCH_KILL_AT=name` kills the process there.

A real SIGKILL, not an exception: the tests prove that a run killed at any of these points loses
nothing and duplicates nothing. Unset (always, outside tests) it costs one dictionary lookup."""

from __future__ import annotations

import os
import signal

POINTS = ("pages-stored", "batch-committed", "before-delivery")


def checkpoint(name: str) -> None:
    """Kill this process with SIGKILL if the environment asks for it at `name`."""
    if os.environ.get("NEWSWATCH_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
