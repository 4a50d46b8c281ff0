"""What validation says of a program: violations that refuse it, warnings that need an override.

Kept apart from the rules themselves (`validation`, `soft_limits`) and from the errors that carry
them (`errors`), so that those can import these values without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ViolationCode(StrEnum):
    UNKNOWN_DRUG = "UNKNOWN_DRUG"
    DUPLICATE_DRUG = "DUPLICATE_DRUG"
    CONCENTRATION_INVALID = "CONCENTRATION_INVALID"
    CONCENTRATION_OVER_LIMIT = "CONCENTRATION_OVER_LIMIT"
    RATE_INVALID = "RATE_INVALID"
    RATE_BELOW_MINIMUM = "RATE_BELOW_MINIMUM"
    RATE_ABOVE_MAXIMUM = "RATE_ABOVE_MAXIMUM"
    RATE_OFF_RESOLUTION = "RATE_OFF_RESOLUTION"
    NO_STEPS = "NO_STEPS"
    TOO_MANY_STEPS = "TOO_MANY_STEPS"
    STEP_INVALID = "STEP_INVALID"
    STEP_OUTSIDE_PERIOD = "STEP_OUTSIDE_PERIOD"
    STEPS_UNORDERED = "STEPS_UNORDERED"
    STEPS_OVERLAP = "STEPS_OVERLAP"
    STEPS_GAP = "STEPS_GAP"
    DAILY_DOSE_OVER_LIMIT = "DAILY_DOSE_OVER_LIMIT"
    PATIENT_BOLUS_NOT_ALLOWED = "PATIENT_BOLUS_NOT_ALLOWED"
    PATIENT_BOLUS_INVALID = "PATIENT_BOLUS_INVALID"
    BOLUS_INVALID = "BOLUS_INVALID"
    BOLUS_RATE_ABOVE_MAXIMUM = "BOLUS_RATE_ABOVE_MAXIMUM"
    BOLUS_DOSE_OVER_LIMIT = "BOLUS_DOSE_OVER_LIMIT"
    LOW_RESERVOIR_ALARM_INVALID = "LOW_RESERVOIR_ALARM_INVALID"
    FILL_VOLUME_INVALID = "FILL_VOLUME_INVALID"


@dataclass(frozen=True, slots=True)
class Violation:
    code: ViolationCode
    message: str
    field: str = ""


class SoftLimitCode(StrEnum):
    """Why a program is above a soft limit: allowed, but only with an explicit override."""

    DOSE_ABOVE_SOFT_MAXIMUM = "DOSE_ABOVE_SOFT_MAXIMUM"
    STARTING_DOSE_ABOVE_LIMIT = "STARTING_DOSE_ABOVE_LIMIT"
    INCREASE_ABOVE_LIMIT = "INCREASE_ABOVE_LIMIT"
    TOO_MANY_INCREASES = "TOO_MANY_INCREASES"


@dataclass(frozen=True, slots=True)
class SoftLimitWarning:
    code: SoftLimitCode
    message: str
    drug: str
    field: str = ""
