"""Benchmark: how costs grow — dedupe lookup per article at 1k/10k/100k stored articles (from
bench_dedupe.run) and the peak memory of a synthetic backfill of N small pages (default 100,000).

The backfill runs in a child process (pipeline functions, no Prefect), batch by batch as the
`backfill --from-dir` flow does; the parent samples the resident memory of the child and all its
descendants (the extraction workers) from /proc every 100 ms and keeps the peak of the sum."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, SEED_PAGES, pseudo_words, synthetic_text

DUPLICATE_EVERY = 50    # every 50th page repeats an earlier one with a small edit (a near-duplicate)
SAMPLE_S = 0.1
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[^\W\d_]{3,}")


def vocabularies() -> list[list[str]]:
    """One vocabulary per seed page (each is in one language), so that synthetic texts look like
    real French or English to language detection: made-up words cost langdetect ~3x more time."""
    vocabs = []
    for page in sorted(SEED_PAGES.glob("*.html")):
        body = _TAGS.sub(" ", page.read_text(encoding="utf-8", errors="replace"))
        words = sorted({w.lower() for w in _WORD.findall(html.unescape(body))})
        if len(words) >= 100:
            vocabs.append(words)
    return vocabs or [pseudo_words(5000)]


def write_pages(folder: Path, count: int) -> int:
    """`count` small synthetic article pages (~2.5 KB of HTML each); returns the bytes written."""
    folder.mkdir(parents=True, exist_ok=True)
    vocabs = vocabularies()
    total = 0
    for n in range(count):
        base = n - 17 if n % DUPLICATE_EVERY == DUPLICATE_EVERY - 1 else n
        text = synthetic_text(base, vocabs[base % len(vocabs)], words=260)
        if base != n:
            text = text.replace(".", ", indeed.", 1)
        paras = "".join(f"<p>{html.escape(s.strip())}.</p>" for s in text.split(".") if s.strip())
        title = html.escape(" ".join(text.split()[:8]))
        page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
                f"<link rel='canonical' href='https://synthetic.invalid/{n:06d}'></head><body><nav>Home | World"
                f"</nav><article><h1>{title}</h1>{paras}</article><footer>bench</footer></body></html>")
        data = page.encode()
        (folder / f"{n // 1000:03d}").mkdir(exist_ok=True)
        (folder / f"{n // 1000:03d}" / f"{n:06d}.html").write_bytes(data)
        total += len(data)
    return total


def _status_kb(pid: int | str, *keys: str) -> dict[str, int]:
    """Fields of /proc/PID/status in KB (VmRSS: now; VmHWM: peak since exec)."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
        for line in fh:
            name = line.split(":", 1)[0]
            if name in keys:
                out[name] = int(line.split()[1])
    return out


def _tree_kb(root: int) -> tuple[int, int, int]:
    """(sum of VmRSS, sum of VmHWM over root and its descendants, VmHWM of root), in KB.

    The RSS sum is what is resident at this instant; the HWM sum is an upper bound of any instant's
    total between two samples (each process's own peak, as if they all peaked together)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree = {root}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    rss = hwm = root_hwm = 0
    for pid in tree:
        try:
            st = _status_kb(pid, "VmRSS", "VmHWM")
        except (OSError, ValueError, IndexError):
            continue
        rss += st.get("VmRSS", 0)
        hwm += st.get("VmHWM", 0)
        if pid == root:
            root_hwm = st.get("VmHWM", 0)
    return rss, hwm, root_hwm


def backfill(pages: int, workers: int = 2) -> dict[str, Any]:
    """Run the child backfill over `pages` synthetic pages; peak memory and time."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        size = write_pages(root / "pages", pages)
        gen_s = time.perf_counter() - t0
        (root / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.bench_growth", str(root / "pages"),
                                 str(root / "news.duckdb"), str(root / "sources.yaml"), str(workers)],
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak = [0, 0, 0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                for i, value in enumerate(_tree_kb(proc.pid)):
                    peak[i] = max(peak[i], value)
                done.wait(SAMPLE_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout, stderr = proc.communicate()
        done.set()
        sampler.join()
        db_mb = (root / "news.duckdb").stat().st_size / 2**20 if (root / "news.duckdb").exists() else 0.0
    if proc.returncode != 0:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return {"ok": False, "pages": pages, "reason": f"backfill child failed (exit {proc.returncode}): {tail}"}
    child = json.loads(stdout.strip().splitlines()[-1])
    # Not ru_maxrss: Linux carries it across exec, so a child started from this (large) process
    # would report this process's size. VmHWM belongs to the exec'd image alone.
    return {"ok": True, "pages": pages, "workers": workers, "html_mb": round(size / 2**20, 1),
            "generate_s": round(gen_s, 1), "peak_tree_rss_mb": round(peak[0] / 1024, 1),
            "peak_tree_hwm_mb": round(peak[1] / 1024, 1),
            "peak_main_rss_mb": round(max(peak[2], child["hwm_self_kb"]) / 1024, 1),
            "warehouse_mb": round(db_mb, 1), **child}


def _child(folder: Path, warehouse: Path, sources: Path, workers: int) -> dict[str, Any]:
    from newswatch.pipeline import backfill as bf
    from newswatch.pipeline import runner

    ctx = runner.open_run("backfill", sources=sources, warehouse=warehouse, workers=workers,
                          alerts_status="suppressed")
    files = bf.list_pages(folder)
    t0 = time.perf_counter()
    batch_s: list[float] = []
    last = [t0]

    def tick(_: int) -> None:   # seconds from one chunk stored to the next: a chunk's time, pipelined
        now = time.perf_counter()
        batch_s.append(now - last[0])
        last[0] = now

    runner.stream(ctx, files, lambda batch, index: bf.ingest_dir(ctx, batch), tick)   # as the flow
    summary = runner.finish_run(ctx)
    elapsed = time.perf_counter() - t0
    tenth = max(1, len(batch_s) // 10)
    return {"elapsed_s": round(elapsed, 1), "pages_per_s": round(len(files) / elapsed, 1),
            "stored": ctx.counts["pages_stored"], "articles_new": summary.counts.get("articles_new", 0),
            "duplicates": summary.counts.get("duplicates", 0),
            "pages_failed": summary.counts.get("pages_failed", 0),
            # seconds per 200-page batch over the first and the last tenth of the run: growth in time
            "batch_s_first_tenth": round(sum(batch_s[:tenth]) / tenth, 3),
            "batch_s_last_tenth": round(sum(batch_s[-tenth:]) / tenth, 3),
            "hwm_self_kb": _status_kb("self", "VmHWM").get("VmHWM", 0)}


def dedupe_growth(smoke: bool) -> dict[str, Any]:
    """bench_dedupe.run() (another module, shared with the per-stage table), or why it is missing."""
    try:
        from benchmarks import bench_dedupe
    except ImportError as exc:
        return {"ok": False, "reason": f"benchmarks/bench_dedupe.py is not importable: {exc}"}
    res = bench_dedupe.run(smoke=smoke)
    return {"ok": True, **res}


if __name__ == "__main__":
    print(json.dumps(_child(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))))
