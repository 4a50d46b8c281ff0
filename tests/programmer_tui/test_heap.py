"""The programmer freezes its long-lived heap once its screens are built, and only undoes what it
did itself: a process that froze its heap first (the test runner does) keeps it frozen."""

from __future__ import annotations

import gc

from programmer_tui.heap import Heap


def test_a_heap_the_process_froze_is_left_to_the_process() -> None:
    assert gc.get_freeze_count() > 0  # the runner's own freeze (tests/conftest.py)
    frozen = gc.get_freeze_count()
    heap = Heap()
    heap.settle()
    assert not heap.froze
    heap.release()
    assert gc.get_freeze_count() == frozen


def test_an_unfrozen_heap_is_frozen_and_given_back() -> None:
    gc.unfreeze()
    try:
        heap = Heap()
        heap.settle()
        assert heap.froze
        assert gc.get_freeze_count() > 0
        heap.release()
        assert gc.get_freeze_count() == 0
        heap.release()  # twice: nothing more
        assert gc.get_freeze_count() == 0
    finally:
        gc.collect()
        gc.freeze()  # the runner's arrangement, as it was
