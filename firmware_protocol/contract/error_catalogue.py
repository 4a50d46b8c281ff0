"""Every error code a programmer can meet on the wire: its stable number and when it arises.

The wire carries the code as a string; the number is for implementations that keep codes in an
enum (wire errors from 1, the model's errors from 100, program violations from 200, soft-limit
warnings from 300; new codes are only ever appended). The sentences are the spec's: the schema
(`pumpsim spec --json`) and docs/protocol.md are both generated from this table, and a test fails
if an enum gains a code without one.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware_protocol.wire.vocabulary import WireError
from pumpsim import ErrorCode, SoftLimitCode, ViolationCode


@dataclass(frozen=True)
class ErrorEntry:
    code: str
    number: int
    source: str  # "wire", "model", "violation", "soft_limit"
    carried_in: str  # which field of which message
    when: str


WIRE_WHEN: dict[WireError, str] = {
    WireError.MALFORMED_MESSAGE: "a payload does not decode as its message type, or a value is "
    "outside what the message allows (a non-finite number, a program the model cannot read)",
    WireError.UNKNOWN_MESSAGE: "the message type is not in the table, or goes the wrong way",
    WireError.NOT_AUTHENTICATED: "a request other than Hello/Auth arrives before a session; "
    "sent in clear text",
    WireError.ROLE_FORBIDDEN: "the session's role may not send this request (see roles per "
    "message)",
    WireError.SESSION_EXPIRED: "a sealed frame names a session the pump no longer has (idle or "
    "too long, or the pump restarted); sent in clear text: authenticate again",
    WireError.AUTH_FAILED: "in AuthFailed: unknown device, wrong proof, or a session id that "
    "does not match the challenge",
    WireError.AUTH_BACKOFF: "in AuthFailed: three failed authentications in a row; new handshakes "
    "are ignored for retry_after_s (1, 2, 4 ... 60 s)",
    WireError.STAGE_UNKNOWN: "ConfirmProgram names a stage id this session has not staged (or "
    "staged before a newer StageProgram)",
    WireError.TXN_REUSED: "a known transaction id arrives with a different request",
    WireError.SIMULATOR_DISABLED: "in AuthFailed: a Hello for the simulator role reaches a pump "
    "served without --simulator",
    WireError.PUMP_BUSY: "another programmer holds the pump (TCP): sent in clear text, then the "
    "connection is closed",
    WireError.INTERNAL: "the firmware failed while handling a request (a bug, or its memory "
    "could not be written): a command not stored was not applied; reconnect, ask TxnQuery",
    WireError.KEY_REVOKED: "in AuthFailed: a Hello from a device whose key was revoked or "
    "replaced (`pumpsim pair --revoke` / `--rotate`); counts as a failed authentication",
    WireError.LOG_INDEX_NOT_HELD: "ReadLogSeal names a record the log no longer (or does not "
    "yet) hold",
    WireError.PROTOCOL_VERSION_UNSUPPORTED: "in AuthFailed: the Hello's protocol_version is "
    "older than any this pump serves",
}

MODEL_WHEN: dict[ErrorCode, str] = {
    ErrorCode.INVALID_ARGUMENT: "a value that can never be right: negative volume, NaN, a "
    "duration of zero",
    ErrorCode.UNKNOWN_DRUG: "a mix names a drug the pump's library does not hold",
    ErrorCode.TIME_WENT_BACKWARDS: "a simulator request would move the pump's clock backwards",
    ErrorCode.PROGRAM_REJECTED: "a program or fill breaks a hard limit; the violations list says "
    "which, each with its own code",
    ErrorCode.NOT_ALLOWED_NOW: "the request does not fit the pump's state: a bolus while the "
    "motor is stalled or during MRI, a command after end of service",
    ErrorCode.MRI_REQUIRES_EMPTY_RESERVOIR: "MRI-safe mode asked of a pump whose variant "
    "(valve-gated) must have its reservoir emptied first",
    ErrorCode.REFILL_SEQUENCE: "RefillFill without a RefillWithdraw before it, or a withdraw "
    "while one is open",
    ErrorCode.FAULT_REJECTED: "SimInjectFault with a fault the model cannot take (bad "
    "parameters, onset in the past)",
    ErrorCode.SOFT_LIMIT_OVERRIDE_REQUIRED: "ConfirmProgram or RefillFill would cross a soft "
    "limit without override_soft_limits; the violations list carries the warnings' codes",
    ErrorCode.SNAPSHOT_INVALID: "never on the wire: a stored pump snapshot that fails to load",
    ErrorCode.SNAPSHOT_FORMAT_OUTDATED: "never on the wire: a stored snapshot in a format this "
    "pumpsim no longer reads (0.1's pickles); the firmware starts as after a memory reset",
    ErrorCode.PATIENT_REJECTED: "SimAttachPatient with a virtual patient the model cannot take "
    "(a drug the library lacks, a baseline of zero or below, a parameter out of range)",
    ErrorCode.CLOCK_OUT_OF_RANGE: "SetClock with an offset that is not a number, or that would "
    "show a time before 2000-01-01 or from 2100-01-01 on; the clock is unchanged",
    ErrorCode.NO_PROGRAM_ON_THIS_PUMP: "a program, bolus or MRI mode asked of a constant-flow "
    "pump, which has none (its dose changes only by refilling with another concentration)",
}

VIOLATION_WHEN: dict[ViolationCode, str] = {
    ViolationCode.UNKNOWN_DRUG: "the mix names a drug the library does not hold",
    ViolationCode.DUPLICATE_DRUG: "the mix names a drug twice",
    ViolationCode.CONCENTRATION_INVALID: "a concentration is not a positive finite number",
    ViolationCode.CONCENTRATION_OVER_LIMIT: "a concentration is above the drug's maximum",
    ViolationCode.RATE_INVALID: "a rate is not a finite number of at least zero",
    ViolationCode.RATE_BELOW_MINIMUM: "a rate above zero is below the pump's minimum",
    ViolationCode.RATE_ABOVE_MAXIMUM: "a rate is above the pump's maximum",
    ViolationCode.RATE_OFF_RESOLUTION: "a rate is not a multiple of the pump's rate resolution",
    ViolationCode.NO_STEPS: "a flexible program has no steps",
    ViolationCode.TOO_MANY_STEPS: "a flexible program has more steps than the pump holds",
    ViolationCode.STEP_INVALID: "a step has a negative start or a duration of zero or less",
    ViolationCode.STEP_OUTSIDE_PERIOD: "a step ends after its period (a day, or a week)",
    ViolationCode.STEPS_UNORDERED: "steps are not in order of start",
    ViolationCode.STEPS_OVERLAP: "two steps overlap",
    ViolationCode.STEPS_GAP: "the steps leave part of the period uncovered",
    ViolationCode.DAILY_DOSE_OVER_LIMIT: "a day's dose of a drug (basal plus every patient "
    "bolus allowed) is above the drug's daily maximum",
    ViolationCode.PATIENT_BOLUS_NOT_ALLOWED: "patient boluses are set for a drug or pump that "
    "does not allow them",
    ViolationCode.PATIENT_BOLUS_INVALID: "a patient bolus volume, duration, lockout or count "
    "is out of range",
    ViolationCode.BOLUS_INVALID: "a bolus volume or duration is out of range",
    ViolationCode.BOLUS_RATE_ABOVE_MAXIMUM: "a bolus would run faster than the pump's maximum",
    ViolationCode.BOLUS_DOSE_OVER_LIMIT: "a bolus would deliver more of a drug than its "
    "single-bolus maximum",
    ViolationCode.LOW_RESERVOIR_ALARM_INVALID: "the low-reservoir threshold is outside the "
    "reservoir",
    ViolationCode.FILL_VOLUME_INVALID: "a fill volume is zero or more than the reservoir holds",
}

SOFT_LIMIT_WHEN: dict[SoftLimitCode, str] = {
    SoftLimitCode.DOSE_ABOVE_SOFT_MAXIMUM: "a day's dose of a drug is above its soft maximum",
    SoftLimitCode.STARTING_DOSE_ABOVE_LIMIT: "a drug starts above its advised starting dose",
    SoftLimitCode.INCREASE_ABOVE_LIMIT: "a day's dose rises more than the drug's step allows, "
    "in one change or from one day to the next of a weekly pattern",
    SoftLimitCode.TOO_MANY_INCREASES: "more raises of a drug in 7 days (or in a weekly pattern) "
    "than its label advises",
}


def entries() -> list[ErrorEntry]:
    out = [
        ErrorEntry(str(c), 1 + i, "wire", "ErrorReply.code, AuthFailed.code", WIRE_WHEN[c])
        for i, c in enumerate(WireError)
    ]
    out += [
        ErrorEntry(str(c), 100 + i, "model", "ErrorReply.code", MODEL_WHEN[c])
        for i, c in enumerate(ErrorCode)
    ]
    out += [
        ErrorEntry(str(c), 200 + i, "violation", "ViolationSpec.code", VIOLATION_WHEN[c])
        for i, c in enumerate(ViolationCode)
    ]
    out += [
        ErrorEntry(
            str(c),
            300 + i,
            "soft_limit",
            "WarningSpec.code, ViolationSpec.code",
            SOFT_LIMIT_WHEN[c],
        )
        for i, c in enumerate(SoftLimitCode)
    ]
    return out
