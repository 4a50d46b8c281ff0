"""The collector and the programmer's long-lived heap.

Why: once a screen is built, the widget tree, the drug library and the imported modules live
as long as the app. Every full collection would walk them all while a key waits to be painted
(50-60 ms pauses, every few tab switches), so they are frozen out of the collector's sight. A
process that froze its heap already (a host embedding the programmer, the test runner) keeps its
own arrangement: the app neither collects nor freezes then, and so never unfreezes it either.
"""

from __future__ import annotations

import gc


class Heap:
    """Whether this app froze the heap, so that only it undoes it."""

    def __init__(self) -> None:
        self.froze = False

    def settle(self) -> None:
        """Collect, then freeze what is left (again after each tab's first build: the frozen part
        is not walked); unless the process has frozen its heap itself."""
        if gc.get_freeze_count() and not self.froze:
            return
        gc.collect()
        gc.freeze()
        self.froze = True

    def release(self) -> None:
        if self.froze:
            gc.unfreeze()
            self.froze = False
