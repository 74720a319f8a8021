"""Shared fixtures: the Prefect test harness, a copy of the seed project, paths to ../shared."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
CORPUS = SHARED / "corpus"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One real (temporary) Prefect server and database for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def seed_project(tmp_path: Path) -> Path:
    """A copy of sources.yaml and seeds/ in a temp folder, so runs write their own warehouse."""
    shutil.copy(REPO / "sources.yaml", tmp_path / "sources.yaml")
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    return tmp_path


@pytest.fixture
def corpus() -> Path:
    if not (CORPUS / "html" / "manifest.json").exists():
        pytest.skip("../shared/corpus is absent")
    return CORPUS


# ---- figures: what passing tests print (counts, precision/recall, faults and kills survived) is
# repeated at the end of the run, so `make test` / CI output shows it without `-s`.

_FIGURES: list[tuple[str, list[str]]] = []
_LOG_LINE = ("| INFO", "| WARNING", "| ERROR", "| DEBUG")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" or not report.passed or not report.capstdout:
        return
    lines = [line.rstrip() for line in report.capstdout.splitlines()
             if line.strip() and not any(tag in line for tag in _LOG_LINE)]
    if lines:
        _FIGURES.append((report.nodeid, lines))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("figures printed by passing tests")
    for nodeid, lines in _FIGURES:
        terminalreporter.write_line(nodeid)
        for line in lines:
            terminalreporter.write_line(f"    {line}")
