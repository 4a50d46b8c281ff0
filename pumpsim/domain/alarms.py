"""Alarm kinds, their severity, and the latched alarm record.

The device has two tones, critical and non-critical; each kind maps to one. An alarm latches when
its condition first holds and stays until acknowledged, even if the condition clears.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    NON_CRITICAL = "non_critical"


class AlarmKind(StrEnum):
    MOTOR_STALL = "motor_stall"
    EMPTY_RESERVOIR = "empty_reservoir"
    END_OF_SERVICE = "end_of_service"
    LOW_BATTERY_RESET = "low_battery_reset"
    MEMORY_ERROR = "memory_error"
    LOW_RESERVOIR = "low_reservoir"
    ELECTIVE_REPLACEMENT = "elective_replacement"
    REFILL_DUE = "refill_due"
    OCCLUSION_SUSPECTED = "occlusion_suspected"

    @property
    def severity(self) -> Severity:
        return Severity.CRITICAL if self in _CRITICAL else Severity.NON_CRITICAL


_CRITICAL = frozenset(
    {
        AlarmKind.MOTOR_STALL,
        AlarmKind.EMPTY_RESERVOIR,
        AlarmKind.END_OF_SERVICE,
        AlarmKind.LOW_BATTERY_RESET,
        AlarmKind.MEMORY_ERROR,
    }
)


@dataclass(frozen=True, slots=True)
class Alarm:
    kind: AlarmKind
    raised_at_s: float

    @property
    def severity(self) -> Severity:
        return self.kind.severity
