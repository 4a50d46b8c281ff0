"""The event loop: the law of each stretch of time, the next event under it, and `advance`.

Like SimPy's environment, it only ever jumps to the next event; unlike it, nothing waits in a
queue for every step of a schedule. Between two events the commanded flow is a constant, plus the
basal schedule's curve, plus a patient bolus as a pulse with a known end, so volumes, masses and
battery charge follow in closed form (`BasalCurve`). A threshold's time (reservoir low or empty,
battery points, the old drug leaving the catheter) is solved for when the law changes, and only if
it could come first. Advancing within a stretch costs one integration, however long the stretch;
a patient bolus ending costs a log record, not a new law.
"""

from __future__ import annotations

import math

from pumpsim.domain.alarms import AlarmKind
from pumpsim.domain.errors import InvalidInputError, TimeWentBackwardsError
from pumpsim.domain.eventlog import LogKind
from pumpsim.domain.status import MriPhase
from pumpsim.engine.core import Core
from pumpsim.engine.settle import EPS_ABS, EPS_T, settle
from pumpsim.units import SECONDS_PER_DAY

_DAY = SECONDS_PER_DAY
_MAX_ZERO_STEPS = 10_000
_LOOK_AGAIN_S = SECONDS_PER_DAY  # a threshold further than this at the fastest rate is not solved
_LOW = AlarmKind.LOW_RESERVOIR
_EMPTY = AlarmKind.EMPTY_RESERVOIR
_REFILL_DUE = AlarmKind.REFILL_DUE
_COMPLETED = LogKind.BOLUS_COMPLETED


def advance(c: Core, until_s: float) -> None:
    """Run the pump to `until_s`, processing every event on the way."""
    kind = type(until_s)
    if (kind is not float and kind is not int) or until_s - until_s != 0:  # finite, not bool
        raise InvalidInputError(f"until_s must be a finite number, got {until_s!r}")
    if until_s < c.now:
        raise TimeWentBackwardsError(f"cannot go back from {c.now!r} s to {until_s!r} s")
    zero_steps = 0
    while True:
        if c.dirty:
            refresh(c)
        te = until_s if until_s < c.next_s else c.next_s
        if te > c.now:
            if c.law is not c.knot_law and c.law != c.knot_law:
                c.record_knot()
            integrate(c, te)
            zero_steps = 0
            patient = c.bol.patient
            if patient is not None and patient.ends_at_s <= te + EPS_T:
                # The pulse has run its course inside the law: only the record is due.
                c.ledger.log.append(
                    patient.ends_at_s, _COMPLETED, kind=patient.kind, volume_ml=patient.volume_ml
                )
                c.bol.patient = None
        else:
            zero_steps += 1
            if zero_steps > _MAX_ZERO_STEPS:  # pragma: no cover - a bug, not an input
                raise RuntimeError(f"event loop made no progress at t={c.now!r}")
        changed = False
        if c.now >= c.next_s:
            changed = settle(c, full=False)
            c.dirty = True  # an event time reached: judge the law afresh
        if c.now >= until_s and not changed:
            return


def after_command(c: Core, jumped: bool = False) -> None:
    """Settle what a command made due, and start a new knot if the trend changed course."""
    refresh(c)
    for _ in range(100):
        if not settle(c):
            break
        refresh(c)
    if c.dirty:
        refresh(c)
    if jumped or c.law != c.knot_law:
        c.record_knot()


def after_patient_bolus(c: Core) -> None:
    """A patient bolus granted: only its pulse joins the law; no level moved, nothing to judge."""
    patient = c.bol.patient
    if c.dirty or patient is None or c.curve is not c.therapy.curve or c.max_ml_s <= 0:
        refresh(c)  # not simply the basal program running: work it all out
    else:
        c.pulse_ml_s = pulse = patient.rate_ml_per_day / _DAY
        c.pulse_end_s = patient.ends_at_s
        c.max_ml_s = c.b_ml_s + (c.curve.max_ml_s if c.curve is not None else 0.0) + pulse
        _schedule_next(c, c.timed_s)
        c.law = (c.law_base, c.b_ml_s, c.pulse_ml_s, c.pulse_end_s)
    if c.law != c.knot_law:
        c.record_knot()


