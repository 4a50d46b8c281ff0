"""A pump's whole state as versioned bytes, and back, exactly, holding values and nothing else.

Why: a firmware restart should not replay years of commands, and a test should be able to stop a
life anywhere and go on from a copy. The state is written by `pumpsim.data_codec` against the
table of types below (floats bit for bit, shared objects shared), behind a magic, a format version
and a CRC of the body. Reading builds pumpsim's types from that table by code: the bytes name no
class and no function, so a snapshot from elsewhere can fail to load but can run nothing.

Format 1 (0.1) was a pickle; it is refused with SNAPSHOT_FORMAT_OUTDATED, never read. Format 2
(0.2.0) is read still: it lacks only the virtual patient and the mismatched-refill fault, and a
pump from it comes back with neither. Format 3 lacks only the pump's own clock (a schedule on
running time), the world at the pump and the constant-flow drive: a pump from 2 or 3 comes back
with its clock at offset 0 (the firmware then sets it from its store), at 37 C and sea level.
Format 4 kept, for each drug in a patient, the region's levels and the envelope's bounds where 5
keeps what the patient's stretch reads of them per step of the flow (and its last pulse's decay,
and the pump what reached the patient per mL): a pump from 4 or 3 comes back with those worked
out again from the flow and the region, or left to the next stretch.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

from pumpsim import data_codec
from pumpsim.components.alarm_state import AlarmState
from pumpsim.components.battery import Battery
from pumpsim.components.boluses import Boluses
from pumpsim.components.fault_state import DriftLevel, FaultState, OcclusionLevel, Onset, StallEnd
from pumpsim.components.fluid_path import FluidPath, _Segment
from pumpsim.components.ledger import Ledger
from pumpsim.components.motor import Motor
from pumpsim.components.reservoir import Reservoir
from pumpsim.components.therapy import Therapy
from pumpsim.components.trend import TrendRecorder
from pumpsim.domain.alarms import Alarm, AlarmKind, Severity
from pumpsim.domain.config import BatteryConfig, PumpConfig, PumpVariant
from pumpsim.domain.drugs import Drug, DrugConcentration, DrugLibrary, MassUnit, Mix, SoftLimits
from pumpsim.domain.errors import SnapshotError, SnapshotOutdatedError
from pumpsim.domain.eventlog import EventLog, LogKind
from pumpsim.domain.faults import (
    CatheterDislodgement,
    CatheterOcclusion,
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
    BolusKind,
    Continuous,
    FlexibleSchedule,
    PatientBolusSettings,
    SchedulePeriod,
    Step,
    Stopped,
    TherapyProgram,
)
from pumpsim.domain.propellant import Conditions, PropellantDrive
from pumpsim.domain.refill import BridgeOffer, RefillVerdict
from pumpsim.domain.status import ActiveBolus, MotorState, MriPhase, PatientBolusOutcome
from pumpsim.engine.core import Core
from pumpsim.patient.profile import DrugResponse, PatientProfile
from pumpsim.patient.response import Response
from pumpsim.patient.signs import HarmSeverity, SignChange, SignKind
from pumpsim.patient.state import PatientState
from pumpsim.patient.tracker import DrugTrack
from pumpsim.rules.basal import BasalCurve

MAGIC = b"PUMPSNAP"
FORMAT_VERSION = 5
_HEADER = len(MAGIC) + 2 + 4  # magic, version, CRC-32 of the body

# The schema: every type a pump's state may hold, by place. Append only; a type whose fields
# change makes a new FORMAT_VERSION.
TYPES = data_codec.TypeTable(
    (
        Core,
        AlarmState,
        Battery,
        Boluses,
        FaultState,
        Onset,
        OcclusionLevel,
        DriftLevel,
        StallEnd,
        FluidPath,
        _Segment,
        Ledger,
        Motor,
        Reservoir,
        Therapy,
        TrendRecorder,
        BasalCurve,
        EventLog,
        Alarm,
        BatteryConfig,
        PumpConfig,
        Drug,
        DrugConcentration,
        DrugLibrary,
        Mix,
        SoftLimits,
        CatheterDislodgement,
        CatheterOcclusion,
        LowBatteryReset,
        MemoryReset,
        MotorStall,
        OverInfusionDrift,
        PocketFill,
        PrematureEri,
        TipGranuloma,
        Continuous,
        FlexibleSchedule,
        PatientBolusSettings,
        Step,
        Stopped,
        TherapyProgram,
        BridgeOffer,
        ActiveBolus,
        # enumerations
        AlarmKind,
        Severity,
        PumpVariant,
        MassUnit,
        LogKind,
        BolusKind,
        SchedulePeriod,
        RefillVerdict,
        MriPhase,
        PatientBolusOutcome,
        MotorState,
    )
)
_V2_TYPES = TYPES.types
TYPES = data_codec.TypeTable(
    (
        *_V2_TYPES,
        # format 3: the virtual patient, the mismatched refill
        PatientState,
        DrugTrack,
        PatientProfile,
        DrugResponse,
        SignChange,
        MismatchedRefill,
        SignKind,
        HarmSeverity,
        Response,
    )
)
_V3_TYPES = TYPES.types
TYPES = data_codec.TypeTable(
    (
        *_V3_TYPES,
        # format 4: the pump's own clock, the world at the pump, the constant-flow drive
        Conditions,
        PropellantDrive,
    )
)
# Fields each format added, by type: a format before reads without them.
_NEW_IN_3: dict[type, tuple[str, ...]] = {Core: ("patients",), FaultState: ("mismatch",)}
_NEW_IN_4: dict[type, tuple[str, ...]] = {
    Therapy: ("clock_offset_s", "running_basal"),
    Core: ("world",),
}  # and PumpConfig's drive: written as its state (a frozen dataclass), it reads short
_NEW_IN_5: dict[type, tuple[str, ...]] = {
    Core: ("reached", "reached_conc", "reached_share"),
    PatientState: ("reached",),
}
# And the fields of a type as format 4 held them, where 5 dropped some (read, then dropped).
_AS_IN_4: dict[type, tuple[str, ...]] = {
    DrugTrack: (
        "ahead_high",
        "ahead_low",
        "band_high",
        "band_low",
        "base_levels",
        "dev",
        "drug",
        "exposure",
        "g",
        "hi",
        "k_per_s",
        "last_sample_s",
        "levels",
        "lo",
        "low_since_s",
        "pending",
        "pieces",
        "quiet",
        "ref_s",
        "region",
        "risk_factor",
        "risk_s",
        "risk_until_s",
        "s",
        "samples",
        "scale",
        "severities",
        "stages",
        "unexpected",
        "wd_stage",
    )
}


def _older(*added: dict[type, tuple[str, ...]]) -> dict[type, tuple[str, ...]]:
    """The fields of the types format 4 held as it held them, less those `added` since."""
    fields = dict(_AS_IN_4)
    for table in added:
        for cls, names in table.items():
            fields[cls] = tuple(f for f in fields.get(cls, TYPES.fields[cls]) if f not in names)
    return fields


TYPES_V4 = data_codec.TypeTable(TYPES.types, _older(_NEW_IN_5))
TYPES_V3 = data_codec.TypeTable(_V3_TYPES, _older(_NEW_IN_5, _NEW_IN_4))
TYPES_V2 = data_codec.TypeTable(_V2_TYPES, _older(_NEW_IN_5, _NEW_IN_4, _NEW_IN_3))
_TABLES = {2: TYPES_V2, 3: TYPES_V3, 4: TYPES_V4, FORMAT_VERSION: TYPES}


def dumps(core: Core) -> bytes:
    """Not compressed: a restart waits on loading it, and the trend's floats hardly shrink."""
    try:
        body = data_codec.encode(core, TYPES)
    except data_codec.CodecError as e:  # a type or field the table lacks: a bug, said plainly
        raise SnapshotError(f"cannot write this state: {e}") from None
    header = MAGIC + FORMAT_VERSION.to_bytes(2, "big") + zlib.crc32(body).to_bytes(4, "big")
    return header + body


