"""The records messages are built from: laid out inline, fields in order (see codec.py).

They are not messages themselves (no type code); `messages` re-exports them, so callers write
`messages.ProgramSpec` as for any message.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware_protocol.wire.codec import U8, U32


@dataclass(frozen=True, slots=True)
class StepSpec:
    start_s: float
    duration_s: float
    rate_ml_per_day: float


@dataclass(frozen=True, slots=True)
class PatientBolusSpec:
    volume_ml: float
    duration_s: float
    lockout_s: float
    max_per_24h: U8


@dataclass(frozen=True, slots=True)
class ProgramSpec:
    mode: str  # "stopped" | "continuous" | "flexible"
    rate_ml_per_day: float  # continuous mode
    period: str  # "daily" | "weekly" (flexible mode)
    steps: tuple[StepSpec, ...]
    patient_bolus: tuple[PatientBolusSpec, ...]  # none or one
    low_reservoir_alarm_ml: float


@dataclass(frozen=True, slots=True)
class DrugSpec:
    drug: str
    mcg_per_ml: float


@dataclass(frozen=True, slots=True)
class AlarmSpec:
    kind: str
    severity: str
    raised_at_s: float


@dataclass(frozen=True, slots=True)
class ViolationSpec:
    code: str
    message: str
    field: str


@dataclass(frozen=True, slots=True)
class WarningSpec:
    """A soft limit the program goes past: allowed only with an explicit override."""

    code: str
    message: str
    drug: str
    field: str


@dataclass(frozen=True, slots=True)
class ChangeSpec:
    field: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class DoseSpec:
    drug: str
    mcg: float


@dataclass(frozen=True, slots=True)
class LogRecordSpec:
    index: U32
    at_s: float
    kind: str
    details_json: str


@dataclass(frozen=True, slots=True)
class LibraryDrugSpec:
    """One drug of the pump's library: hard limits, and soft limits (absent: none)."""

    drug: str
    unit: str
    max_concentration_mcg_per_ml: float
    max_daily_dose_mcg: float
    patient_bolus_allowed: bool
    soft_max_daily_dose_mcg: float | None
    soft_max_starting_dose_mcg_per_day: float | None
    soft_max_increase_mcg_per_day: float | None
    soft_max_increases_per_week: float | None  # a whole number


@dataclass(frozen=True, slots=True)
class BridgeSpec:
    volume_ml: float
    rate_ml_per_day: float
    duration_s: float


@dataclass(frozen=True, slots=True)
class PatientDrugSpec:
    """One drug of a virtual patient: the daily dose it is stable on and how it responds.
    A withdrawal time of None: the drug has no such stage."""

    drug: str
    baseline_mcg_per_day: float
    half_life_s: float
    sensitivity: float
    withdrawal_onset_s: float | None
    withdrawal_serious_after_s: float | None
    withdrawal_life_threatening_after_s: float | None


@dataclass(frozen=True, slots=True)
class PatientSpec:
    label: str
    drugs: tuple[PatientDrugSpec, ...]


@dataclass(frozen=True, slots=True)
class ExposureSpec:
    """A drug's exposure relative to the patient's own steady state at its baseline (1.0)."""

    drug: str
    exposure: float
    band_low: float
    band_high: float
    baseline_mcg_per_day: float | None  # None: a drug the patient was never titrated on


@dataclass(frozen=True, slots=True)
class SignSpec:
    drug: str
    sign: str
    severity: str
    since_s: float
    began_s: float
    words: str


@dataclass(frozen=True, slots=True)
class SignChangeSpec:
    at_s: float
    drug: str
    sign: str
    severity: str  # "none": the sign has ended
