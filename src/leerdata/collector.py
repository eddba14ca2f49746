"""Python's garbage collector tuned for a command that imports dbt and runs it.

Measured on a medium day build (9 s; CPython 3.11's default thresholds 700, 10, 10):
~100 collections while dbt and the other libraries are imported, 0.45 s, and ~1,300
while dbt runs, 0.9 s, every full pass walking the ~280k objects the imports left
while the GIL makes both dbt threads wait.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# A young-generation pass every 50k net allocations instead of 700: a few MB of
# garbage at most waits longer to be collected.
THRESHOLDS = (50_000, 20, 20)


def use_command_thresholds() -> None:
    """For the whole `leerdata` process (the console script sets it first)."""
    gc.set_threshold(*THRESHOLDS)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """While dbt runs: the heap from before is frozen (the imported modules are not
    garbage; a pass skips them) and unfrozen after, so nothing stays uncollectable;
    the thresholds are raised for the run, also when dbt runs outside the console
    script (the tests)."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
