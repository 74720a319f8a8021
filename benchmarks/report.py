"""Turn the benchmark results into benchmarks/results/latest.md and one PNG chart."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import TUNED, Timing

HEADINGS = (
    "## Machine and versions",
    "## Pages",
    "## Throughput: the limit, newswatch end to end, newspaper4k",
    "## Per stage",
    "## Growth",
    "## Idle cost",
    "## Targets",
)
CHART = "latest.png"

TARGET_E2E_1 = 0.8        # newswatch with one worker, as a share of bare trafilatura
TARGET_E2E_2 = 1.6        # with two workers
TARGET_VS_NEWSPAPER = 3.0
TARGET_APPEND = 20_000    # rows/s
TARGET_PEAK_MB = 1536     # 1.5 GB
TARGET_IDLE_S = 1.0
TARGET_POOL = 1.6         # 2 workers vs 1 on a warm pool (issue: running it for real)


def num(x: float) -> str:
    """Three significant digits, no scientific notation for the sizes we print."""
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}" if x >= 0.1 else f"{x:.3g}"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "**missed**")


def _runs(t: Timing) -> str:
    return ", ".join(f"{s:.2f}" for s in t.seconds)


def _not_run(res: dict[str, Any], key: str) -> str | None:
    if key in res.get("skipped", {}):
        return f"Not run: {res['skipped'][key]}."
    return None


def render(res: dict[str, Any]) -> str:
    """The whole Markdown report."""
    m = res["machine"]
    lines = ["# newswatch benchmarks", "",
             f"Written {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by "
             f"`{' '.join(['benchmarks/run.py', *res['argv']])}`.",
             f"Mode: **{res['mode']}**; every figure is the median of **{res['repeats']}** run(s) "
             "unless said otherwise. Throughputs are compared as ratios measured in this same run.", "",
             f"Chart: [{CHART}]({CHART})", ""]
    lines += [HEADINGS[0], "", f"- cores (os.cpu_count): {m['cores']}; platform: {m['platform']} ({m['processor']})",
              f"- python {m['python']}; " + "; ".join(f"{k} {v}" for k, v in m["versions"].items()), ""]
    lines += [HEADINGS[1], ""]
    if "pages" in res:
        p = res["pages"]
        lines += [f"- {p['label']}", f"- {p['count']} pages, {p['mb']:.1f} MB of HTML "
                  f"(mean {p['mean_kb']:.0f} kB, largest {p['max_kb']:.0f} kB)", ""]
    lines += _throughput(res) + _stages(res) + _growth(res) + _idle(res) + _targets(res)
    return "\n".join(lines) + "\n"


def _throughput(res: dict[str, Any]) -> list[str]:
    out = [HEADINGS[2], ""]
    note = _not_run(res, "throughput")
    if note:
        return [*out, note, ""]
    limit = res["limit"]
    base = limit["timing"].rate
    out += ["| what | docs/s | median s | runs (s) | ratio | target |", "|---|---|---|---|---|---|",
            f"| trafilatura alone, one process (**the limit**) | {num(base)} | {limit['timing'].median_s:.2f} | "
            f"{_runs(limit['timing'])} | 1.00 | |"]
    tuned = res.get("tuned")
    if tuned:
        t = tuned["timing"]
        out.append(f"| trafilatura alone with newswatch's tuning, one process | {num(t.rate)} | "
                   f"{t.median_s:.2f} | {_runs(t)} | {t.rate / base:.2f} x limit | |")
    e2e = res["e2e"]["workers"]
    for w, target in ((1, TARGET_E2E_1), (2, TARGET_E2E_2)):
        if w in e2e:
            t = e2e[w]["timing"]
            ratio = e2e_ratio(e2e[w], base)
            out.append(f"| newswatch end to end, {w} worker{'s' if w > 1 else ''} | {num(t.rate)} | "
                       f"{t.median_s:.2f} | {_runs(t)} | {ratio:.2f} x limit | >= {target} "
                       f"{verdict(ratio >= target)} |")
    pool = res.get("pool")
    if pool:
        for w in (1, 2):
            t = pool[w]
            note = (f"{pool['ratio']:.2f} x 1 worker" if w == 2 else f"{t.rate / base:.2f} x limit")
            goal = f">= {TARGET_POOL} x 1 worker {verdict(pool['ratio'] >= TARGET_POOL)}" if w == 2 else ""
            out.append(f"| page processing on a warm pool, {w} worker{'s' if w > 1 else ''} | {num(t.rate)} | "
                       f"{t.median_s:.2f} | {_runs(t)} | {note} | {goal} |")
    np_res = res["newspaper"]
    if np_res.get("ok"):
        t = np_res["timing"]
        vs = "; ".join(f"newswatch ({w} worker{'s' if w > 1 else ''}) is {vs_newspaper(row, t.rate):.2f} x "
                       f"{verdict(vs_newspaper(row, t.rate) >= TARGET_VS_NEWSPAPER)}" for w, row in e2e.items())
        out.append(f"| newspaper4k, one process | {num(t.rate)} | {t.median_s:.2f} | {_runs(t)} | {vs} | "
                   f">= {TARGET_VS_NEWSPAPER} |")
    out.append("")
    if pool:
        out.append(f"- Page processing on a warm pool: `PageProcessor` (extract, language, signature, meeting "
                   f"detection; what each batch of a run or backfill does) over the same {pool['pages']} pages "
                   f"read back from the warehouse, as one batch. 1 worker runs in this process; 2 workers are "
                   f"this process and one spawned worker, whose first batch (this process works while the "
                   f"spawned worker starts and warms up) is timed apart: {pool['cold_s']} s cold, so a run pays "
                   f"it once and a long backfill amortises it.")
    out += [f"- The limit: `{limit['call']}`, the options captured from `core/extract.py` at run time "
            f"({limit['options']}). Pages are decoded to str beforehand, untimed, with "
            f"`core.extract.decode_html`, so the limit is trafilatura's work alone. {limit['empty']} page(s) "
            "gave no text. The limit is stock trafilatura: while it is timed, trafilatura is as installed. "
            "newswatch tunes it (`core/tuning.py`): its parser gets a C element class lookup instead of "
            "lxml.html's Python one, the search for categories, tags and a license, which newswatch "
            "does not keep, is off, each EXSLT re:test term of its XPath expressions is guarded by the "
            "attribute it tests (no Python call for an element without it), and each step "
            "`.//*[self::a or self::b][P]` whose predicates are not positional is the union "
            "`(descendant::a[P] | descendant::b[P])` (names matched as libxml2 walks the tree); the same "
            "elements are selected on all 378 corpus pages. Every field newswatch keeps is the same on "
            "the corpus's 342 real pages (`tests/unit/test_tuning.py`). The row below the limit times "
            "trafilatura tuned so, and the end-to-end ratios to that row (by round, below) are "
            "newswatch's own overhead.",
            "- End to end: the pages written to a temp folder, a local RSS feed linking them by relative path, "
            "`runner.open_run` (not timed) then, as the monitor flow does, on one warehouse connection held "
            "for the run, `runner.feed_states` -> `collect.collect_source` -> `runner.process_pending` -> "
            "`runner.finish_run`, timed from collect to finish, a fresh DuckDB file each run, no Prefect. "
            f"One untimed 1-worker pass first ({res['e2e'].get('warmup_s', '?')} s) pays this process's "
            "first-use costs (dateparser locales, langdetect profiles, the watch); the 2-worker runs' worker "
            "processes are new on every run (a pool per `process_pending`) and pay them each time.",
            "- Ratios are medians of per-round ratios: each round times one pass of the limit, one "
            "end-to-end pass per worker count, one pass of newspaper4k and one of tuned trafilatura, "
            "back to back, in an order turned by one place each round (this machine's speed drifts "
            "by 10-30 % over minutes, so medians taken minutes apart would compare different machines)."]
    if res["e2e"].get("orders"):
        out.append(f"  - order of the rounds: {' | '.join(', '.join(o) for o in res['e2e']['orders'])}")
    for w, row in e2e.items():
        c = row["counts"]
        if row.get("round_ratios"):
            out.append(f"  - {w} worker(s), x limit by round: {', '.join(f'{r:.2f}' for r in row['round_ratios'])}")
        if (row.get("vs_others") or {}).get(TUNED):
            out.append(f"  - {w} worker(s), x tuned trafilatura by round: "
                       f"{', '.join(f'{r:.2f}' for r in row['vs_others'][TUNED])} (median "
                       f"{statistics.median(row['vs_others'][TUNED]):.2f})")
        if (row.get("vs_others") or {}).get("newspaper4k"):
            out.append(f"  - {w} worker(s), x newspaper4k by round: "
                       f"{', '.join(f'{r:.2f}' for r in row['vs_others']['newspaper4k'])}")
        out.append(f"  - {w} worker(s), last run: {c['entries']} feed entries, {c['pages_stored']} pages stored, "
                   f"{c['articles_new']} new articles, {c['duplicates']} duplicates, {c['pages_failed']} "
                   f"failed pages, {c['events_new']} new meetings.")
    if np_res.get("ok"):
        out.append(f"- newspaper4k {np_res['version']}: `Article(url, config)`, `download(input_html=html)`, "
                   f"`parse()` on the same pages decoded beforehand (untimed) by `core.extract.decode_html`, "
                   f"{np_res['config']}. Network attempts seen: {np_res['network_attempts']}. "
                   f"{np_res['failed']} page(s) raised, {np_res['empty']} gave no text"
                   + (f" (first error: {np_res['errors'][0]})" if np_res.get("errors") else "") + ".")
    else:
        out.append(f"- newspaper4k could not run: {np_res.get('reason')}")
    prof = res.get("profile")
    if prof:
        total = prof["elapsed_s"]
        out += ["", "### Where the end-to-end time goes (cProfile, one extra 1-worker pass, not timed above)", "",
                f"Profiled pass: {total:.2f} s (cProfile slows Python code down). Cumulative seconds, "
                "nested rows included in their parents:", "",
                "| function | cumulative s | share | calls |", "|---|---|---|---|"]
        for row in prof["rows"]:
            if row["calls"]:
                out.append(f"| {row['label']} | {row['cum_s']:.2f} | {100 * row['cum_s'] / total:.0f}% | "
                           f"{row['calls']} |")
        out += ["", "Top functions by own time are in `profile_e2e.txt` beside this file."]
    return [*out, ""]


def stage_rows(res: dict[str, Any]) -> list[tuple[str, str, float, float | None, str]]:
    """(stage, unit, rate, median s, note) for each per-stage figure measured."""
    st = res["stages"]
    rows: list[tuple[str, str, float, float | None, str]] = []
    f = st["feeds"]
    rows.append(("feed parsing (`core.feeds.parse_feed`)", "entries/s", f["timing"].rate, f["timing"].median_s,
                 f"{f['label']}; {f['entries']} entries, {num(f['feeds_per_s'])} feeds/s, "
                 f"{f['refused_feeds']} feed(s) rejected with FeedError"))
    e = st["extract"]
    rows.append(("extraction (`core.extract.extract`)", "docs/s", e["timing"].rate, e["timing"].median_s,
                 f"{e['extracted']} pages extracted, {e['empty']} empty"))
    la = st["language"]
    top = ", ".join(f"{k} {v}" for k, v in list(la["languages"].items())[:6])
    rows.append(("language (`core.language.detect_language`)", "docs/s", la["timing"].rate, la["timing"].median_s,
                 f"on the extracted texts; {top}"))
    s = st["signature"]
    rows.append(("dedupe signature (`dedupe.fingerprint`)", "docs/s", s["timing"].rate,
                 s["timing"].median_s, "MinHash of each extracted text"))
    d = st.get("dedupe")
    if d and d.get("ok"):
        sizes = {int(k): v for k, v in d["sizes"].items()}
        size = max(k for k in sizes if k <= 10_000) if any(k <= 10_000 for k in sizes) else min(sizes)
        ms = sizes[size]["ms_per_article"]
        rows.append(("dedupe lookup (`stories.lookup_candidates` + `assign_stories`)", "docs/s", 1000 / ms, None,
                     f"`bench_dedupe.run()`: batches of {d['batch']} against {size:,} stored articles"))
    me = st["meetings"]
    rows.append(("meeting detection (`core.meetings.detect`)", "docs/s", me["timing"].rate, me["timing"].median_s,
                 f"{me['detections']} detection(s) among the extracted texts"))
    a = st["append"]
    rows.append(("warehouse append (`records.insert_articles`)", "rows/s", a["timing"].rate, a["timing"].median_s,
                 f"{a['timing'].items:,} synthetic rows ({a['text_kb']} kB text each), {a['batch']:,} rows per "
                 "`Warehouse.transaction()` on a held connection (as a backfill writes: "
                 "`settings.backfill_write_rows`), timed until every row is in the database file: DuckDB's "
                 "automatic checkpoints"
                 + (f" (newswatch's threshold, {a['auto_checkpoint_mb']} MB of log)" if "auto_checkpoint_mb" in a
                    else "") + " and a final CHECKPOINT included; "
                 f"target >= {TARGET_APPEND:,} {verdict(a['timing'].rate >= TARGET_APPEND)}. For reference"
                 + (f", {a['monitor_batch']} rows per transaction (a monitor run's batch of pages): "
                    f"{num(a['monitor'].rate)} rows/s" if "monitor" in a else "")
                 + (f", DuckDB's default threshold (16 MB): {num(a['duckdb_default_threshold'].rate)} rows/s"
                    if "duckdb_default_threshold" in a else "")
                 + f"; a connection per batch: {num(a['connection_per_batch'].rate)} rows/s (opening replays "
                 "DuckDB's write-ahead log)." + _deferred(a) + _real_texts(a)))
    sp = st.get("store_pages")
    if sp:
        rows.append(("page store (`records.store_pages` + `pending_pages` + `mark_pages`)", "pages/s",
                     sp["timing"].rate, sp["timing"].median_s,
                     f"{sp['timing'].items:,} pages with real bodies ({sp['body_kb']} kB zstd each, "
                     f"{sp['body_mb']:,} MB) into one file, batches of {sp['batch']} on a held connection: "
                     f"a batch took {sp['first_batches_s']:.3f} s in the first tenth, {sp['last_batches_s']:.3f} s "
                     f"in the last (max {sp['max_batch_s']:.2f} s); file {sp['file_mb']:,} MB"))
    return rows


def _real_texts(a: dict[str, Any]) -> str:
    """The append note's sentence on the same rows carrying the corpus's extracted texts."""
    if "real_texts" not in a:
        return ""
    return (f"; with the corpus's {a['real_text_count']} extracted texts instead (cycled, "
            f"{a['real_text_kb']} kB each): {num(a['real_texts'].rate)} rows/s. DuckDB's choice for the "
            f"text column's segments, last run of each: synthetic text {_segments(a['text_segments'])}, "
            f"the extracted texts {_segments(a['real_text_segments'])}")


def _segments(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "none"


def _deferred(a: dict[str, Any]) -> str:
    t = a.get("no_checkpoint")
    if t is None:
        return ""
    return (f" The inserts alone, no checkpoint: {num(t.rate)} rows/s, then one CHECKPOINT "
            f"{a['final_checkpoint_s']:.2f} s. Each checkpoint also rewrites the last row group of a table "
            "with an index (`articles` has its primary key)" + (f", up to {a['rows_per_group']:,} rows"
                                                                if a.get("rows_per_group") else "")
            + ", so fewer checkpoints cost less")


def _stages(res: dict[str, Any]) -> list[str]:
    out = [HEADINGS[3], ""]
    note = _not_run(res, "stages")
    if note:
        return [*out, note, ""]
    rows = stage_rows(res)
    out += ["| stage | items/s | median s | notes |", "|---|---|---|---|"]
    for name, unit, rate, med, note_ in rows:
        out.append(f"| {name} | {num(rate)} {unit} | {'' if med is None else f'{med:.3f}'} | {note_} |")
    slow = min(rows, key=lambda r: r[2])
    out += ["", f"**Slowest stage: {slow[0]}**, {num(slow[2])} {slow[1]} (each figure is per article, "
            "so they compare directly; the dedupe lookup is one stage of the batch write)."]
    d = res["stages"].get("dedupe")
    if d is not None and not d.get("ok"):
        out.append(f"Dedupe lookup not measured: {d.get('reason')}")
    return [*out, ""]


def _growth(res: dict[str, Any]) -> list[str]:
    out = [HEADINGS[4], ""]
    note = _not_run(res, "growth")
    if note:
        return [*out, note, ""]
    d = res.get("dedupe")
    out += ["### Dedupe lookup per article as the warehouse grows", ""]
    if d and d.get("ok"):
        out += ["| stored articles | ms per article | first batch on a fresh connection, ms per article | build s "
                "| duplicates found | false duplicates |", "|---|---|---|---|---|---|"]
        for size, row in d["sizes"].items():
            out.append(f"| {int(size):,} | {row['ms_per_article']} | {row.get('cold_ms_per_article', '')} | "
                       f"{row['build_s']} | {row['duplicates_found']} | {row['false_duplicates']} |")
        out += ["", f"Cost ratio {d['ratio_of']}: {d['ratio']} (flat is good; target <= 1.3). Batches of {d['batch']}; "
                f"{d.get('rounds', 1)} connections per size taken in turn, each timing its first batch and "
                f"{d['repeats']} more (medians). The first batch of a connection reads the index from disk, "
                f"a cost that grows with the warehouse (ratio {d.get('cold_ratio', '?')}); runs hold one "
                f"connection across batches for up to 10 s, so a backfill pays it once per 10 s and a "
                f"monitor run once. signature() costs {d['signature_ms_per_4kb']} ms per 4 kB text.", ""]
    else:
        out += [f"Not measured: {(d or {}).get('reason', 'bench_dedupe unavailable')}", ""]
    out += _runwrite(res.get("runwrite"))
    b = res.get("backfill")
    out += ["### Peak memory of a synthetic backfill", ""]
    if b and b.get("ok"):
        out += [f"- {b['pages']:,} small synthetic pages ({b['html_mb']} MB of HTML, ~2.5 kB each; every "
                f"50th a near-duplicate), `backfill.ingest_dir` + `runner.process_pending` in batches of 200 as "
                f"the backfill flow does, {b['workers']} workers, no Prefect, in a child process.",
                f"- **Peak RSS of the whole process tree: {b['peak_tree_rss_mb']:,} MB** (sum over the backfill "
                f"process and its extraction workers, sampled every 100 ms from /proc); target < 1.5 GB "
                f"{verdict(b['peak_tree_rss_mb'] < TARGET_PEAK_MB)}. Upper bound between samples (each "
                f"process's own peak, VmHWM, summed as if all peaked at once): {b['peak_tree_hwm_mb']:,} MB. "
                f"Backfill process alone: {b['peak_main_rss_mb']:,} MB (VmHWM).",
                f"- Time: {b['elapsed_s']:,} s, {b['pages_per_s']} pages/s ({b['articles_new']:,} new articles, "
                f"{b['duplicates']:,} duplicates, {b['pages_failed']} failed). A 200-page batch took "
                f"{b['batch_s_first_tenth']} s in the first tenth of the run and {b['batch_s_last_tenth']} s in "
                f"the last tenth (time from one chunk stored to the next: batches overlap, pipelined). "
                f"Warehouse file: {b['warehouse_mb']} MB.",
                f"- Page count used: {b['pages']:,}" + (" (the full 100,000)." if b["pages"] >= 100_000 else
                                                       " (less than the 100,000 of the full benchmark; "
                                                       "see `--backfill-pages`)."), ""]
    else:
        out += [f"Not measured: {(b or {}).get('reason', 'not run')}", ""]
    return out


def _runwrite(w: dict[str, Any] | None) -> list[str]:
    """A monitor run's write and end checkpoint at each size, newswatch's row groups next to DuckDB's."""
    out = ["### A monitor run's write as the warehouse grows", ""]
    if not w:
        return [*out, "Not measured.", ""]
    variants = list(w["variants"].items())
    head = "| stored articles | " + " | ".join(
        f"{name} ({v['rows_per_group']:,} rows a row group): batch s / end checkpoint s / MB written"
        for name, v in variants) + " |"
    out += [head, "|---|" + "---|" * len(variants)]
    for size in variants[0][1]["sizes"]:
        cells = []
        for _name, v in variants:
            row = v["sizes"][size]
            cells.append(f"{row['write_s']} / {row['checkpoint_s']} / {row['written_mb']}")
        out.append(f"| {int(size):,} | " + " | ".join(cells) + " |")
    files = "; ".join(f"{name}: {v['build_s']} s to fill, file "
                      f"{list(v['sizes'].values())[-1]['file_mb']:,} MB" for name, v in variants)
    out += ["", f"Each run: a Warehouse opened afresh, one transaction of {w['run_articles']} articles "
            f"(~{w['text_kb']} kB of text each) with their signatures and LSH buckets "
            f"(`records.insert_articles` + `stories.store_signatures`), then the end checkpoint "
            f"(`checkpoint_if_long`, forced); medians of {w['rounds']} runs per size; MB written: bytes the "
            f"process passed to write calls (/proc/self/io). DuckDB 1.5 rewrites the whole last row group "
            f"of a table with an index at every checkpoint, so the row group size bounds what a run's "
            f"checkpoint rewrites. {files}.", ""]
    seq = variants[0][1].get("sequence")
    if seq:
        size = list(variants[0][1]["sizes"])[-1]
        out += [f"Run-end checkpoints over {next(iter(seq.values()))['runs']} consecutive runs at "
                f"{int(size):,} stored articles, {variants[0][0]}'s row groups (each run: a fresh open, "
                f"{w['run_articles']} pages stored with 48 kB bodies, their articles written, then "
                f"`checkpoint_if_long`):", "",
                "| run-end policy | checkpoints at a run's end | end checkpoints, total s | slowest run's end, s "
                "| whole runs (open, writes with DuckDB's own checkpoints, end), total s |",
                "|---|---|---|---|---|"]
        out += [f"| {name} | {r['checkpoints']} of {r['runs']} | {r['end_s_total']} | {r['end_s_max']} "
                f"| {r['run_s_total']} |" for name, r in seq.items()]
        out.append("")
    return out