def knot_before_jump(c: Core) -> None:
    """A command is about to change a level at once (a fill, a withdrawal): close the line."""
    if c.knot_law is not None:
        law = c.law
        c.law = c.knot_law
        c.record_knot()
        c.law = law


def integrate(c: Core, t1: float) -> None:
    """Carry every quantity from now to `t1` under the stretch's law."""
    t0 = c.now
    dt = t1 - t0
    volume = c.b_ml_s * dt
    curve = c.curve
    if curve is not None:
        at_t1 = curve.running_ml(t1)
        volume += at_t1 - c.curve_at_now_ml
        c.curve_at_now_ml = at_t1
    if c.pulse_end_s > t0:
        volume += c.pulse_ml_s * ((t1 if t1 < c.pulse_end_s else c.pulse_end_s) - t0)
    led, res, bat = c.ledger, c.res, c.bat
    led.commanded_ml += volume
    res.expected_ml = res.expected_ml - volume if volume < res.expected_ml else 0.0
    ff = c.ff
    patients = c.patients
    reached: dict[int, float] = {}  # mcg per commanded mL that reached the CSF, by column
    if ff > 0.0 and volume > 0.0:
        vol = ff * volume
        share = ff  # of each commanded mL, what really left (the same float every stretch)
        if vol >= res.volume_ml:
            vol = res.volume_ml
            res.volume_ml = 0.0
            share = vol / volume
        else:
            res.volume_ml -= vol
        led.pumped_ml += vol
        if c.dislodged:
            led.misplaced_ml += vol
            masses = led.misplaced_mcg
        else:
            led.delivered_ml += vol
            masses = led.delivered_mcg
        into_csf = bool(patients) and not c.dislodged
        if c.front_only:
            for column, mcg_per_ml in res.conc:
                masses[column] += vol * mcg_per_ml
            if into_csf:
                reached = c.reached
                if c.reached_conc is not res.conc or c.reached_share != share:
                    reached = {column: share * mcg for column, mcg in res.conc}
                    c.reached, c.reached_conc, c.reached_share = reached, res.conc, share
        else:
            out: dict[int, float] = {}
            res.path.flow(vol, res.conc, out)
            for column, mcg in out.items():
                masses[column] += mcg
                if into_csf:
                    reached[column] = mcg / volume
    if patients:
        for patient in patients:
            patient.carry(t0, t1, reached, c.b_ml_s, c.pulse_ml_s, c.pulse_end_s, curve)
    drained = c.fixed_mah_s * dt + c.mah_per_ml * volume
    bat.charge_mah = bat.charge_mah - drained if drained < bat.charge_mah else 0.0
    bat.age_s += dt
    c.now = t1
    led.stretches += 1


