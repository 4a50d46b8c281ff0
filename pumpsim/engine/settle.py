"""What becomes due at an instant: boluses ending, fault steps, MRI recovery, battery points and
alarm conditions, applied in that order and written down.

Judged with a tolerance in time (`EPS_T`): a threshold counts as reached when the stretch's fastest
rate would reach it within a microsecond, which keeps the event loop from chasing float residues.
"""

from __future__ import annotations

from pumpsim.domain.alarms import AlarmKind
from pumpsim.domain.eventlog import LogKind
from pumpsim.domain.status import MriPhase
from pumpsim.engine.core import Core
from pumpsim.engine.fault_effects import apply
from pumpsim.engine.occurrences import abort_boluses, raise_alarm

EPS_T = 1e-6
EPS_ABS = 1e-12


def settle(c: Core, full: bool = True) -> bool:
    """Apply everything due now; return whether anything happened.

    Not `full` (the engine reaching a timed event): thresholds are judged only if one could have
    been reached, which `engine.refresh` knows as `quiet_until_s`.
    """
    now = c.now
    due = now + EPS_T
    changed = False
    bol, log = c.bol, c.ledger.log
    for b in (bol.clinician, bol.patient):
        if b is not None and b.ends_at_s <= due:
            log.append(now, LogKind.BOLUS_COMPLETED, kind=b.kind, volume_ml=b.volume_ml)
            if b is bol.clinician:
                bol.clinician = None
            else:
                bol.patient = None
            changed = True
    while (action := c.faults.pop_due(due)) is not None:
        apply(c, action)
        changed = True
    motor = c.motor
    if motor.mri is MriPhase.RECOVERING and motor.mri_resume_at_s <= due:
        motor.mri = MriPhase.OFF
        log.append(now, LogKind.MOTOR_STALL_RECOVERY, cause="mri")
        changed = True
    if full or changed or now >= c.quiet_until_s - EPS_T:
        if c.bat.eos_at_s is None:
            changed |= _settle_battery(c)
        changed |= update_conditions(c)
    if changed:
        c.dirty = True
    return changed


def _settle_battery(c: Core) -> bool:
    bat, now, log = c.bat, c.now, c.ledger.log
    tol = (c.fixed_mah_s + bat.config.mah_per_ml * c.max_ml_s) * EPS_T + EPS_ABS
    changed = False
    if bat.eri_at_s is None and bat.eri_due(tol, EPS_T):
        bat.eri_at_s = now
        log.append(now, LogKind.ELECTIVE_REPLACEMENT, premature=False)
        changed = True
    if bat.eos_due(now, tol, EPS_T):
        bat.eos_at_s = now
        abort_boluses(c, "end_of_service")
        log.append(now, LogKind.END_OF_SERVICE, battery_mah=bat.charge_mah)
        changed = True
    return changed


def conditions_now(c: Core) -> set[AlarmKind]:
    cond: set[AlarmKind] = set()
    res = c.res
    if not res.refill_in_progress:
        tol = c.max_ml_s * EPS_T + EPS_ABS
        if res.expected_ml - c.therapy.program.low_reservoir_alarm_ml <= tol:
            cond.add(AlarmKind.LOW_RESERVOIR)
        if res.expected_ml <= tol:
            cond.add(AlarmKind.EMPTY_RESERVOIR)
    if c.bat.eri_at_s is not None:
        cond.add(AlarmKind.ELECTIVE_REPLACEMENT)
    if c.bat.eos_at_s is not None:
        cond.add(AlarmKind.END_OF_SERVICE)
    if res.refill_due_at_s is not None and c.now >= res.refill_due_at_s - EPS_T:
        cond.add(AlarmKind.REFILL_DUE)
    cfg = c.config
    if (
        cfg.back_pressure_sensor
        and c.faults.occlusion_fraction < cfg.occlusion_alarm_below_fraction
    ):
        cond.add(AlarmKind.OCCLUSION_SUSPECTED)
    return cond


def update_conditions(c: Core) -> bool:
    cond = conditions_now(c)
    risen = cond - c.alarms.conditions
    if cond != c.alarms.conditions:
        c.dirty = True
    c.alarms.conditions = cond
    if AlarmKind.EMPTY_RESERVOIR in risen:
        abort_boluses(c, "empty_reservoir")
    for kind in sorted(risen):
        raise_alarm(c, kind)
    return bool(risen)
