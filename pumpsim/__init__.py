"""pumpsim: a pure, event-driven model of an implanted intrathecal drug pump.

A simulator for engineering, testing and training; not a medical device, and no dosing advice.
Everything a caller needs is importable from here.
"""

from pumpsim.alarms import Alarm, AlarmKind, Severity
from pumpsim.config import BatteryConfig, PumpConfig, PumpVariant, valve_gated_config
from pumpsim.drugs import DEFAULT_LIBRARY, Drug, DrugConcentration, DrugLibrary, MassUnit, Mix
from pumpsim.errors import (
    ErrorCode,
    FaultRejectedError,
    InvalidInputError,
    MriRefusedError,
    NotAllowedNowError,
    ProgramRejectedError,
    PumpError,
    RefillSequenceError,
    TimeWentBackwardsError,
    UnknownDrugError,
)
from pumpsim.eventlog import EventLog, LogKind, LogRecord
from pumpsim.faults import (
    FAULT_TYPES,
    CatheterDislodgement,
    CatheterOcclusion,
    Fault,
    LowBatteryReset,
    MemoryReset,
    MotorStall,
    OverInfusionDrift,
    PocketFill,
    PrematureEri,
    TipGranuloma,
)
from pumpsim.program import (
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
from pumpsim.pump import Pump
from pumpsim.refill import BridgeOffer, FillResult, RefillVerdict, WithdrawResult
from pumpsim.status import (
    ActiveBolus,
    DeviceStatus,
    MotorState,
    MriPhase,
    PatientBolusOutcome,
    PhysicalState,
    Projections,
)
from pumpsim.trend import HourlyTrend
from pumpsim.validation import Violation, ViolationCode, validate_program

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
    "Continuous",
    "DeviceStatus",
    "Drug",
    "DrugConcentration",
    "DrugLibrary",
    "ErrorCode",
    "EventLog",
    "Fault",
    "FaultRejectedError",
    "FillResult",
    "FlexibleSchedule",
    "HourlyTrend",
    "InvalidInputError",
    "LogKind",
    "LogRecord",
    "LowBatteryReset",
    "MassUnit",
    "MemoryReset",
    "Mix",
    "MotorStall",
    "MotorState",
    "MriPhase",
    "MriRefusedError",
    "NotAllowedNowError",
    "OverInfusionDrift",
    "PatientBolusOutcome",
    "PatientBolusSettings",
    "PhysicalState",
    "PocketFill",
    "PrematureEri",
    "ProgramRejectedError",
    "Projections",
    "Pump",
    "PumpConfig",
    "PumpError",
    "PumpVariant",
    "RateConversion",
    "RefillSequenceError",
    "RefillVerdict",
    "SchedulePeriod",
    "Severity",
    "Step",
    "Stopped",
    "TherapyProgram",
    "TimeWentBackwardsError",
    "TipGranuloma",
    "UnknownDrugError",
    "Violation",
    "ViolationCode",
    "WithdrawResult",
    "dose_to_rate",
    "validate_program",
    "valve_gated_config",
]
