"""Run one step as a subprocess and measure its wall time and peak RSS.

Peak RSS comes from GNU time (`/usr/bin/time -f %M`), which forks the step from its own
tiny process. Reading ru_maxrss of a direct child is wrong on Linux: at exec the kernel
carries the high-water RSS of the (v)forked copy of *this* process into the child, so a
step would never report less than the harness (or pytest worker) that launched it.
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

GNU_TIME = Path("/usr/bin/time")


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


def _peak_rss_kib(rss_file: Path) -> int:
    """The last line GNU time wrote (KiB); 0 when the step was killed before it wrote."""
    lines = rss_file.read_text().split() if rss_file.exists() else []
    rss_file.unlink(missing_ok=True)
    return int(lines[-1]) if lines and lines[-1].isdigit() else 0


class GroupHighWater(threading.Thread):
    """Polls VmHWM of every process in a process group: the peak RSS of a step that is
    killed at its timeout (GNU time dies with it and reports nothing)."""

    def __init__(self, group: int, every_s: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.group, self.every_s = group, every_s
        self.peak_kib = 0
        self.stopped = threading.Event()

    def _sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                # fields after the ")" of the command name: state ppid pgrp ...
                if int(stat.rsplit(")", 1)[1].split()[2]) != self.group:
                    continue
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))
            except (OSError, ValueError, IndexError):
                continue  # the process ended between listing and reading

    def run(self) -> None:
        while not self.stopped.wait(self.every_s):
            self._sample()


def run_measured(
    command: Sequence[str],
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
    timeout: float | None = None,
) -> Measurement:
    """Run `command` with stdout+stderr to `log_file`; wall time, peak RSS, CPU times.

    After `timeout` seconds the step's whole process group is killed (timed_out=True);
    its peak RSS is then the highest VmHWM polled (each second) while it ran.
    """
    if not GNU_TIME.exists():
        raise StepFailed(f"{GNU_TIME} is missing: install Debian's `time` (make bench does)")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    rss_file = log_file.with_name(log_file.name + ".maxrss")
    expired = threading.Event()
    with log_file.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(GNU_TIME), "-f", "%M", "-o", str(rss_file), *command],
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
        sampler = GroupHighWater(process.pid) if timeout else None
        for thread in (timer, sampler):
            if thread:
                thread.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            if timer:
                timer.cancel()
            if sampler:
                sampler.stopped.set()
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # we reaped it, not Popen
    measured = Measurement(
        seconds=round(seconds, 3),
        # GNU time's figure; when the step was killed, the last polled high-water mark.
        peak_rss_bytes=(_peak_rss_kib(rss_file) or (sampler.peak_kib if sampler else 0)) * 1024,
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
