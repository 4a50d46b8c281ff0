"""Every message on the wire, as data: one frozen dataclass each, registered with its type code.

`MESSAGES` maps a type code to its class; `Spec` says who may send it and whether it changes the
pump (then it carries a transaction id and the firmware answers a repeat with the stored result).
The codec, the firmware's role checks and the docs' message table all read this one table
(`registry`); the simulator role's messages are declared in `simulator` and named here too.
"""

from __future__ import annotations

from firmware_protocol.wire.codec import U8, U16, U32, U64, appended
from firmware_protocol.wire.records import (
    AlarmSpec,
    BridgeSpec,
    ChangeSpec,
    DoseSpec,
    DrugSpec,
    ExposureSpec,
    LibraryDrugSpec,
    LogRecordSpec,
    PatientBolusSpec,
    PatientDrugSpec,
    PatientSpec,
    ProgramSpec,
    SignChangeSpec,
    SignSpec,
    StepSpec,
    ViolationSpec,
    WarningSpec,
)
from firmware_protocol.wire.vocabulary import Role, WireError

# Re-exported: callers name them as messages.Role, messages.ProgramSpec, ...
__all__ = [
    "ALL_ROLES",
    "CLINICAL",
    "MESSAGES",
    "SIM_ONLY",
    "SPECS",
    "AlarmSpec",
    "BridgeSpec",
    "ChangeSpec",
    "DoseSpec",
    "DrugSpec",
    "ExposureSpec",
    "LibraryDrugSpec",
    "LogRecordSpec",
    "PatientBolusSpec",
    "PatientDrugSpec",
    "PatientSpec",
    "ProgramSpec",
    "Role",
    "SignChangeSpec",
    "SignSpec",
    "SimAdvance",
    "SimAttachPatient",
    "SimInjectFault",
    "SimPatient",
    "SimPatientRequest",
    "SimSetConditions",
    "SimSetSpeed",
    "SimTruth",
    "SimTruthRequest",
    "Spec",
    "StepSpec",
    "ViolationSpec",
    "WarningSpec",
    "WireError",
    "message",
    "spec_of",
]


# The registry lives in `registry` so that `simulator` can register its messages too.
from firmware_protocol.wire.registry import (
    ALL_ROLES,
    CLINICAL,
    MESSAGES,
    SIM_ONLY,
    SPECS,
    Spec,
    message,
    spec_of,
)

# -------------------------------------------------------------------------------- handshake


@message(0x0001, handshake=True)
class Hello:
    role: str
    device_id: str
    nonce: bytes
    protocol_version: U16 = appended(2, 1)  # the newest version the programmer speaks


@message(0x0002, handshake=True, reply=True)
class Challenge:
    session: U32
    pump_id: str
    nonce: bytes
    proof: bytes  # HMAC(role key, "pump" | both nonces | session): the pump proves itself


@message(0x0003, handshake=True)
class Auth:
    session: U32
    proof: bytes  # HMAC(role key, "programmer" | both nonces | session)


@message(0x0004, handshake=True, reply=True)
class AuthOk:
    session: U32
    role: str
    idle_timeout_s: float
    max_session_s: float
    simulator_available: bool
    protocol_version: U16 = appended(2, 1)  # the version this session speaks (sealed: no downgrade)


@message(0x0005, handshake=True, reply=True)
class AuthFailed:
    code: str
    message: str
    retry_after_s: float


# ---------------------------------------------------------------------- replies in general


@message(0x0010, reply=True)
class ErrorReply:
    request_type: U16
    txn: U64
    code: str
    message: str
    violations: tuple[ViolationSpec, ...]


@message(0x0011, reply=True)
class Done:
    txn: U64
    detail: str


@message(0x0012)
class Bye:
    pass


@message(0x0013)
class Ping:
    token: U32


@message(0x0014, reply=True)
class Pong:
    token: U32
    sim_time_s: float


# ------------------------------------------------------------------------ reading the pump


@message(0x0100, CLINICAL)
class Interrogate:
    """A telemetry interrogation: costs battery, is logged, releases a post-MRI hold."""


@message(0x0101, reply=True)
class Status:
    at_s: float
    pump_id: str
    variant: str
    program: ProgramSpec
    mix: tuple[DrugSpec, ...]
    reservoir_ml: float
    reservoir_capacity_ml: float
    commanded_rate_ml_per_day: float
    bolus_kind: str  # "" when none
    bolus_ends_at_s: float | None
    patient_bolus_ends_at_s: float | None
    motor: str
    mri: str
    battery_mah: float
    battery_capacity_mah: float
    eri_at_s: float | None
    end_of_service_at_s: float | None
    alarms: tuple[AlarmSpec, ...]
    refill_in_progress: bool
    last_interrogated_at_s: float | None
    refill_due_at_s: float | None
    projected_low_reservoir_at_s: float | None
    projected_empty_at_s: float | None
    projected_eri_at_s: float | None
    log_first_index: U32
    log_next_index: U32
    log_overflow: U32
    clock_offset_s: float
    acceleration: float
    paused: bool
    simulator_available: bool
    patient_bolus_next_at_s: float | None = appended(2, None)  # None: no patient bolus programmed
    patient_boluses_left_24h: U8 = appended(2, 0)


@message(0x0106)
class ReadStatus:
    """Status without the side effects of an interrogation (no battery cost, no log record)."""


@message(0x0107, since=2)
class ReadDescription:
    """What the pump is and what it allows: a programmer checks its forms against these, so its
    verdict and the pump's agree (a 20 mL pump, a valve-gated one, another drug library)."""