def _idle(res: dict[str, Any]) -> list[str]:
    out = [HEADINGS[5], ""]
    note = _not_run(res, "idle")
    if note:
        return [*out, note, ""]
    i = res["idle"]
    out += ["| flow | median s | runs (s) |", "|---|---|---|",
            f"| `monitor`, every feed answers 304 ({i['feeds']} feeds on loopback) | {i['monitor_median_s']:.2f} | "
            f"{', '.join(map(str, i['monitor_runs_s']))} |",
            f"| empty `@flow` | {i['empty_median_s']:.2f} | {', '.join(map(str, i['empty_runs_s']))} |",
            *_idle_many(i), "",
            f"**Idle overhead: {i['overhead_s']:.2f} s** over an empty flow; target within {TARGET_IDLE_S:g} s "
            f"{verdict(i['overhead_s'] <= TARGET_IDLE_S)}.",
            f"- Both under one `prefect_test_harness()` (started once, {i['harness_start_s']} s, not counted); "
            f"first (200) monitor run {i['first_monitor_s']} s and first empty run {i['first_empty_s']} s are "
            "warm-ups, not counted; measured runs interleaved.",
            f"- HTTP statuses served during the measured runs: {i['http_measured_runs']}; feed rows in fetch_log "
            f"by status: {i['fetch_log_feed_statuses']}.", ""]
    return out


