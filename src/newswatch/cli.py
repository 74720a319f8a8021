"""The `newswatch` command: parses options, runs flows, turns library errors into one line and an exit code."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from newswatch.errors import ConfigError, NewswatchError, WarehouseLockedError

EXIT_OK, EXIT_PARTIAL, EXIT_INPUT, EXIT_LOCKED = 0, 1, 2, 3


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sources", default=os.environ.get("NEWSWATCH_SOURCES", "sources.yaml"),
                   help="feeds file (default ./sources.yaml or $NEWSWATCH_SOURCES)")
    p.add_argument("--warehouse", default=os.environ.get("NEWSWATCH_WAREHOUSE", "warehouse/news.duckdb"),
                   help="DuckDB file (default ./warehouse/news.duckdb or $NEWSWATCH_WAREHOUSE)")
    p.add_argument("--notify", action="append", default=[], metavar="URL",
                   help="Apprise URL (repeatable); also $NEWSWATCH_NOTIFY, space-separated")
    p.add_argument("--lock-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="wait this long for the warehouse write lock, then exit 3 (default 60)")
    p.add_argument("--workers", type=int, default=None,
                   help="extraction processes, the run's own included (default: settings.workers)")


def _date(value: str) -> datetime:
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2020-11-15, got {value!r}") from None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _until(value: str) -> datetime:
    """`--until 2020-11-16` means to the end of that day (UTC); a value with a time is taken as given."""
    d = _date(value)
    if len(value.strip()) <= len("2020-11-16"):
        d = d.replace(hour=23, minute=59, second=59, microsecond=999_999)
    return d


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newswatch", description="Iran-Iraq defense meeting news monitor.")
    sub = parser.add_subparsers(dest="command", required=True)
    _common(sub.add_parser("run", help="one monitoring pass (the Prefect flow `monitor`)"))
    b = sub.add_parser("backfill", help="a one-off backfill (the Prefect flow `backfill`)")
    _common(b)
    mode = b.add_mutually_exclusive_group()
    mode.add_argument("--from-dir", metavar="DIR", help="saved pages (*.html, *.htm, *.txt + NAME.json sidecars)")
    mode.add_argument("--urls", metavar="FILE", help="a file with one URL a line")
    mode.add_argument("--reprocess", action="store_true", help="re-run extraction, dedupe and detection")
    b.add_argument("--since", type=_date, help="feeds mode: published on or after this date")
    b.add_argument("--until", type=_until, help="feeds mode: published on or before this date (whole day)")
    b.add_argument("--notify-backfill", action="store_true", help="send alerts for meetings found (default: no)")
    b.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show progress (default: when stderr is a terminal)")
    s = sub.add_parser("serve", help="serve the scheduled deployments against $PREFECT_API_URL")
    _common(s)
    when = s.add_mutually_exclusive_group()
    when.add_argument("--cron", default=None, help="cron schedule (default */15 * * * *)")
    when.add_argument("--interval", type=float, default=None, metavar="SECONDS")
    s.add_argument("--start-server", action="store_true", help="start a local `prefect server start` first")
    s.add_argument("--port", type=int, default=4200, help="port of the local server (with --start-server)")
    q = sub.add_parser("sql", help="run SQL read-only against the warehouse")
    _common(q)
    q.add_argument("query")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table")
    _common(sub.add_parser("check", help="validate sources.yaml and the watch definitions"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Before anything imports Prefect: no internet here, and telemetry attempts print errors.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    args = build_parser().parse_args(argv)
    try:
        return int(COMMANDS[args.command](args))
    except ConfigError as exc:
        print(f"newswatch: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except WarehouseLockedError as exc:
        print(f"newswatch: error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except NewswatchError as exc:
        print(f"newswatch: error: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except KeyboardInterrupt:
        print("newswatch: interrupted; stored work is kept and the next run resumes", file=sys.stderr)
        return 130


def _preflight(args: argparse.Namespace) -> None:
    """Fail fast, before Prefect starts: bad config or channels (exit 2), a warehouse another process
    holds past --lock-timeout (exit 3). Migrating here also means no flow ever sees an old schema."""
    from newswatch.config import load_config, watch_dir
    from newswatch.core.meetings import load_watch
    from newswatch.io.warehouse import Warehouse
    from newswatch.pipeline.runner import channels_for

    config = load_config(args.sources)
    channels_for(config, args.notify, os.environ)
    load_watch(watch_dir())
    Warehouse(args.warehouse, lock_timeout=args.lock_timeout).migrate()


def _run_flow(flow_fn: Any, **params: Any) -> int:
    from newswatch.pipeline.runner import Summary

    state = flow_fn(return_state=True, **params)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    assert isinstance(result, Summary)
    print(format_summary(result))
    return result.exit_code


def cmd_run(args: argparse.Namespace) -> int:
    _preflight(args)
    from flows.monitor import monitor

    return _run_flow(monitor, sources=args.sources, warehouse=args.warehouse, notify=args.notify,
                     lock_timeout=args.lock_timeout, workers=args.workers)


def cmd_backfill(args: argparse.Namespace) -> int:
    _preflight(args)
    from flows.backfill import backfill

    mode = "dir" if args.from_dir else "urls" if args.urls else "reprocess" if args.reprocess else "feeds"
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    return _run_flow(backfill, mode=mode, sources=args.sources, warehouse=args.warehouse, since=args.since,
                     until=args.until, from_dir=args.from_dir, urls=args.urls, notify=args.notify,
                     notify_backfill=args.notify_backfill, lock_timeout=args.lock_timeout,
                     workers=args.workers, progress=progress)


def cmd_serve(args: argparse.Namespace) -> int:
    _preflight(args)
    from newswatch.io.prefect_server import serve

    return serve(args)


def cmd_check(args: argparse.Namespace) -> int:
    from newswatch.config import load_config, watch_dir
    from newswatch.core.meetings import load_watch
    from newswatch.pipeline.runner import channels_for

    config = load_config(args.sources)
    channels = channels_for(config, args.notify, os.environ)
    custom = watch_dir()
    watch = load_watch(custom)
    enabled = sum(1 for s in config.sources if s.enabled)
    print(f"{config.path}: ok ({len(config.sources)} sources, {enabled} enabled, {len(channels)} alert channels)")
    print(f"watch definitions: ok ({watch.summary()})" + (f" from $NEWSWATCH_WATCH_DIR {custom}" if custom else ""))
    return EXIT_OK


def cmd_sql(args: argparse.Namespace) -> int:
    from newswatch.io.warehouse import Warehouse

    path = Path(args.warehouse)
    if not path.exists():
        raise ConfigError("no warehouse yet; run `newswatch run` first", path=str(path), field="--warehouse")
    wh = Warehouse(path, lock_timeout=args.lock_timeout)
    import duckdb

    with wh.reader() as con:
        try:
            cur = con.execute(args.query)
        except duckdb.Error as exc:
            raise ConfigError(str(exc).splitlines()[0], field="query") from None
        names = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if names else []
    write_rows(names, rows, args.format, sys.stdout)
    return EXIT_OK


def write_rows(names: list[str], rows: list[tuple[Any, ...]], fmt: str, out: Any) -> None:
    """Print query results as an aligned table, CSV or JSON lines of objects."""
    if fmt == "csv":
        w = csv.writer(out)
        w.writerow(names)
        w.writerows([[_plain(v) for v in r] for r in rows])
        return
    if fmt == "json":
        json.dump([dict(zip(names, [_plain(v) for v in r], strict=True)) for r in rows], out,
                  ensure_ascii=False, indent=1)
        out.write("\n")
        return
    cells = [[str(_plain(v)) if v is not None else "" for v in r] for r in rows]
    widths = [min(60, max([len(n)] + [len(c[i]) for c in cells])) for i, n in enumerate(names)]
    line = lambda vals: " | ".join(v[:60].ljust(w) for v, w in zip(vals, widths, strict=True))  # noqa: E731
    out.write(line(names) + "\n" + "-+-".join("-" * w for w in widths) + "\n")
    for c in cells:
        out.write(line(c) + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def format_summary(summary: Any) -> str:
    c = summary.counts
    lines = [
        f"newswatch {summary.flow} {summary.run_id}: {summary.status}",
        f"  sources fetched: {c.get('sources_fetched', 0)}   new articles: {c.get('articles_new', 0)}   "
        f"duplicates: {c.get('duplicates', 0)}   new meetings: {c.get('events_new', 0)}   "
        f"alerts sent: {c.get('alerts_sent', 0)}   alerts failed: {c.get('alerts_failed', 0)}   "
        f"errors: {c.get('errors', 0)}",
    ]
    if c.get("articles_reprocessed"):
        lines.append(f"  articles reprocessed: {c['articles_reprocessed']}   "
                     f"events removed (no longer supported): {c.get('events_removed', 0)}")
    lines += [f"  meeting: {e['meeting_date'] or '?'} {e['city'] or '?'}: {e['title']}" for e in summary.events]
    for f in summary.failures[:20]:
        lines.append(f"  failed: {f}")
    if len(summary.failures) > 20:
        lines.append(f"  … {len(summary.failures) - 20} more failures in the fetch_log table")
    return "\n".join(lines)


COMMANDS = {"run": cmd_run, "backfill": cmd_backfill, "serve": cmd_serve, "sql": cmd_sql, "check": cmd_check}


if __name__ == "__main__":
    sys.exit(main())
