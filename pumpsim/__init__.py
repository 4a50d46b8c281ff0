"""pumpsim: a pure, event-driven model of an implanted intrathecal drug pump.

A simulator for engineering, testing and training; not a medical device, and no dosing advice.
Everything a caller needs is importable from here. The folders are the layers, bottom up:
`domain` (values), `rules`, `components` and beside them the virtual `patient`, `engine`, then
`pump.py`, the facade; `testing` holds the fixed-step oracle. Modules imported by their pre-0.2
paths (`pumpsim.faults`) still load, with a DeprecationWarning (`moved.py`).
"""

from pumpsim.components.trend import HourlyTrend
from pumpsim.domain.alarms import Alarm, AlarmKind, Severity
from pumpsim.domain.config import (
    BatteryConfig,
    PumpConfig,
    PumpVariant,
    constant_flow_config,
    valve_gated_config,
)
from pumpsim.domain.drugs import (
    DEFAULT_LIBRARY,
    Drug,
    DrugConcentration,
    DrugLibrary,
    MassUnit,
    Mix,
    SoftLimits,
)
from pumpsim.domain.errors import (
    ClockOutOfRangeError,
    ErrorCode,
    FaultRejectedError,
    InvalidInputError,
    MriRefusedError,
    NoProgramOnThisPumpError,
    NotAllowedNowError,
    PatientRejectedError,
    ProgramRejectedError,
    PumpError,
    RefillSequenceError,
    SnapshotError,
    SoftLimitOverrideRequiredError,
    TimeWentBackwardsError,
    UnknownDrugError,
)
from pumpsim.domain.eventlog import EventLog, LogKind, LogRecord
from pumpsim.domain.faults import (
    FAULT_TYPES,
    CatheterDislodgement,
    CatheterOcclusion,
    Fault,
    LowBatteryReset,
    MemoryReset,
    MismatchedRefill,
    MotorStall,
    OverInfusionDrift,
    PocketFill,
    PrematureEri,
    TipGranuloma,
)
from pumpsim.domain.program import (
    BasalMode,
    BolusKind,
    Continuous,
    FlexibleSchedule,
    PatientBolusSettings,
    RateConversion,
    SchedulePeriod,
    Step,
    Stopped,
    TherapyProgram,
    dose_to_rate,
)
from pumpsim.domain.propellant import Conditions, PropellantDrive
from pumpsim.domain.refill import BridgeOffer, FillResult, RefillVerdict, WithdrawResult
from pumpsim.domain.status import (
    ActiveBolus,
    DeviceStatus,
    MotorState,
    MriPhase,
    PatientBolusOutcome,
    PhysicalState,
    Projections,
)
from pumpsim.domain.violations import SoftLimitCode, SoftLimitWarning, Violation, ViolationCode
from pumpsim.moved import alias_moved_modules
from pumpsim.patient.profile import DrugResponse, PatientProfile
from pumpsim.patient.signs import HarmSeverity, SignChange, SignKind
from pumpsim.patient.view import PatientView
from pumpsim.pump import Pump
from pumpsim.rules.validation import validate_program

__all__ = [
    "DEFAULT_LIBRARY",
    "FAULT_TYPES",
    "ActiveBolus",
    "Alarm",
    "AlarmKind",
    "BasalMode",
    "BatteryConfig",
    "BolusKind",
    "BridgeOffer",
    "CatheterDislodgement",
    "CatheterOcclusion",
    "ClockOutOfRangeError",
    "Conditions",
    "Continuous",
    "DeviceStatus",
    "Drug",
    "DrugConcentration",
    "DrugLibrary",
    "DrugResponse",
    "ErrorCode",
    "EventLog",
    "Fault",
    "FaultRejectedError",
    "FillResult",
    "FlexibleSchedule",
    "HarmSeverity",
    "HourlyTrend",
    "InvalidInputError",
    "LogKind",
    "LogRecord",
    "LowBatteryReset",
    "MassUnit",
    "MemoryReset",
    "MismatchedRefill",
    "Mix",
    "MotorStall",
    "MotorState",
    "MriPhase",
    "MriRefusedError",
    "NoProgramOnThisPumpError",
    "NotAllowedNowError",
    "OverInfusionDrift",
    "PatientBolusOutcome",
    "PatientBolusSettings",
    "PatientProfile",
    "PatientRejectedError",
    "PatientView",
    "PhysicalState",
    "PocketFill",
    "PrematureEri",
    "ProgramRejectedError",
    "Projections",
    "PropellantDrive",
    "Pump",
    "PumpConfig",
    "PumpError",
    "PumpVariant",
    "RateConversion",
    "RefillSequenceError",
    "RefillVerdict",
    "SchedulePeriod",
    "Severity",
    "SignChange",
    "SignKind",
    "SnapshotError",
    "SoftLimitCode",
    "SoftLimitOverrideRequiredError",
    "SoftLimitWarning",
    "SoftLimits",
    "Step",
    "Stopped",
    "TherapyProgram",
    "TimeWentBackwardsError",
    "TipGranuloma",
    "UnknownDrugError",
    "Violation",
    "ViolationCode",
    "WithdrawResult",
    "constant_flow_config",
    "dose_to_rate",
    "validate_program",
    "valve_gated_config",
]

_MOVED = {
    **{m: f"domain.{m}" for m in ("errors", "violations", "drugs", "program", "config")},
    **{m: f"domain.{m}" for m in ("faults", "alarms", "eventlog", "status", "refill")},
    **{m: f"rules.{m}" for m in ("validation", "soft_limits", "basal")},
    **{m: f"components.{m}" for m in ("battery", "reservoir", "fluid_path", "motor", "boluses")},
    **{m: f"components.{m}" for m in ("therapy", "alarm_state", "fault_state", "ledger", "trend")},
    **{m: f"engine.{m}" for m in ("core", "settle", "fault_effects", "occurrences", "snapshot")},
    "views": "engine.views",
    "commands": "engine.operations",
    "reference": "testing.reference",
}
alias_moved_modules(__name__, _MOVED)