def _idle_many(i: dict[str, Any]) -> list[str]:
    """The same idle run over many feeds (no target: it shows what each feed adds)."""
    m = i.get("many")
    if not m:
        return []
    per_feed_ms = (m["monitor_median_s"] - i["monitor_median_s"]) / (m["feeds"] - i["feeds"]) * 1000
    return [f"| `monitor`, every feed answers 304 ({m['feeds']} feeds on loopback) | {m['monitor_median_s']:.2f} | "
            f"{', '.join(map(str, m['monitor_runs_s']))} |",
            f"| empty `@flow`, each right after a {m['feeds']}-feed run (Prefect still recording its tasks) | "
            f"{m['empty_median_s']:.2f} | {', '.join(map(str, m['empty_runs_s']))} |",
            f"| each feed beyond the first {i['feeds']} (a collect task, a 304, a fetch_log row) | "
            f"{per_feed_ms:.1f} ms | |"]


def e2e_ratio(row: dict[str, Any], limit_rate: float) -> float:
    """End to end over the limit: the median of the per-round ratios (each round runs the limit and
    then the end-to-end passes back to back), or the ratio of the medians for older results."""
    if row.get("round_ratios"):
        return float(statistics.median(row["round_ratios"]))
    return float(row["timing"].rate / limit_rate)


