"""Ending the `leerdata` console script without the interpreter's teardown.

After a build has published, the teardown's last garbage collection frees every object
dbt and the imports left, one at a time: 0.7 s of a 9 s medium day build (py-spy:
`gc_collect_main` after the last exit handler). The console script arms this module
with its exit status; the process then ends with `os._exit` once every other exit
handler has run (logging's, multiprocessing's finalizers that release dbt's
semaphores, a command's own), with the standard streams flushed. Unarmed (a test or
the dashboard importing leerdata) it does nothing. Instagram's web workers skip the
same collection the same way.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys

_status: int | None = None


def end_without_teardown(status: int) -> None:
    """At exit, end the process with `status` after the other exit handlers."""
    global _status
    _status = status


def _exit_if_armed() -> None:
    if _status is None:
        return
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_status)


# Registered when leerdata is first imported, before the libraries it imports register
# theirs (dbt imports multiprocessing, whose handler finalizes semaphores): exit
# handlers run last-registered first, so this one runs after them.
atexit.register(_exit_if_armed)
