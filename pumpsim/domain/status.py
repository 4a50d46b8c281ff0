"""Snapshots a caller reads from a pump: what the device reports, and the simulator's ground truth.

They are two types on purpose. `DeviceStatus` is what telemetry could tell a programmer: the pump's
own reckoning of its reservoir, its alarms, its battery. `PhysicalState` is what really happened
(true reservoir volume, drug that reached the spine or did not) and exists only because this is a
simulator; a programmer never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pumpsim.domain.alarms import Alarm
from pumpsim.domain.config import PumpVariant
from pumpsim.domain.drugs import Mix
from pumpsim.domain.program import BolusKind, TherapyProgram


class MotorState(StrEnum):
    RUNNING = "running"
    IDLE = "idle"  # nothing commanded (stopped program)
    STALLED = "stalled"  # a rotor that will not turn (fault or MRI)
    END_OF_SERVICE = "end_of_service"


class MriPhase(StrEnum):
    OFF = "off"
    SCANNING = "scanning"  # in MRI-safe mode: infusion suspended
    RECOVERING = "recovering"  # scan over, motor not yet back
    AWAITING_INTERROGATION = "awaiting_interrogation"  # alarmed during MRI


class PatientBolusOutcome(StrEnum):
    GRANTED = "granted"
    DENIED_NOT_PROGRAMMED = "denied_not_programmed"
    DENIED_LOCKOUT = "denied_lockout"
    DENIED_MAX_PER_24H = "denied_max_per_24h"
    DENIED_NOT_INFUSING = "denied_not_infusing"
    DENIED_BOLUS_ACTIVE = "denied_bolus_active"


@dataclass(frozen=True, slots=True)
class ActiveBolus:
    kind: BolusKind
    volume_ml: float
    rate_ml_per_day: float
    started_at_s: float
    ends_at_s: float


@dataclass(frozen=True, slots=True)
class Projections:
    """Dates under the current program, from the pump's own reckoning (None: never)."""

    low_reservoir_at_s: float | None
    empty_at_s: float | None
    eri_at_s: float | None
    end_of_service_at_s: float | None


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    at_s: float
    variant: PumpVariant
    program: TherapyProgram
    mix: Mix
    reservoir_ml: float
    reservoir_capacity_ml: float
    commanded_rate_ml_per_day: float
    active_bolus: ActiveBolus | None
    patient_bolus: ActiveBolus | None
    motor: MotorState
    mri: MriPhase
    battery_mah: float
    battery_capacity_mah: float
    eri_at_s: float | None
    end_of_service_at_s: float | None
    alarms: tuple[Alarm, ...]
    refill_in_progress: bool
    last_interrogated_at_s: float | None
    refill_due_at_s: float | None
    log_next_index: int
    # What the patient's handheld shows: the earliest a bolus request can be granted (None: no
    # patient bolus programmed) and how many the 24-hour cap still allows.
    patient_bolus_next_at_s: float | None = None
    patient_boluses_left_24h: int = 0


@dataclass(frozen=True, slots=True)
class PhysicalState:
    at_s: float
    reservoir_ml: float
    filled_ml: float  # into the reservoir, ever
    withdrawn_ml: float
    pumped_ml: float  # left the reservoir
    commanded_ml: float  # the pump's belief of the same
    delivered_ml: float  # reached the intrathecal space
    misplaced_ml: float  # left the catheter elsewhere (dislodged)
    pocket_ml: float  # injected into the pocket at refill
    delivered_mcg: dict[str, float]
    misplaced_mcg: dict[str, float]
    pocket_mcg: dict[str, float]
    flow_factor: float  # true flow / commanded flow right now
    occlusion_fraction: float
    dislodged: bool
    battery_age_s: float