def vs_newspaper(row: dict[str, Any], newspaper_rate: float) -> float:
    """newswatch docs/s over newspaper4k's: the median of per-round ratios when they were timed in the
    same rounds, or the ratio of the medians for older results."""
    rounds = (row.get("vs_others") or {}).get("newspaper4k")
    if rounds:
        return float(statistics.median(rounds))
    return float(row["timing"].rate / newspaper_rate)


def targets(res: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(figure, value, target, met) for every target that was measured."""
    rows: list[tuple[str, str, str, bool | None]] = []
    if "limit" in res and "e2e" in res:
        base = res["limit"]["timing"].rate
        for w, target in ((1, TARGET_E2E_1), (2, TARGET_E2E_2)):
            if w in res["e2e"]["workers"]:
                r = e2e_ratio(res["e2e"]["workers"][w], base)
                rows.append((f"end to end, {w} worker(s) / limit", f"{r:.2f}", f">= {target}", r >= target))
        if res.get("pool"):
            r = res["pool"]["ratio"]
            rows.append(("page processing, warm pool, 2 workers / 1 worker", f"{r:.2f}", f">= {TARGET_POOL}",
                         r >= TARGET_POOL))
        if res["newspaper"].get("ok"):
            for w, row in res["e2e"]["workers"].items():
                r = vs_newspaper(row, res["newspaper"]["timing"].rate)
                rows.append((f"end to end ({w} worker(s)) / newspaper4k", f"{r:.2f}", f">= {TARGET_VS_NEWSPAPER}",
                             r >= TARGET_VS_NEWSPAPER))
    if "stages" in res:
        a = res["stages"]["append"]["timing"].rate
        rows.append(("warehouse append, rows/s", f"{a:,.0f}", f">= {TARGET_APPEND:,}", a >= TARGET_APPEND))
    d = res.get("dedupe")
    if d and d.get("ok"):
        rows.append((f"dedupe lookup cost ratio {d['ratio_of']}", f"{d['ratio']}", "flat (<= 1.3)", d["ratio"] <= 1.3))
    b = res.get("backfill")
    if b and b.get("ok"):
        rows.append((f"backfill peak RSS ({b['pages']:,} pages)", f"{b['peak_tree_rss_mb']:,} MB", "< 1.5 GB",
                     b["peak_tree_rss_mb"] < TARGET_PEAK_MB))
    if "idle" in res:
        o = res["idle"]["overhead_s"]
        rows.append(("idle run overhead over an empty flow", f"{o:.2f} s", f"<= {TARGET_IDLE_S:g} s",
                     o <= TARGET_IDLE_S))
    return rows


def _targets(res: dict[str, Any]) -> list[str]:
    out = [HEADINGS[6], "", "| figure | value | target | |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {verdict(ok)} |" for a, b, c, ok in targets(res)]
    return [*out, ""]


def chart(res: dict[str, Any], path: Path) -> None:
    """Throughput bars, per-stage rates (log scale) and dedupe growth, in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2))
    ax = axes[0]
    if "limit" in res:
        names = ["trafilatura\n(the limit)"]
        vals = [res["limit"]["timing"].rate]
        colors = ["#888888"]
        if res.get("tuned"):
            names.append("trafilatura\n(tuned)")
            vals.append(res["tuned"]["timing"].rate)
            colors.append("#bbbbbb")
        for w, row in res["e2e"]["workers"].items():
            names.append(f"newswatch\n{w} worker{'s' if w > 1 else ''}")
            vals.append(row["timing"].rate)
            colors.append("#1f77b4")
        if res["newspaper"].get("ok"):
            names.append("newspaper4k")
            vals.append(res["newspaper"]["timing"].rate)
            colors.append("#d62728")
        bars = ax.bar(names, vals, color=colors)
        ax.bar_label(bars, labels=[num(v) for v in vals])
        for share, style in ((TARGET_E2E_1, ":"), (TARGET_E2E_2, "--")):
            ax.axhline(vals[0] * share, color="#1f77b4", linestyle=style, linewidth=1,
                       label=f"target {share} x limit")
        ax.legend(loc="center right", fontsize=8)
        ax.set_ylabel("docs/s (median)")
    ax.set_title("Throughput on the same pages")
    ax = axes[1]
    if "stages" in res:
        rows = stage_rows(res)
        labels = [r[0].split(" (")[0] + f"\n({r[1]})" for r in rows]
        vals = [r[2] for r in rows]
        bars = ax.barh(labels, vals, color="#2ca02c")
        ax.bar_label(bars, labels=[num(v) for v in vals], fontsize=8)
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=8)
    ax.set_title("Per stage, items/s (log scale)")
    ax = axes[2]
    d = res.get("dedupe")
    if d and d.get("ok"):
        xs = [int(k) for k in d["sizes"]]
        ys = [v["ms_per_article"] for v in d["sizes"].values()]
        ax.plot(xs, ys, marker="o")
        ax.set_xscale("log")
        ax.set_ylim(bottom=0)
        ax.set_xlabel("stored articles")
        ax.set_ylabel("ms per article")
    ax.set_title("Dedupe lookup cost as the warehouse grows")
    fig.suptitle(f"newswatch benchmarks ({res['mode']}, {res['machine']['cores']} cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
