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
from itertools import chain, islice
from typing import Any

from pumpsim import data_codec

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
    CLOCK_SET = "clock_set"
    KEY_REVOKED = "key_revoked"
    KEY_ROTATED = "key_rotated"


@dataclass(frozen=True, slots=True)
class LogRecord:
    index: int
    at_s: float
    kind: LogKind
    details: Mapping[str, Detail] = field(default_factory=dict)


_Row = tuple[int, float, LogKind, dict[str, Detail]]


class EventLog:
    """Records are kept as plain tuples and become `LogRecord`s when read: the model appends far
    more often than anyone reads.

    A restored log stays frozen (plain values as bytes, `data_codec`) until something reads its
    records, the way a device leaves its log in flash until a programmer downloads it: a restart
    after years of commands does not pay for 4096 records nobody asked for. Appends go on
    meanwhile."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._records: deque[_Row] = deque(maxlen=capacity)
        self._next_index = 0
        self.overflow_count = 0
        self._frozen: bytes | None = None  # older records, before those in `_records`
        self._frozen_count = 0  # how many of them are still held
        self._frozen_first = 0  # index of the first still held

    def __getstate__(self) -> dict[str, object]:
        self._thaw()
        plain = [
            (i, t, str(k), {n: str(v) if isinstance(v, StrEnum) else v for n, v in d.items()})
            for i, t, k, d in self._records
        ]
        return {
            "capacity": self.capacity,
            "next_index": self._next_index,
            "overflow_count": self.overflow_count,
            "records": data_codec.encode(plain),
            "count": len(plain),
            "first": plain[0][0] if plain else self._next_index,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.capacity = int(state["capacity"])
        self._next_index = int(state["next_index"])
        self.overflow_count = int(state["overflow_count"])
        self._records = deque(maxlen=self.capacity)
        self._frozen = bytes(state["records"])
        self._frozen_count = int(state["count"])
        self._frozen_first = int(state["first"])

    def _thaw(self) -> None:
        if self._frozen is None:
            return
        kinds: dict[object, Any] = LogKind._value2member_map_
        rows = data_codec.decode(self._frozen)
        skip = len(rows) - self._frozen_count  # dropped from the front since it froze
        older: Iterator[_Row] = ((i, t, kinds[k], d) for i, t, k, d in rows[skip:])
        self._records = deque(chain(older, self._records), maxlen=self.capacity)
        self._frozen = None
        self._frozen_count = 0

    def append(self, at_s: float, kind: LogKind, /, **details: Detail) -> None:
        records = self._records
        if len(records) + self._frozen_count == self.capacity:
            self.overflow_count += 1
            if self._frozen_count:
                self._frozen_count -= 1  # the oldest record goes, from the frozen part
                self._frozen_first += 1
        records.append((self._next_index, at_s, kind, details))
        self._next_index += 1

    @property
    def next_index(self) -> int:
        return self._next_index

    @property
    def first_index(self) -> int:
        """Index of the oldest record still held (== next_index when empty)."""
        if self._frozen_count:
            return self._frozen_first
        return self._records[0][0] if self._records else self._next_index

    def since(self, index: int) -> tuple[LogRecord, ...]:
        """Records with index >= `index` still held, oldest first."""
        self._thaw()
        start = max(0, index - self.first_index)
        return tuple(LogRecord(*r) for r in islice(self._records, start, None))

    def of_kind(self, *kinds: LogKind) -> tuple[LogRecord, ...]:
        self._thaw()
        wanted = set(kinds)
        return tuple(LogRecord(*r) for r in self._records if r[2] in wanted)

    def __iter__(self) -> Iterator[LogRecord]:
        self._thaw()
        return (LogRecord(*r) for r in self._records)

    def __len__(self) -> int:
        return len(self._records) + self._frozen_count
