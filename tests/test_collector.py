"""The garbage collector's settings while dbt runs (leerdata.collector.fewer_collections) are
the process's own again afterwards, also when dbt fails: nothing stays frozen, so
nothing the build left behind becomes uncollectable."""

from __future__ import annotations

import gc
import weakref

import pytest

from leerdata.collector import THRESHOLDS, fewer_collections


def test_the_collector_is_restored_after_dbt_and_after_a_failure() -> None:
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with fewer_collections():
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0  # the heap that was there before dbt started
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("dbt failed")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_what_became_garbage_during_the_run_is_collected_after_it() -> None:
    """An object from before dbt started is frozen with the heap; if it becomes garbage
    while dbt runs, it is collected once the run is over."""

    class Node:
        me: object

    cycle = Node()
    cycle.me = cycle
    alive = weakref.ref(cycle)
    with fewer_collections():
        del cycle
        gc.collect()
        assert alive() is not None  # frozen: not collected during the run
    gc.collect()
    assert alive() is None
