"""What each fault does to the pump when its onset comes, and the later steps of a ramp.

The fault types (`faults.py`) describe what goes wrong physically; this module decides what
follows and what the device itself notices (most catheter faults it cannot: ../shared/domain.md).
"""

from __future__ import annotations

import math

from pumpsim.components.fault_state import Action, DriftLevel, OcclusionLevel, Onset, StallEnd
from pumpsim.domain.alarms import AlarmKind
from pumpsim.domain.eventlog import LogKind
from pumpsim.domain.faults import (
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
    ramp_levels,
)
from pumpsim.domain.program import Continuous, Stopped, TherapyProgram
from pumpsim.engine.core import Core
from pumpsim.engine.occurrences import abort_boluses, raise_alarm

EPS_T = 1e-6


def apply(c: Core, action: Action) -> None:
    c.dirty = True
    if isinstance(action, Onset):
        onset(c, action.fault)
    elif isinstance(action, OcclusionLevel):
        c.faults.set_occlusion(action.key, action.delivered_fraction)
    elif isinstance(action, DriftLevel):
        c.faults.set_drift(action.key, action.factor)
    elif c.motor.stall_until_s - EPS_T <= c.now:
        # A stall's end; a later, longer stall may have pushed stall_until_s on (then stale).
        c.motor.stall_until_s = -math.inf
        c.ledger.log.append(c.now, LogKind.MOTOR_STALL_RECOVERY, cause="fault")


def onset(c: Core, fault: Fault) -> None:
    now, fs, log = c.now, c.faults, c.ledger.log
    key = fs.next_key()  # names this fault's contribution to the flow factor
    if isinstance(fault, CatheterOcclusion):
        fs.set_occlusion(key, fault.delivered_fraction)
    elif isinstance(fault, TipGranuloma):
        for k, level in enumerate(ramp_levels(1.0, fault.final_fraction, fault.steps), 1):
            fs.schedule(now + fault.growth_s * k / fault.steps, OcclusionLevel(key, level))
    elif isinstance(fault, OverInfusionDrift):
        for k, level in enumerate(ramp_levels(1.0, fault.final_factor, fault.steps), 1):
            fs.schedule(now + fault.ramp_s * k / fault.steps, DriftLevel(key, level))
    elif isinstance(fault, CatheterDislodgement):
        fs.dislodged = True
    elif isinstance(fault, MotorStall):
        _stall(c, fault)
    elif isinstance(fault, PrematureEri):
        if c.bat.eri_at_s is None and c.bat.eos_at_s is None:
            c.bat.eri_at_s = now
            log.append(now, LogKind.ELECTIVE_REPLACEMENT, premature=True)
    elif isinstance(fault, LowBatteryReset):
        abort_boluses(c, "low_battery_reset")
        program = c.therapy.program
        stopped = isinstance(program.basal, Stopped)
        if not stopped:
            minimum = Continuous(c.config.min_rate_ml_per_day)
            c.use_program(TherapyProgram(minimum, None, program.low_reservoir_alarm_ml))
        rate = 0.0 if stopped else c.config.min_rate_ml_per_day
        log.append(now, LogKind.LOW_BATTERY_RESET, rate_ml_per_day=rate)
        raise_alarm(c, AlarmKind.LOW_BATTERY_RESET)
    elif isinstance(fault, PocketFill):
        fs.pocket_armed = True
    elif isinstance(fault, MismatchedRefill):
        fs.mismatch = fault
    elif isinstance(fault, MemoryReset):
        reset_to_safe_state(c)


def reset_to_safe_state(c: Core, lost: str = "") -> None:
    """A memory the pump cannot trust: stopped, the reset logged (with what was `lost`, when the
    firmware can say), and the memory-error alarm raised."""
    abort_boluses(c, "memory_reset")
    c.use_program(TherapyProgram(low_reservoir_alarm_ml=c.config.default_low_reservoir_alarm_ml))
    details = {"safe_state": "stopped"} | ({"lost": lost} if lost else {})
    c.ledger.log.append(c.now, LogKind.PUMP_RESET, **details)
    raise_alarm(c, AlarmKind.MEMORY_ERROR)


def _stall(c: Core, fault: MotorStall) -> None:
    now, motor = c.now, c.motor
    until = math.inf if fault.duration_s is None else now + fault.duration_s
    was_stalled = now < motor.stall_until_s
    motor.stall_until_s = max(motor.stall_until_s, until)
    if not was_stalled:
        abort_boluses(c, "motor_stall")
        c.ledger.log.append(now, LogKind.MOTOR_STALL, cause="fault")
        raise_alarm(c, AlarmKind.MOTOR_STALL)
    if math.isfinite(until):
        c.faults.schedule(until, StallEnd())