@message(0x0108, reply=True, since=2)
class PumpDescription:
    variant: str
    reservoir_capacity_ml: float
    min_rate_ml_per_day: float
    max_rate_ml_per_day: float
    rate_resolution_ml_per_day: float
    max_schedule_steps_per_day: U16
    default_low_reservoir_alarm_ml: float
    drugs: tuple[LibraryDrugSpec, ...]  # a library fills several: `more` until the last
    more: bool
    factory_rate_ml_per_day: float = appended(4, 0.0)  # a constant-flow pump's; 0: programmable


@message(0x0102, CLINICAL)
class ReadLog:
    since_index: U32
    max_records: U32


@message(0x0103, CLINICAL, reply=True)
class LogChunk:
    first_index: U32
    next_index: U32
    overflow: U32
    records: tuple[LogRecordSpec, ...]
    more: bool


@message(0x0109, CLINICAL, since=2)
class ReadLogSeal:
    """The pump's seal of one record of its log: to check a downloaded run of records ending
    there, from the chain value before `first_index` (docs/security.md)."""

    first_index: U32
    index: U32


@message(0x010A, CLINICAL, reply=True, since=2)
class LogSeal:
    first_index: U32
    anchor: bytes  # the chain value before record first_index (32 zero bytes before record 0)
    index: U32
    value: bytes  # the chain value after record `index`
    signature: bytes  # Ed25519, by the pump's key, over (pump id, index, value)


@message(0x0104, CLINICAL)
class ReadTrend:
    start_s: float
    end_s: float


@message(0x0105, CLINICAL, reply=True)
class TrendChunk:
    hour_start_s: float  # of the first row in this chunk
    rows: U32
    total_rows: U32
    drugs: tuple[str, ...]
    # Per row: delivered_ml, reservoir_expected_ml, battery_mah, then mcg per drug (float64 BE).
    data: bytes
    more: bool


# -------------------------------------------------------------------- changing the therapy


@message(0x0200, CLINICAL)
class StageProgram:
    program: ProgramSpec


@message(0x0201, CLINICAL, reply=True)
class ProgramReview:
    stage_id: U32
    accepted: bool  # False: violations below, nothing staged
    violations: tuple[ViolationSpec, ...]
    changes: tuple[ChangeSpec, ...]
    old_daily: tuple[DoseSpec, ...]
    new_daily: tuple[DoseSpec, ...]
    # Soft limits: confirming needs override_soft_limits.
    warnings: tuple[WarningSpec, ...] = appended(2, ())


@message(0x0202, CLINICAL, mutating=True)
class ConfirmProgram:
    txn: U64
    stage_id: U32
    # The clinician has seen the review's warnings and goes ahead.
    override_soft_limits: bool = appended(2, False)


@message(0x0210, CLINICAL, mutating=True)
class ClinicianBolus:
    txn: U64
    volume_ml: float
    duration_s: float


@message(0x0211, CLINICAL, mutating=True)
class PrimingBolus:
    txn: U64
    volume_ml: float | None  # None: the tubing and catheter dead volume


@message(0x0212, CLINICAL, mutating=True)
class BridgeBolus:
    txn: U64


@message(0x0213, CLINICAL, mutating=True)
class CancelBolus:
    txn: U64


@message(0x0214, CLINICAL, reply=True)
class BolusStarted:
    txn: U64
    kind: str
    volume_ml: float
    rate_ml_per_day: float
    ends_at_s: float


@message(0x0220, ALL_ROLES, mutating=True)
class PatientBolusRequest:
    txn: U64


@message(0x0221, ALL_ROLES, reply=True)
class PatientBolusResult:
    txn: U64
    outcome: str


@message(0x0230, CLINICAL, mutating=True)
class RefillWithdraw:
    txn: U64


@message(0x0231, CLINICAL, reply=True)
class WithdrawResult:
    txn: U64
    withdrawn_ml: float
    expected_ml: float
    tolerance_ml: float
    verdict: str


@message(0x0232, CLINICAL, mutating=True)
class RefillFill:
    txn: U64
    volume_ml: float
    mix: tuple[DrugSpec, ...]
    program: tuple[ProgramSpec, ...]  # none (keep the program) or one
    refill_due_at_s: float | None
    override_soft_limits: bool = appended(2, False)


@message(0x0233, CLINICAL, reply=True)
class FillResult:
    txn: U64
    volume_ml: float
    bridge: tuple[BridgeSpec, ...]


@message(0x0240, CLINICAL, mutating=True)
class MriEnter:
    txn: U64


@message(0x0241, CLINICAL, mutating=True)
class MriExit:
    txn: U64


@message(0x0250, CLINICAL, mutating=True)
class AcknowledgeAlarms:
    txn: U64
    kinds: tuple[str, ...]  # empty: all


@message(0x0251, CLINICAL, mutating=True)
class SetClock:
    txn: U64
    clock_offset_s: float  # added to simulated time for the device's displayed clock


@message(0x0260, ALL_ROLES)
class TxnQuery:
    txn: U64


@message(0x0261, ALL_ROLES, reply=True)
class TxnStatus:
    txn: U64
    known: bool
    response_type: U16
    response: bytes  # the stored reply's payload, exactly as first sent


# The simulator's messages, in their own module; registered (and named here) all the same.
from firmware_protocol.wire.simulator import (  # noqa: E402
    SimAdvance,
    SimAttachPatient,
    SimInjectFault,
    SimPatient,
    SimPatientRequest,
    SimSetConditions,
    SimSetSpeed,
    SimTruth,
    SimTruthRequest,
)
