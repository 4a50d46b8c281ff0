"""What the injected faults have done to the hardware so far, and what they will do next.

Faults act through a few physical quantities: how much of the commanded flow really leaves
(occlusion fractions and drift factors multiply), whether the catheter tip is in place, and whether
the next fill misses the reservoir (stalls act on `Motor`). Ramps (a granuloma growing, a drift) are
scheduled as a handful of level changes, so their cost does not grow with time.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from pumpsim.domain.faults import Fault, MismatchedRefill


@dataclass(frozen=True, slots=True)
class Onset:
    fault: Fault


@dataclass(frozen=True, slots=True)
class OcclusionLevel:
    key: int  # which fault's contribution
    delivered_fraction: float


@dataclass(frozen=True, slots=True)
class DriftLevel:
    key: int
    factor: float


@dataclass(frozen=True, slots=True)
class StallEnd:
    pass


Action = Onset | OcclusionLevel | DriftLevel | StallEnd


class FaultState:
    __slots__ = (
        "accuracy_factor",
        "dislodged",
        "drift",
        "flow_factor",
        "injected",
        "mismatch",
        "occlusion",
        "occlusion_fraction",
        "pending",
        "pocket_armed",
        "seq",
    )

    def __init__(self, accuracy_factor: float) -> None:
        self.accuracy_factor = accuracy_factor
        self.injected: list[Fault] = []
        self.pending: list[tuple[float, int, Action]] = []
        self.seq = 0
        self.occlusion: dict[int, float] = {}
        self.drift: dict[int, float] = {}
        self.flow_factor = accuracy_factor
        self.occlusion_fraction = 1.0
        self.dislodged = False
        self.pocket_armed = False
        self.mismatch: MismatchedRefill | None = None  # armed for the next refill

    def schedule(self, at_s: float, action: Action) -> None:
        self.seq += 1
        heapq.heappush(self.pending, (at_s, self.seq, action))

    def next_key(self) -> int:
        self.seq += 1
        return self.seq

    @property
    def next_at_s(self) -> float:
        return self.pending[0][0] if self.pending else math.inf

    def pop_due(self, due_s: float) -> Action | None:
        if self.pending and self.pending[0][0] <= due_s:
            return heapq.heappop(self.pending)[2]
        return None

    def set_occlusion(self, key: int, fraction: float) -> None:
        self.occlusion[key] = fraction
        self._recompute()

    def set_drift(self, key: int, factor: float) -> None:
        self.drift[key] = factor
        self._recompute()

    def _recompute(self) -> None:
        occlusion = math.prod(self.occlusion.values())
        self.occlusion_fraction = occlusion
        self.flow_factor = self.accuracy_factor * occlusion * math.prod(self.drift.values())
