"""The simulator role's messages: moving virtual time, injecting faults, reading the model's
ground truth and the virtual patient. A real pump has none of them; a session of another role
is refused them (SIM_ONLY).
"""

from __future__ import annotations

from firmware_protocol.wire.codec import U16, U32, U64, appended
from firmware_protocol.wire.records import (
    DoseSpec,
    ExposureSpec,
    PatientSpec,
    SignChangeSpec,
    SignSpec,
)
from firmware_protocol.wire.registry import SIM_ONLY, message

# ---------------------------------------------------------------------- simulator control


@message(0x0300, SIM_ONLY, mutating=True)
class SimAdvance:
    txn: U64
    seconds: float


@message(0x0301, SIM_ONLY, mutating=True)
class SimSetSpeed:
    txn: U64
    acceleration: float  # 1 to 1,000,000 times real time
    paused: bool


@message(0x0302, SIM_ONLY, mutating=True)
class SimInjectFault:
    txn: U64
    fault_json: str  # {"kind": "MotorStall", "onset_s": ..., ...}; onset relative if "in_s"


@message(0x0303, SIM_ONLY)
class SimTruthRequest:
    pass


@message(0x0304, SIM_ONLY, reply=True)
class SimTruth:
    at_s: float
    reservoir_ml: float
    filled_ml: float
    withdrawn_ml: float
    pumped_ml: float
    delivered_ml: float
    misplaced_ml: float
    pocket_ml: float
    delivered: tuple[DoseSpec, ...]
    flow_factor: float
    dislodged: bool
    body_temperature_c: float = appended(4, 37.0)  # the world at the pump (SimSetConditions)
    ambient_pressure_kpa: float = appended(4, 101.325)


# The virtual patient (protocol 3): not telemetry, for the pump cannot know its patient; only
# the simulator role attaches and reads it.


@message(0x0305, SIM_ONLY, mutating=True, since=3)
class SimAttachPatient:
    """One patient, or a cohort meeting the same delivery; replaces any attached before."""

    txn: U64
    patients: tuple[PatientSpec, ...]


@message(0x0306, SIM_ONLY, since=3)
class SimPatientRequest:
    index: U16  # which of the attached patients (0: the first)


@message(0x0307, SIM_ONLY, reply=True, since=3)
class SimPatient:
    attached: bool  # False: no patient at that index
    index: U16
    patients: U16  # how many are attached
    label: str
    at_s: float
    worst: str  # the worst severity any sign reached since the patient was attached
    exposures: tuple[ExposureSpec, ...]
    signs_now: tuple[SignSpec, ...]
    timeline: tuple[SignChangeSpec, ...]  # the latest changes, oldest first
    timeline_total: U32  # how many changes there were in all


# The world at the pump (protocol 4): what drives a constant-flow pump's flow. A real pump is not
# told it; the simulator role sets it, as a scenario's fever, heating pad, flight or dive.


@message(0x0308, SIM_ONLY, mutating=True, since=4)
class SimSetConditions:
    txn: U64
    body_temperature_c: float  # at the pump: the body's, or a heating pad's over it (25-45)
    ambient_pressure_kpa: float  # sea level 101.325; a flight cabin about 75; 10 m down 200
