"""Start the Streamlit dashboards on localhost for one data directory.

`leerdata demo` ends here: the app runs in the foreground, reading the data dir's
published reporting.duckdb read-only, until Ctrl-C. Only that run has demo mode on
(LEERDATA_DEMO=1 in the streamlit process's environment); the committed configuration
keeps it off, so a deployment without a login provider shows no data.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from leerdata.commands.output import console
from leerdata.config import REPO_ROOT, DataPaths
from leerdata.errors import LeerdataError

APP = REPO_ROOT / "dashboards" / "app.py"
HOST = "localhost"
DEMO_ENV = "LEERDATA_DEMO"  # read by dashboards/auth.py
STARTUP_SECONDS = 60.0


class DashboardError(LeerdataError):
    pass


def dashboard_url(port: int) -> str:
    return f"http://{HOST}:{port}"


def streamlit_command(port: int, secrets_file: Path | None = None) -> list[str]:
    secrets = ["--secrets.files", str(secrets_file)] if secrets_file else []
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        HOST,
        "--browser.gatherUsageStats",
        "false",
        *secrets,
    ]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"{dashboard_url(port)}/_stcore/health", timeout=2) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_dashboard(
    paths: DataPaths,
    port: int,
    *,
    log_file: Path | None = None,
    demo: bool = False,
    secrets_file: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start streamlit in the background and return once it answers on `port`.

    demo: demo mode for this process only. secrets_file: read [auth] from this file
    instead of .streamlit/secrets.toml (the login test's own provider)."""
    if not paths.reporting_db.exists():
        raise DashboardError(
            f"no published warehouse at {paths.reporting_db}; run `leerdata build` first"
        )
    if not port_is_free(port):
        raise DashboardError(f"port {port} is in use; pick another with --port")
    env = {**os.environ, "LEERDATA_DATA_DIR": str(paths.root), **(extra_env or {})}
    env.pop(DEMO_ENV, None)  # never inherited: only `demo=True` switches it on
    if demo:
        env[DEMO_ENV] = "1"
    output = log_file.open("wb") if log_file else subprocess.DEVNULL
    process = subprocess.Popen(
        streamlit_command(port, secrets_file),
        cwd=REPO_ROOT,
        env=env,
        stdout=output,
        stderr=output,
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DashboardError(f"streamlit exited with code {process.returncode}")
        if _healthy(port):
            return process
        time.sleep(0.3)
    stop_dashboard(process)
    raise DashboardError(f"streamlit did not answer on port {port} within {STARTUP_SECONDS:.0f} s")


def stop_dashboard(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve_dashboard(paths: DataPaths, port: int = 8501, *, demo: bool = False) -> None:
    """Run the dashboards on localhost:`port` until Ctrl-C, after printing the URL."""
    process = start_dashboard(paths, port, demo=demo)

    def stop_on_sigterm(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # so `finally` stops the child, not only this process

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    console.print(f"Dashboard: {dashboard_url(port)}", highlight=False)
    if demo:
        console.print(
            "[bold yellow]DEMO MODE for this run only: no login, any role can be picked, "
            "every department is shown. Never expose this port.[/]"
        )
    console.print("Ctrl-C stops it.")
    try:
        process.wait()
    except KeyboardInterrupt:
        console.print("stopping the dashboard")
    finally:
        stop_dashboard(process)
