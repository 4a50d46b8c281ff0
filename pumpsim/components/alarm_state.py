"""Latched alarms and the conditions behind them.

An alarm latches when its condition first holds and stays until acknowledged, even if the
condition clears; the conditions themselves are kept apart so that an acknowledged alarm whose
condition persists is not raised again.
"""

from __future__ import annotations

from pumpsim.domain.alarms import Alarm, AlarmKind


class AlarmState:
    __slots__ = ("conditions", "latched")

    def __init__(self) -> None:
        self.latched: dict[AlarmKind, Alarm] = {}
        self.conditions: set[AlarmKind] = set()

    def latch(self, kind: AlarmKind, now: float) -> bool:
        """Latch `kind` unless it already is; return whether it was new."""
        if kind in self.latched:
            return False
        self.latched[kind] = Alarm(kind, now)
        return True

    def sorted(self) -> tuple[Alarm, ...]:
        return tuple(sorted(self.latched.values(), key=lambda a: (a.raised_at_s, a.kind)))
