"""A leerdata command killed with SIGKILL at the last moment before the file it writes
takes its name (leerdata.atomic_file): its bytes are written beside it, the rename is
not done."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import os, signal, sys
from leerdata import atomic_file
from leerdata.cli import app

def die_instead_of_replacing(source, target):
    os.kill(os.getpid(), signal.SIGKILL)

atomic_file.os.replace = die_instead_of_replacing
sys.argv = ["leerdata", *sys.argv[1:]]
app()
"""


def run_killed_before_rename(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    """`leerdata <arguments>` in a process that dies instead of renaming its file."""
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
