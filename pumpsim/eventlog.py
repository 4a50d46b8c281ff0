"""The pump's event log: append-only typed records in bounded memory.

Like a device's log it wraps: when full, the oldest record goes and an overflow counter says how
many were lost. Every record keeps a global index, so a reader can ask for "everything since N" and
learn from the first index it gets back whether it missed some.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

Detail = str | int | float | bool | None


class LogKind(StrEnum):
    PROGRAM_CHANGED = "program_changed"
    BOLUS_STARTED = "bolus_started"
    BOLUS_COMPLETED = "bolus_completed"
    BOLUS_ABORTED = "bolus_aborted"
    PATIENT_BOLUS_GRANTED = "patient_bolus_granted"
    PATIENT_BOLUS_DENIED = "patient_bolus_denied"
    ALARM_RAISED = "alarm_raised"
    ALARM_ACKNOWLEDGED = "alarm_acknowledged"
    MOTOR_STALL = "motor_stall"
    MOTOR_STALL_RECOVERY = "motor_stall_recovery"
    MRI_ENTERED = "mri_entered"
    MRI_EXITED = "mri_exited"
    RESERVOIR_WITHDRAWN = "reservoir_withdrawn"
    RESERVOIR_FILLED = "reservoir_filled"
    LOW_BATTERY_RESET = "low_battery_reset"
    PUMP_RESET = "pump_reset"
    ELECTIVE_REPLACEMENT = "elective_replacement"
    END_OF_SERVICE = "end_of_service"
    INTERROGATED = "interrogated"


@dataclass(frozen=True, slots=True)
class LogRecord:
    index: int
    at_s: float
    kind: LogKind
    details: Mapping[str, Detail] = field(default_factory=dict)


class EventLog:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._records: deque[LogRecord] = deque(maxlen=capacity)
        self._next_index = 0
        self.overflow_count = 0

    def append(self, at_s: float, kind: LogKind, /, **details: Detail) -> LogRecord:
        record = LogRecord(self._next_index, at_s, kind, details)
        if len(self._records) == self.capacity:
            self.overflow_count += 1
        self._records.append(record)
        self._next_index += 1
        return record

    @property
    def next_index(self) -> int:
        return self._next_index

    @property
    def first_index(self) -> int:
        """Index of the oldest record still held (== next_index when empty)."""
        return self._records[0].index if self._records else self._next_index

    def since(self, index: int) -> tuple[LogRecord, ...]:
        """Records with index >= `index` still held, oldest first."""
        start = max(0, index - self.first_index)
        if start == 0:
            return tuple(self._records)
        return tuple(r for i, r in enumerate(self._records) if i >= start)

    def of_kind(self, *kinds: LogKind) -> tuple[LogRecord, ...]:
        wanted = set(kinds)
        return tuple(r for r in self._records if r.kind in wanted)

    def __iter__(self) -> Iterator[LogRecord]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)
