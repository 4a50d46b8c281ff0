"""The firmware's simulated clock: real time times an acceleration factor, or stepped by hand.

The wall clock is injected (`wall`), so tests and replays run on a clock they control.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_ACCELERATION = 1_000_000.0


@dataclass(frozen=True)
class ClockAnchor:
    sim_s: float
    wall_s: float
    acceleration: float
    paused: bool


class SimClock:
    def __init__(
        self,
        sim_s: float = 0.0,
        acceleration: float = 1.0,
        paused: bool = False,
        wall: Callable[[], float] = time.time,
    ) -> None:
        check_acceleration(acceleration)
        self._wall = wall
        self._anchor = ClockAnchor(sim_s, wall(), acceleration, paused)

    def now(self) -> float:
        a = self._anchor
        if a.paused:
            return a.sim_s
        return a.sim_s + max(0.0, self._wall() - a.wall_s) * a.acceleration

    @property
    def anchor(self) -> ClockAnchor:
        return self._anchor

    @property
    def acceleration(self) -> float:
        return self._anchor.acceleration

    @property
    def paused(self) -> bool:
        return self._anchor.paused

    def set_speed(self, acceleration: float, paused: bool) -> None:
        check_acceleration(acceleration)
        self._anchor = ClockAnchor(self.now(), self._wall(), acceleration, paused)

    def jump(self, seconds: float) -> None:
        if not seconds >= 0:
            raise ValueError("the clock only jumps forward")
        a = self._anchor
        self._anchor = ClockAnchor(self.now() + seconds, self._wall(), a.acceleration, a.paused)

    def restore(self, anchor: ClockAnchor) -> None:
        """Resume from a persisted anchor; time that passed while stopped is caught up."""
        self._anchor = anchor


def check_acceleration(acceleration: float) -> None:
    if not 1.0 <= acceleration <= MAX_ACCELERATION:
        raise ValueError(f"acceleration must be in [1, {MAX_ACCELERATION:g}], got {acceleration!r}")