def loads(data: Any) -> Core:
    """The state `dumps` wrote; `SnapshotError` for anything else, before anything is built
    from bytes that fail their check."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SnapshotError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 2:
        raise SnapshotError("not a pumpsim snapshot")
    version = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 2], "big")
    if version < 2:
        raise SnapshotOutdatedError(
            f"snapshot format {version} (pumpsim 0.1, a pickle) is no longer read; "
            f"this pumpsim reads format {FORMAT_VERSION}"
        )
    if version not in _TABLES or len(data) < _HEADER:
        raise SnapshotError(f"snapshot format {version}; this pumpsim reads 2-{FORMAT_VERSION}")
    body = data[_HEADER:]
    if zlib.crc32(body) != int.from_bytes(data[len(MAGIC) + 2 : _HEADER], "big"):
        raise SnapshotError("corrupt snapshot: its checksum does not match")
    try:
        core = data_codec.decode(body, _TABLES[version])
    except data_codec.CodecError as e:
        raise SnapshotError(f"corrupt snapshot: {e}") from None
    if type(core) is not Core:
        raise SnapshotError("the snapshot does not hold a pump")
    if version == 2:
        core.patients = []
        if type(core.faults) is FaultState:
            core.faults.mismatch = None
    if version < 4 and type(core.therapy) is Therapy and type(core.config) is PumpConfig:
        core.therapy.clock_offset_s = 0.0
        core.therapy.running_basal = core.therapy.program.basal
        core.world = Conditions()
        object.__setattr__(core.config, "drive", PropellantDrive())
    if version < 5:
        core.reached, core.reached_conc, core.reached_share = {}, None, math.nan
    if version < 5 and type(core.patients) is list:
        try:
            for patient in core.patients:
                if type(patient) is PatientState:
                    patient.rederive()
        except (AttributeError, TypeError, ValueError, ArithmeticError, LookupError) as e:
            raise SnapshotError(f"corrupt snapshot: a patient that cannot go on ({e})") from None
    return core
