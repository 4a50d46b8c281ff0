"""The model's exception tree, each exception with a stable code.

Callers (the firmware, the programmer, scenario files) match on codes, never on message text, so a
code once published is never renamed. Every error is raised before any state changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pumpsim.domain.violations import SoftLimitWarning, Violation


class ErrorCode(StrEnum):
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    UNKNOWN_DRUG = "UNKNOWN_DRUG"
    TIME_WENT_BACKWARDS = "TIME_WENT_BACKWARDS"
    PROGRAM_REJECTED = "PROGRAM_REJECTED"
    NOT_ALLOWED_NOW = "NOT_ALLOWED_NOW"
    MRI_REQUIRES_EMPTY_RESERVOIR = "MRI_REQUIRES_EMPTY_RESERVOIR"
    REFILL_SEQUENCE = "REFILL_SEQUENCE"
    FAULT_REJECTED = "FAULT_REJECTED"
    SOFT_LIMIT_OVERRIDE_REQUIRED = "SOFT_LIMIT_OVERRIDE_REQUIRED"
    SNAPSHOT_INVALID = "SNAPSHOT_INVALID"
    SNAPSHOT_FORMAT_OUTDATED = "SNAPSHOT_FORMAT_OUTDATED"
    PATIENT_REJECTED = "PATIENT_REJECTED"
    CLOCK_OUT_OF_RANGE = "CLOCK_OUT_OF_RANGE"
    NO_PROGRAM_ON_THIS_PUMP = "NO_PROGRAM_ON_THIS_PUMP"


class PumpError(Exception):
    """Base of every error the model raises on purpose."""

    code: ErrorCode = ErrorCode.INVALID_ARGUMENT

    def __init__(self, message: str) -> None:
        super().__init__(f"{self.code}: {message}")
        self.message = message


class InvalidInputError(PumpError, ValueError):
    """A value that can never be right: negative volume, NaN, wrong type."""

    code = ErrorCode.INVALID_ARGUMENT


class UnknownDrugError(PumpError, KeyError):
    code = ErrorCode.UNKNOWN_DRUG

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return f"{self.code}: {self.message}"


class TimeWentBackwardsError(PumpError, ValueError):
    code = ErrorCode.TIME_WENT_BACKWARDS


class NotAllowedNowError(PumpError):
    """A well-formed command the pump refuses in its present state (e.g. a bolus during MRI)."""

    code = ErrorCode.NOT_ALLOWED_NOW


class MriRefusedError(NotAllowedNowError):
    code = ErrorCode.MRI_REQUIRES_EMPTY_RESERVOIR


class RefillSequenceError(NotAllowedNowError):
    code = ErrorCode.REFILL_SEQUENCE


class FaultRejectedError(PumpError):
    code = ErrorCode.FAULT_REJECTED


class ProgramRejectedError(PumpError):
    """The pump's validation found one or more violations; all of them are listed."""

    code = ErrorCode.PROGRAM_REJECTED

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        summary = "; ".join(f"{v.code}: {v.message}" for v in self.violations)
        super().__init__(summary or "rejected")


class SoftLimitOverrideRequiredError(PumpError):
    """The program is within the hard limits but above a soft one; confirm with an override."""

    code = ErrorCode.SOFT_LIMIT_OVERRIDE_REQUIRED

    def __init__(self, warnings: Sequence[SoftLimitWarning]) -> None:
        self.warnings: tuple[SoftLimitWarning, ...] = tuple(warnings)
        summary = "; ".join(f"{w.code}: {w.message}" for w in self.warnings)
        super().__init__(summary or "override required")


class SnapshotError(PumpError, ValueError):
    """Bytes that are not a snapshot this version of pumpsim can restore."""

    code = ErrorCode.SNAPSHOT_INVALID


class SnapshotOutdatedError(SnapshotError):
    """A snapshot in a format this pumpsim no longer reads (0.1's pickles): refused, not read."""

    code = ErrorCode.SNAPSHOT_FORMAT_OUTDATED


class PatientRejectedError(PumpError, ValueError):
    """A virtual patient that cannot be built: an unknown drug, a baseline of zero or below, a
    cohort size outside 1-1000, a parameter out of its range."""

    code = ErrorCode.PATIENT_REJECTED


class ClockOutOfRangeError(PumpError, ValueError):
    """A clock the pump's calendar cannot show (before 2000, from 2100 on), or not a number."""

    code = ErrorCode.CLOCK_OUT_OF_RANGE


class NoProgramOnThisPumpError(NotAllowedNowError):
    """A program, bolus or MRI mode sent to a constant-flow pump, which has none: its dose is
    changed only by refilling with another concentration."""

    code = ErrorCode.NO_PROGRAM_ON_THIS_PUMP