def refresh(c: Core) -> None:
    """Set the law of the stretch starting now and the time of the next event under it."""
    now = c.now
    bat, bol, res, motor, fs = c.bat, c.bol, c.res, c.motor, c.faults
    cond = c.alarms.conditions
    th = c.therapy
    curve = None
    b = pulse = 0.0
    pulse_end = -math.inf
    if bat.eos_at_s is not None or motor.blocked(now):
        pass
    elif bol.clinician is not None:
        b = bol.clinician.rate_ml_per_day / _DAY
    else:
        if _EMPTY in cond:
            curve, b = th.empty_curve, th.empty_constant_ml_s
        else:
            curve, b = th.curve, th.constant_ml_s
        patient = bol.patient
        if patient is not None:
            pulse = patient.rate_ml_per_day / _DAY
            pulse_end = patient.ends_at_s
    max_ml_s = b + pulse
    if curve is not None:
        max_ml_s += curve.max_ml_s
        if curve is not c.curve:
            c.curve_at_now_ml = curve.running_ml(now)
    c.b_ml_s = b
    c.curve = curve
    c.pulse_ml_s = pulse
    c.pulse_end_s = pulse_end
    c.max_ml_s = max_ml_s
    path = res.path
    flow_factor = fs.flow_factor
    tiny = flow_factor * max_ml_s * EPS_T + EPS_ABS
    uniform = path.is_uniform
    if not uniform:
        path.merge_front_below(tiny)
        uniform = path.is_uniform
    ff = flow_factor if res.volume_ml > tiny else 0.0
    c.ff = ff
    c.dislodged = fs.dislodged
    c.front_only = uniform and path.front == res.conc
    cb = bat.config
    c.mah_per_ml = cb.mah_per_ml
    fixed = cb.quiescent_mah_per_day
    if c.alarms.latched:
        fixed += cb.mah_per_alarm_tone * _DAY / cb.alarm_tone_interval_s
    c.fixed_mah_s = fixed / _DAY

    # Timed events.
    nxt = math.inf
    if bol.clinician is not None:
        nxt = bol.clinician.ends_at_s
    if fs.pending and fs.pending[0][0] < nxt:
        nxt = fs.pending[0][0]
    if motor.mri is MriPhase.RECOVERING and motor.mri_resume_at_s < nxt:
        nxt = motor.mri_resume_at_s
    c.timed_s = nxt
    _schedule_next(c, nxt)
    _set_law(c)
    c.dirty = False


def _schedule_next(c: Core, nxt: float) -> None:
    """The next event: `nxt` (the next timed one) or a threshold if it can come first."""
    now, res, bat, th = c.now, c.res, c.bat, c.therapy
    cond = c.alarms.conditions
    max_ml_s, ff, curve, path = c.max_ml_s, c.ff, c.curve, res.path
    # The tip's fluid is not the reservoir's (a new drug on its way, or the old one leaving):
    # the moment the tip's fluid is used up changes what reaches the patient, so it is solved.
    uniform = c.front_only
    cb = bat.config
    m, fixed_mah_s = c.mah_per_ml, c.fixed_mah_s
    # Thresholds: each judged first by the soonest it could come (at the fastest rate); `quiet`
    # is the soonest any could, so that reaching a timed event before it needs no judging.
    quiet = math.inf
    due = res.refill_due_at_s
    if due is not None and _REFILL_DUE not in cond:
        quiet = due
    if max_ml_s > 0:
        smallest = math.inf
        if not res.refill_in_progress:
            if _LOW not in cond:
                smallest = res.expected_ml - th.program.low_reservoir_alarm_ml
            if _EMPTY not in cond and res.expected_ml < smallest:
                smallest = res.expected_ml
        if ff > 0:
            if res.volume_ml / ff < smallest:
                smallest = res.volume_ml / ff
            if not uniform and path.front_volume_ml / ff < smallest:
                smallest = path.front_volume_ml / ff
        soonest = now + smallest / max_ml_s
        horizon = nxt if nxt < quiet else quiet
        if soonest >= horizon or (curve is not None and soonest - now > _LOOK_AGAIN_S):
            if soonest < quiet:
                quiet = soonest  # none can come first, or none is near: look again then
        else:
            volumes = []
            if not res.refill_in_progress:
                if _LOW not in cond:
                    volumes.append(res.expected_ml - th.program.low_reservoir_alarm_ml)
                if _EMPTY not in cond:
                    volumes.append(res.expected_ml)
            if ff > 0:
                volumes.append(res.volume_ml / ff)
                if not uniform:
                    volumes.append(path.front_volume_ml / ff)
            for volume in volumes:
                quiet = min(quiet, _earliest(c, min(nxt, quiet), volume, 0.0))
    # Battery: its age, and its charge (fixed * dt + m * volume reaching a level).
    charge = bat.charge_mah
    charge_tol = (fixed_mah_s + m * max_ml_s) * EPS_T + EPS_ABS
    if bat.eos_at_s is None:
        life_left = cb.life_cap_s - bat.age_s
        at = now + life_left
        if bat.eri_at_s is not None:
            at = min(at, bat.eri_at_s + cb.eri_warning_s)
        else:
            at = min(at, now + life_left - cb.eri_warning_s)
        if at < quiet:
            quiet = at
    if bat.eos_at_s is None or charge > charge_tol:
        level = charge
        if bat.eos_at_s is None and bat.eri_at_s is None:
            level = charge - bat.eri_reserve_mah  # ERI comes first
        drain = fixed_mah_s + m * max_ml_s
        if drain > 0:
            soonest = now + level / drain
            horizon = nxt if nxt < quiet else quiet
            if m <= 0:
                at = now + level / fixed_mah_s
            elif soonest >= horizon or (curve is not None and soonest - now > _LOOK_AGAIN_S):
                at = soonest
            else:
                at = _earliest(c, horizon, level / m, fixed_mah_s / m)
            if at < quiet:
                quiet = at
    if quiet < nxt:
        nxt = quiet
    c.next_s = nxt if nxt > now else now
    c.quiet_until_s = quiet


