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
from itertools import islice

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
    SOFT_LIMIT_OVERRIDDEN = "soft_limit_overridden"


@dataclass(frozen=True, slots=True)
class LogRecord:
    index: int
    at_s: float
    kind: LogKind
    details: Mapping[str, Detail] = field(default_factory=dict)


class EventLog:
    """Records are kept as plain tuples and become `LogRecord`s when read: the model appends far
    more often than anyone reads."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._records: deque[tuple[int, float, LogKind, dict[str, Detail]]] = deque(maxlen=capacity)
        self._next_index = 0
        self.overflow_count = 0

    def append(self, at_s: float, kind: LogKind, /, **details: Detail) -> None:
        records = self._records
        if len(records) == self.capacity:
            self.overflow_count += 1
        records.append((self._next_index, at_s, kind, details))
        self._next_index += 1

    @property
    def next_index(self) -> int:
        return self._next_index

    @property
    def first_index(self) -> int:
        """Index of the oldest record still held (== next_index when empty)."""
        return self._records[0][0] if self._records else self._next_index

    def since(self, index: int) -> tuple[LogRecord, ...]:
        """Records with index >= `index` still held, oldest first."""
        start = max(0, index - self.first_index)
        return tuple(LogRecord(*r) for r in islice(self._records, start, None))

    def of_kind(self, *kinds: LogKind) -> tuple[LogRecord, ...]:
        wanted = set(kinds)
        return tuple(LogRecord(*r) for r in self._records if r[2] in wanted)

    def __iter__(self) -> Iterator[LogRecord]:
        return (LogRecord(*r) for r in self._records)

    def __len__(self) -> int:
        return len(self._records)
