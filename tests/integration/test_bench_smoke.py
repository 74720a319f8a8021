"""The benchmark suite keeps working: a smoke pass (seed pages, one repeat, tiny sizes, no Prefect)
writes the report with every section and the chart. No timing is asserted: benchmarks are not tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import report, run
from newswatch.io.warehouse import ROW_GROUP_ROWS

pytestmark = pytest.mark.slow


def test_smoke_bench_writes_every_section(tmp_path: Path) -> None:
    assert run.main(["--smoke", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "latest.md").read_text(encoding="utf-8")
    for heading in report.HEADINGS:
        assert f"\n{heading}\n" in text, heading
    assert (tmp_path / report.CHART).stat().st_size > 10_000
    data = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert data["mode"] == "smoke"
    # Every measured section produced figures, and the only section left out is the Prefect idle part.
    assert set(data["skipped"]) == {"idle"}
    assert data["e2e"]["workers"]["1"]["counts"]["pages_stored"] == data["pages"]["count"]
    # The limit is stock trafilatura; trafilatura with newswatch's tuning is timed beside it.
    assert data["limit"]["tuning"] == "stock" and data["tuned"]["timing"]["runs_s"]
    assert "trafilatura alone with newswatch's tuning" in text
    assert data["backfill"]["ok"], data["backfill"]
    assert data["backfill"]["stored"] == run.SMOKE_BACKFILL
    written = data["runwrite"]["variants"]
    assert {name: v["rows_per_group"] for name, v in written.items()} == {
        "newswatch": ROW_GROUP_ROWS, "duckdb default": 122_880}
    assert all(set(v["sizes"]) == {"200", "1000"} for v in written.values())
