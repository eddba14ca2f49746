"""Run one step as a subprocess and measure its wall time and peak RSS.

os.wait4 returns the resource usage of exactly that child (and the descendants it waited
for), so each step gets its own peak RSS — unlike RUSAGE_CHILDREN, which only grows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_rss_bytes: int
    user_seconds: float
    system_seconds: float
    exit_code: int
    timed_out: bool = False

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


class StepFailed(RuntimeError):
    pass


def run_measured(
    command: Sequence[str],
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
    timeout: float | None = None,
) -> Measurement:
    """Run `command` with stdout+stderr to `log_file`; wall time, peak RSS, CPU times.

    After `timeout` seconds the step's whole process group is killed (timed_out=True).
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    expired = threading.Event()
    with log_file.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env or os.environ),
            cwd=cwd,
            start_new_session=True,  # its own process group, so a timeout kills it all
        )

        def kill() -> None:
            expired.set()
            os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            if timer:
                timer.cancel()
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # we reaped it, not Popen
    measured = Measurement(
        seconds=round(seconds, 3),
        peak_rss_bytes=usage.ru_maxrss * 1024,  # Linux reports KiB
        user_seconds=round(usage.ru_utime, 3),
        system_seconds=round(usage.ru_stime, 3),
        exit_code=process.returncode,
        timed_out=expired.is_set(),
    )
    if check and measured.exit_code != 0:
        tail = log_file.read_text(errors="replace").splitlines()[-15:]
        raise StepFailed(
            f"{' '.join(command)} exited {measured.exit_code}; log {log_file}:\n" + "\n".join(tail)
        )
    return measured
