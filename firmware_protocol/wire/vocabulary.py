"""Closed sets of names the wire carries outside the message table: roles and wire error codes.

The model's own codes (`pumpsim.ErrorCode`, `ViolationCode`, `SoftLimitCode`) travel as they are.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLINICIAN = "clinician"  # the clinician programmer: everything a clinic does
    PATIENT = "patient"  # the patient's handheld: a bolus request within limits, and status
    SIMULATOR = "simulator"  # clinician rights plus time and fault control (simulator only)


class WireError(StrEnum):
    """Codes of the ERROR message. The model's own codes (pumpsim.ErrorCode) travel as they are."""

    MALFORMED_MESSAGE = "MALFORMED_MESSAGE"
    UNKNOWN_MESSAGE = "UNKNOWN_MESSAGE"
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    ROLE_FORBIDDEN = "ROLE_FORBIDDEN"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    AUTH_FAILED = "AUTH_FAILED"
    AUTH_BACKOFF = "AUTH_BACKOFF"
    STAGE_UNKNOWN = "STAGE_UNKNOWN"
    TXN_REUSED = "TXN_REUSED"
    SIMULATOR_DISABLED = "SIMULATOR_DISABLED"
    PUMP_BUSY = "PUMP_BUSY"  # another programmer holds the pump: sent in clear, then closed
    INTERNAL = "INTERNAL"
    KEY_REVOKED = "KEY_REVOKED"  # the device's key was revoked or rotated: pair it again
    LOG_INDEX_NOT_HELD = "LOG_INDEX_NOT_HELD"  # a seal asked for a record the log does not hold
    PROTOCOL_VERSION_UNSUPPORTED = "PROTOCOL_VERSION_UNSUPPORTED"  # no version both sides speak
