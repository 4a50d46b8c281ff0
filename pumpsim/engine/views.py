"""What a caller can read from a pump: the device's own view, the ground truth, projections.

Read-only functions of the `Core`; nothing here changes state (interrogation, which costs battery
and releases an MRI hold, is a command).
"""

from __future__ import annotations

import math

from pumpsim.domain.alarms import AlarmKind
from pumpsim.domain.drugs import Mix
from pumpsim.domain.program import time_to_deliver
from pumpsim.domain.status import DeviceStatus, MotorState, PhysicalState, Projections
from pumpsim.engine.core import Core
from pumpsim.engine.settle import EPS_T


def commanded_rate_ml_per_day(c: Core) -> float:
    if c.bat.eos_at_s is not None or c.motor.blocked(c.now):
        return 0.0
    if c.bol.clinician is not None:
        return c.bol.clinician.rate_ml_per_day
    empty = AlarmKind.EMPTY_RESERVOIR in c.alarms.conditions
    rate = c.therapy.basal_ml_per_day_at(c.now + EPS_T, empty)
    if c.bol.patient is not None:
        rate += c.bol.patient.rate_ml_per_day
    return rate


def motor_state(c: Core) -> MotorState:
    if c.bat.eos_at_s is not None:
        return MotorState.END_OF_SERVICE
    if c.motor.blocked(c.now):
        return MotorState.STALLED
    return MotorState.RUNNING if commanded_rate_ml_per_day(c) > 0 else MotorState.IDLE


def status(c: Core) -> DeviceStatus:
    res, bat = c.res, c.bat
    next_at, left = c.bol.availability(c.now, c.therapy.program.patient_bolus)
    return DeviceStatus(
        at_s=c.now,
        variant=c.config.variant,
        program=c.therapy.program,
        mix=res.mix,
        reservoir_ml=res.expected_ml,
        reservoir_capacity_ml=c.config.reservoir_capacity_ml,
        commanded_rate_ml_per_day=commanded_rate_ml_per_day(c),
        active_bolus=c.bol.clinician,
        patient_bolus=c.bol.patient,
        motor=motor_state(c),
        mri=c.motor.mri,
        battery_mah=bat.charge_mah,
        battery_capacity_mah=bat.config.capacity_mah,
        eri_at_s=bat.eri_at_s,
        end_of_service_at_s=bat.eos_at_s,
        alarms=c.alarms.sorted(),
        refill_in_progress=res.refill_in_progress,
        last_interrogated_at_s=c.ledger.interrogated_at_s,
        refill_due_at_s=res.refill_due_at_s,
        log_next_index=c.ledger.log.next_index,
        patient_bolus_next_at_s=next_at,
        patient_boluses_left_24h=left,
    )


def physical(c: Core) -> PhysicalState:
    names = c.library.names
    led, res = c.ledger, c.res

    def by_drug(values: list[float]) -> dict[str, float]:
        return {names[i]: v for i, v in enumerate(values) if v != 0.0}

    return PhysicalState(
        at_s=c.now,
        reservoir_ml=res.volume_ml,
        filled_ml=res.filled_ml,
        withdrawn_ml=res.withdrawn_ml,
        pumped_ml=led.pumped_ml,
        commanded_ml=led.commanded_ml,
        delivered_ml=led.delivered_ml,
        misplaced_ml=led.misplaced_ml,
        pocket_ml=res.pocket_ml,
        delivered_mcg=by_drug(led.delivered_mcg),
        misplaced_mcg=by_drug(led.misplaced_mcg),
        pocket_mcg=by_drug(res.pocket_mcg),
        flow_factor=c.faults.flow_factor,
        occlusion_fraction=c.faults.occlusion_fraction,
        dislodged=c.faults.dislodged,
        battery_age_s=c.bat.age_s,
    )


def fluid_path(c: Core) -> tuple[tuple[float, Mix], ...]:
    names = c.library.names
    return tuple(
        (vol, Mix.of(**{names[col]: m for col, m in conc})) for vol, conc in c.res.path.contents()
    )


def projections(c: Core) -> Projections:
    now, res, bat = c.now, c.res, c.bat
    basal = c.therapy.running_basal  # steps where they fall in running time
    low_at: float | None = None
    empty_at: float | None = None
    if not res.refill_in_progress and bat.eos_at_s is None:
        level = c.therapy.program.low_reservoir_alarm_ml
        to_low = time_to_deliver(basal, now, res.expected_ml - level)
        to_empty = time_to_deliver(basal, now, res.expected_ml)
        low_at = now + to_low if math.isfinite(to_low) else None
        empty_at = now + to_empty if math.isfinite(to_empty) else None
    b = bat.config
    if c.config.is_constant_flow:
        return Projections(low_at, empty_at, None, None)  # no battery to replace
    if bat.eos_at_s is not None:
        return Projections(low_at, empty_at, bat.eri_at_s, bat.eos_at_s)
    if bat.eri_at_s is not None:
        eri = bat.eri_at_s
    else:
        avg = bat.avg_drain_mah_s
        by_charge = (bat.charge_mah - b.eri_warning_s * avg) / avg
        by_age = b.life_cap_s - bat.age_s - b.eri_warning_s
        eri = now + max(0.0, min(by_charge, by_age))
    return Projections(low_at, empty_at, eri, eri + b.eri_warning_s)


__all__ = ["fluid_path", "motor_state", "physical", "projections", "status"]
