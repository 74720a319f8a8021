"""The Prefect API as an outside system: find or start a server, then serve the deployments on it."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from newswatch.errors import ConfigError, NewswatchError


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")   # no internet here, and no telemetry
    env.setdefault("PREFECT_SERVER_UI_ENABLED", "true")
    return env


def wait_healthy(api_url: str, timeout: float = 90.0) -> None:
    """Poll /health until the server answers, or raise a one-line error."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(api_url.rstrip("/") + "/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise NewswatchError(f"Prefect server at {api_url} did not become healthy in {timeout:g} s ({last})")


@contextmanager
def local_server(port: int, host: str = "127.0.0.1") -> Iterator[str]:
    """Start `prefect server start` on loopback; yield its API URL; stop it on exit."""
    api_url = f"http://{host}:{port}/api"
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
        env=server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_healthy(api_url)
        yield api_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve(args: argparse.Namespace) -> int:
    """`newswatch serve`: serve the monitor deployment on its schedule until interrupted."""
    if args.start_server:
        with local_server(args.port) as api_url:
            print(f"newswatch: started a local Prefect server at {api_url} (UI: {api_url[:-4]})", file=sys.stderr)
            return _serve_on(api_url, args)
    env_url = os.environ.get("PREFECT_API_URL")
    if not env_url:
        raise ConfigError("no Prefect API: scheduling needs a real Prefect server. Start one with "
                          "`prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api, "
                          "or run `newswatch serve --start-server`", field="PREFECT_API_URL")
    wait_healthy(env_url, timeout=10)
    return _serve_on(env_url, args)


def _serve_on(api_url: str, args: argparse.Namespace) -> int:
    os.environ["PREFECT_API_URL"] = api_url
    # Served runs are child processes: they get channel URLs from the environment, never from the
    # Prefect database (where deployment parameters are stored in clear).
    if args.notify:
        os.environ["NEWSWATCH_NOTIFY"] = " ".join([*args.notify, os.environ.get("NEWSWATCH_NOTIFY", "")]).strip()
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.deployments import monitor_deployment

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        dep = monitor_deployment(sources=args.sources, warehouse=args.warehouse, cron=args.cron,
                                 interval=args.interval, lock_timeout=args.lock_timeout)
        prefect_serve(dep)
    return 0