def _earliest(c: Core, nxt: float, volume_ml: float, extra_ml_s: float) -> float:
    """When extra * dt + the volume commanded from now reaches `volume_ml`, or a time before it.

    Only a threshold that could come before `nxt` is solved, and only a near one: for a far one
    the soonest it could come (at the stretch's fastest rate) is a point to look again, which a
    busy pump never reaches.
    """
    now = c.now
    if volume_ml <= 0:
        return now  # already reached: the guard that asked will flip when settled
    fastest = c.max_ml_s + extra_ml_s
    if fastest <= 0:
        return math.inf
    soonest = now + volume_ml / fastest
    if soonest >= nxt:
        return soonest  # cannot come first
    curve = c.curve
    if curve is not None and soonest - now > _LOOK_AGAIN_S:
        return soonest
    alpha = c.b_ml_s + extra_ml_s
    start = now
    if c.pulse_end_s > now:  # during the pulse, then without it
        during = alpha + c.pulse_ml_s
        span = c.pulse_end_s - now
        in_pulse = during * span + (curve.volume_ml(now, c.pulse_end_s) if curve else 0.0)
        if volume_ml <= in_pulse:
            return now + _solve(c, now, during, volume_ml)
        volume_ml -= in_pulse
        start = c.pulse_end_s
    return start + _solve(c, start, alpha, volume_ml)


def _solve(c: Core, start: float, alpha: float, volume_ml: float) -> float:
    curve = c.curve
    if curve is not None:
        return curve.time_to_reach(start, alpha, volume_ml)
    return volume_ml / alpha if alpha > 0 else math.inf


def _set_law(c: Core) -> None:
    """Name the law of this stretch for the trend (a new one only when something differs)."""
    expected_zero = c.res.expected_ml <= c.max_ml_s * EPS_T + EPS_ABS
    charge_zero = c.bat.charge_mah <= (c.fixed_mah_s + c.mah_per_ml * c.max_ml_s) * EPS_T + EPS_ABS
    rec = c.ledger.trend
    curve_index = rec.curve_index(c.curve)
    front = c.res.path.front
    key = (curve_index, c.ff, c.dislodged, front, c.fixed_mah_s, expected_zero, charge_zero)
    if key != c.law_key:
        c.law_key = key
        law = rec.law_for(key)
        if law is None:
            ff = c.ff
            deliver = 0.0 if c.dislodged else ff
            masses = [0.0] * len(c.library)
            for column, mcg_per_ml in front:
                masses[column] = mcg_per_ml * deliver
            exp_v = 0.0 if expected_zero else -1.0
            chg_v = 0.0 if charge_zero else -c.mah_per_ml
            chg_t = 0.0 if charge_zero else -c.fixed_mah_s
            per_ml = (0.0, 1.0, ff, deliver, -ff, exp_v, chg_v, *masses)
            per_s = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, chg_t, *([0.0] * len(masses)))
            law = rec.add_law(key, per_s, per_ml, curve_index)
        c.law_base = law
    c.law = (c.law_base, c.b_ml_s, c.pulse_ml_s, c.pulse_end_s)
