"""Fault sites in the code, in the manner of FoundationDB's BUGGIFY: named places in the firmware,
its sessions and the link where, on virtual time only, something unusual but legal happens.

Why in the code and not on the line: a line's faults reach only what crosses it. These reach the
device's own choices, the ones a correct device may make at any moment and a test never sees on
a good day: a snapshot taken between two appends, a frame written in two pieces, an
acknowledgement sent twice, a session the pump ends early, a sync that takes seconds. Each site
is enabled for a seed with probability 1/4 and then fires 1/4 of the times it is reached;
`fired` counts, for the report.
The wall-clock drivers get `OFF`: nothing ever fires there.
"""

from __future__ import annotations

import random
from collections import Counter

ENABLE_P = 0.25
FIRE_P = 0.25
SITES = (
    "firmware.snapshot_mid_append",  # a snapshot with this commit, off the cadence
    "firmware.short_write",  # a frame reaches the port in two writes
    "link.duplicate_ack",  # a bare acknowledgement is sent twice
    "sessions.early_expiry",  # the pump ends the session now (as its time limit would)
    "firmware.delayed_sync",  # a commit's sync takes seconds: the firmware blocks in it
)


class FaultSites:
    def __init__(self, rng: random.Random | None) -> None:
        self._rng = rng
        self.enabled = frozenset(
            s for s in SITES if rng is not None and rng.random() < ENABLE_P
        )  # drawn for every site, in order, so a seed always enables the same ones
        self.fired: Counter[str] = Counter()

    def fires(self, site: str) -> bool:
        if site not in self.enabled or self._rng is None:
            return False
        if self._rng.random() < FIRE_P:
            self.fired[site] += 1
            return True
        return False

    def uniform(self, low: float, high: float) -> float:
        """How much of something unusual (a delay): from the sites' own stream."""
        return low if self._rng is None else self._rng.uniform(low, high)


OFF = FaultSites(None)
