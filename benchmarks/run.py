"""`make bench`: run the benchmark sections and write benchmarks/results/latest.md and latest.png.

    .venv/bin/python benchmarks/run.py [--smoke] [--out DIR] [--repeats N] [--backfill-pages N]
                                       [--only throughput,stages,growth,idle] [--pages news|real]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):   # run as a script (make bench): make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import report
from benchmarks.common import REPO, TUNED, Timing, load_pages, machine

SECTIONS = ("throughput", "stages", "growth", "idle")
FULL_BACKFILL = 100_000
SMOKE_BACKFILL = 300


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true",
                    help="seed pages only, 1 repeat, tiny sizes, no Prefect idle part (CI keeps it working)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results", help="where latest.md goes")
    ap.add_argument("--repeats", type=int, default=None, help="runs per figure; the median is reported (3)")
    ap.add_argument("--backfill-pages", type=int, default=None,
                    help=f"pages of the synthetic backfill ({FULL_BACKFILL:,}; smoke {SMOKE_BACKFILL})")
    ap.add_argument("--only", default=None,
                    help=f"comma-separated sections to run: {', '.join(SECTIONS)} (default: all)")
    ap.add_argument("--pages", choices=("news", "real"), default="news",
                    help="corpus pages: news (news_article true) or every real page; one per URL either way")
    ap.add_argument("--no-profile", action="store_true", help="skip the cProfile pass of the end-to-end run")
    return ap.parse_args(argv)


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Timing):
        return value.as_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if k != "top"}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    only = set(SECTIONS) if not args.only else {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        print(f"benchmarks/run.py: unknown section(s) {sorted(unknown)}; choose from {', '.join(SECTIONS)}",
              file=sys.stderr)
        return 2
    smoke = args.smoke
    repeats = args.repeats or (1 if smoke else 3)
    backfill_pages = args.backfill_pages or (SMOKE_BACKFILL if smoke else FULL_BACKFILL)
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"argv": list(argv if argv is not None else sys.argv[1:]), "mode": "smoke" if smoke
                           else "full", "repeats": repeats, "machine": machine(), "skipped": {}}
    for section in SECTIONS:
        if section not in only:
            res["skipped"][section] = f"not selected (--only {args.only})"
    if smoke and "idle" in only:
        res["skipped"]["idle"] = "smoke mode skips the Prefect idle part"
        only.discard("idle")

    pages = load_pages(smoke=smoke, selection=args.pages)
    sizes = [len(p.data) for p in pages.pages]
    res["pages"] = {"label": pages.label, "count": len(sizes), "mb": sum(sizes) / 2**20,
                    "mean_kb": sum(sizes) / len(sizes) / 1024, "max_kb": max(sizes) / 1024}
    _log(pages.label)

    if "throughput" in only:
        from benchmarks import bench_e2e, bench_limit, bench_newspaper

        _log("the limit (bare trafilatura), end to end with 1 and 2 workers and newspaper4k, in rounds")
        limit_pass, limit_meta = bench_limit.prepare(pages)
        tuned_pass, _ = bench_limit.prepare(pages, tuning="newswatch")
        paper = bench_newspaper.Session(pages)
        try:
            others = {"newspaper4k": paper.once} if paper.ok else {}
            others[TUNED] = tuned_pass
            res["e2e"] = bench_e2e.run(pages, repeats=repeats, limit=limit_pass, others=others)
        finally:
            res["newspaper"] = paper.close()
        res["limit"] = {**limit_meta, "timing": Timing(limit_meta["items"], res["e2e"].pop("limit_s"))}
        res["tuned"] = {"timing": Timing(limit_meta["items"], res["e2e"]["others_s"].pop(TUNED))}
        _log(f"  the limit: {res['limit']['timing'].rate:.1f} docs/s; tuned "
             f"{res['tuned']['timing'].rate:.1f}")
        for w, row in res["e2e"]["workers"].items():
            _log(f"  {w} worker(s): {row['timing'].rate:.1f} docs/s; x limit by round {row['round_ratios']}; "
                 f"x newspaper4k by round {row['vs_others'].get('newspaper4k')}")
        if res["newspaper"].get("ok"):
            res["newspaper"]["timing"] = Timing(res["newspaper"]["items"], res["newspaper"]["runs_s"])
            _log(f"  newspaper4k: {res['newspaper']['timing'].rate:.1f} docs/s")
        else:
            _log(f"  newspaper4k not run: {res['newspaper']['reason']}")
        _log("page processing on a warm pool, 1 and 2 workers")
        res["pool"] = bench_e2e.pool(pages, repeats=repeats)
        _log(f"  1 worker {res['pool'][1].rate:.1f}, 2 workers {res['pool'][2].rate:.1f} docs/s "
             f"({res['pool']['ratio']:.2f}x; cold start {res['pool']['cold_s']} s)")
        if not args.no_profile:
            _log("cProfile of one end-to-end pass")
            res["profile"] = bench_e2e.profile(pages, out_dir / "profile_e2e.txt")

    if "stages" in only or "growth" in only:
        from benchmarks import bench_growth

        _log("dedupe lookup growth (bench_dedupe.run)")
        res["dedupe"] = bench_growth.dedupe_growth(smoke)
    if "stages" in only:
        from benchmarks import bench_stages

        _log("per stage")
        res["stages"] = bench_stages.run(pages, smoke=smoke, repeats=repeats, dedupe=res.get("dedupe"))
    if "growth" in only:
        from benchmarks import bench_growth, bench_runwrite

        _log("a monitor run's write and end checkpoint as the warehouse grows (bench_runwrite.run)")
        res["runwrite"] = bench_runwrite.run(smoke=smoke)
        for name, v in res["runwrite"]["variants"].items():
            _log(f"  {name}: " + ", ".join(f"{size:,}: checkpoint {row['checkpoint_s']} s"
                                           for size, row in v["sizes"].items()))
        _log(f"synthetic backfill of {backfill_pages:,} pages (peak memory)")
        res["backfill"] = bench_growth.backfill(backfill_pages)
        _log(f"  {res['backfill']}")
    if "idle" in only:
        from benchmarks import bench_idle

        _log("idle cost under the Prefect test harness")
        res["idle"] = bench_idle.run(pages.pages[0].data, repeats)

    md = out_dir / "latest.md"
    md.write_text(report.render(res), encoding="utf-8")
    report.chart(res, out_dir / report.CHART)
    (out_dir / "latest.json").write_text(json.dumps(_jsonable(res), indent=1, sort_keys=True) + "\n",
                                         encoding="utf-8")
    _log(f"wrote {md} and {out_dir / report.CHART}")
    for name, value, target, ok in report.targets(res):
        _log(f"  {name}: {value} (target {target}) {report.verdict(ok).strip('*')}")
    return 0


if __name__ == "__main__":
    # Prefect's per-run INFO lines would drown the progress output; the idle figures are unaffected
    # (both flows log alike). Analytics off, as in the Makefile. Set here, not at import, so that
    # importing main() from a test changes nothing in the test process.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    raise SystemExit(main())
