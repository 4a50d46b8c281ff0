"""The commands a programmer sends, each validated in full before it changes anything.

Each takes the pump's `Core` at its own clock, checks every rule (raising a typed error with a
code and leaving the state untouched), then changes the components and lets the engine settle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from pumpsim.components.fluid_path import Conc, FluidPath
from pumpsim.domain.alarms import Alarm, AlarmKind
from pumpsim.domain.clock import check_clock
from pumpsim.domain.config import PumpVariant
from pumpsim.domain.drugs import Mix
from pumpsim.domain.errors import (
    InvalidInputError,
    MriRefusedError,
    NoProgramOnThisPumpError,
    NotAllowedNowError,
    ProgramRejectedError,
    RefillSequenceError,
    SoftLimitOverrideRequiredError,
)
from pumpsim.domain.eventlog import LogKind
from pumpsim.domain.faults import MismatchedRefill
from pumpsim.domain.program import BolusKind, Continuous, TherapyProgram, average_rate_ml_per_day
from pumpsim.domain.propellant import Conditions, flow_factor
from pumpsim.domain.refill import BridgeOffer, FillResult, WithdrawResult, classify_discrepancy
from pumpsim.domain.stability import refill_by_s
from pumpsim.domain.status import ActiveBolus, MriPhase, PatientBolusOutcome
from pumpsim.domain.violations import SoftLimitWarning
from pumpsim.engine.core import Core
from pumpsim.engine.fault_effects import reset_to_safe_state
from pumpsim.engine.loop import after_command, after_patient_bolus, knot_before_jump
from pumpsim.engine.occurrences import abort_boluses, raise_alarm
from pumpsim.engine.settle import EPS_ABS
from pumpsim.rules.soft_limits import check_soft_limits, remember_raises
from pumpsim.rules.validation import Violation, ViolationCode, validate_bolus, validate_mix
from pumpsim.rules.validation import validate_program as _validate_program
from pumpsim.units import SECONDS_PER_DAY, is_finite_number


def require_in_service(c: Core) -> None:
    if c.bat.eos_at_s is not None:
        raise NotAllowedNowError("the pump has reached end of service")


def require_programmable(c: Core, what: str) -> None:
    """A constant-flow pump has no program, bolus or MRI mode: refused with its own code."""
    if c.config.is_constant_flow:
        raise NoProgramOnThisPumpError(
            f"{what} asked of a constant-flow pump, which has none: it flows at its factory "
            "rate, and its dose changes only by refilling with another concentration"
        )


def soft_warnings(c: Core, program: TherapyProgram, mix: Mix) -> tuple[SoftLimitWarning, ...]:
    """Soft limits `program` with `mix` would pass, judged against what runs now."""
    old = c.therapy.program
    return check_soft_limits(old, c.res.mix, program, mix, c.library, c.raises, c.now)


def _install(c: Core, program: TherapyProgram) -> None:
    abort_boluses(c, "program_changed")
    old = c.therapy.program
    c.use_program(program)
    c.ledger.log.append(
        c.now,
        LogKind.PROGRAM_CHANGED,
        old_mode=type(old.basal).__name__,
        new_mode=type(program.basal).__name__,
        avg_rate_ml_per_day=average_rate_ml_per_day(program.basal),
    )


def _log_override(c: Core, warnings: tuple[SoftLimitWarning, ...]) -> None:
    if warnings:
        c.ledger.log.append(
            c.now,
            LogKind.SOFT_LIMIT_OVERRIDDEN,
            codes=",".join(w.code for w in warnings),
            drugs=",".join(sorted({w.drug for w in warnings})),
        )


def _check_warnings(
    c: Core, program: TherapyProgram, mix: Mix, override: bool
) -> tuple[SoftLimitWarning, ...]:
    warnings = soft_warnings(c, program, mix)
    if warnings and not override:
        raise SoftLimitOverrideRequiredError(warnings)
    return warnings


def set_program(c: Core, program: TherapyProgram, override_soft_limits: bool) -> None:
    if not isinstance(program, TherapyProgram):
        raise InvalidInputError(f"expected a TherapyProgram, got {type(program).__name__}")
    require_programmable(c, "a program")
    require_in_service(c)
    violations = _validate_program(program, c.res.mix, c.config, c.library)
    if violations:
        raise ProgramRejectedError(violations)
    warnings = _check_warnings(c, program, c.res.mix, override_soft_limits)
    remember_raises(c.raises, c.therapy.program, c.res.mix, program, c.res.mix, c.now)
    _install(c, program)
    _log_override(c, warnings)
    after_command(c)


def _check_can_bolus(c: Core) -> None:
    require_programmable(c, "a bolus")
    require_in_service(c)
    if c.motor.blocked(c.now):
        raise NotAllowedNowError("the motor is stalled or the pump is in MRI mode")
    if c.res.refill_in_progress:
        raise NotAllowedNowError("the reservoir is being refilled")
    if c.bol.clinician is not None:
        raise NotAllowedNowError(f"a {c.bol.clinician.kind} bolus is already running")
    if c.bol.patient is not None:
        raise NotAllowedNowError("a patient bolus is running")
    if AlarmKind.EMPTY_RESERVOIR in c.alarms.conditions:
        raise NotAllowedNowError("the reservoir is empty")


def start_bolus(c: Core, kind: BolusKind, volume_ml: float, duration_s: float) -> ActiveBolus:
    _check_can_bolus(c)
    res = c.res
    violations: list[Violation] = []
    if is_finite_number(volume_ml) and volume_ml > res.expected_ml:
        violations.append(
            Violation(
                ViolationCode.BOLUS_INVALID,
                f"the reservoir holds {res.expected_ml:.3f} mL, less than {volume_ml:g} mL",
                "volume_ml",
            )
        )
    exiting: dict[str, float] = {}
    if is_finite_number(volume_ml) and volume_ml > 0:
        by_column = res.path.mass_exiting(volume_ml, res.conc)
        names = c.library.names
        exiting = {names[col]: m for col, m in by_column.items() if m > 0}
    violations.extend(
        validate_bolus(
            volume_ml, duration_s, exiting, c.therapy.program, res.mix, c.config, c.library
        )
    )
    if violations:
        raise ProgramRejectedError(violations)
    now = c.now
    rate = volume_ml * SECONDS_PER_DAY / duration_s
    bolus = ActiveBolus(kind, volume_ml, rate, now, now + duration_s)
    c.bol.clinician = bolus
    c.ledger.log.append(
        now, LogKind.BOLUS_STARTED, kind=kind, volume_ml=volume_ml, duration_s=duration_s
    )
    c.dirty = True
    after_command(c)
    return bolus


def priming_bolus(c: Core, volume_ml: float | None) -> ActiveBolus:
    volume = c.config.dead_volume_ml if volume_ml is None else volume_ml
    if not is_finite_number(volume) or volume <= 0:
        raise InvalidInputError(f"priming volume must be > 0, got {volume!r}")
    duration = math.ceil(volume / c.config.max_rate_ml_per_day * SECONDS_PER_DAY)
    return start_bolus(c, BolusKind.PRIMING, volume, float(duration))


def bridge_bolus(c: Core) -> ActiveBolus:
    offer = c.res.bridge_offer
    if offer is None:
        raise NotAllowedNowError("no bridge bolus is on offer (fill with a new mix first)")
    bolus = start_bolus(c, BolusKind.BRIDGE, offer.volume_ml, offer.duration_s)
    c.res.bridge_offer = None
    return bolus


def cancel_bolus(c: Core) -> None:
    if not c.bol.running:
        raise NotAllowedNowError("no bolus is running")
    abort_boluses(c, "cancelled")
    after_command(c)


def request_patient_bolus(c: Core) -> PatientBolusOutcome:
    now = c.now
    settings = c.therapy.program.patient_bolus
    infusing = not (
        c.bat.eos_at_s is not None
        or c.motor.blocked(now)
        or c.res.refill_in_progress
        or c.therapy.stopped
        or AlarmKind.EMPTY_RESERVOIR in c.alarms.conditions
    )
    outcome = c.bol.judge_request(now, settings, infusing)
    if outcome is not PatientBolusOutcome.GRANTED or settings is None:
        c.ledger.log.append(now, LogKind.PATIENT_BOLUS_DENIED, reason=outcome)
        return outcome
    c.bol.grant(now, settings)
    c.ledger.log.append(now, LogKind.PATIENT_BOLUS_GRANTED, volume_ml=settings.volume_ml)
    after_patient_bolus(c)
    return outcome


def withdraw(c: Core) -> WithdrawResult:
    res = c.res
    expected = res.expected_ml
    tolerance = c.config.refill_tolerance_ml
    verdict = classify_discrepancy(res.volume_ml, expected, tolerance)
    abort_boluses(c, "refill")
    knot_before_jump(c)
    withdrawn = res.withdraw()
    c.ledger.log.append(
        c.now,
        LogKind.RESERVOIR_WITHDRAWN,
        withdrawn_ml=withdrawn,
        expected_ml=expected,
        verdict=verdict,
    )
    if verdict == "under_infusion_suspected":
        raise_alarm(c, AlarmKind.OCCLUSION_SUSPECTED)
    c.dirty = True
    after_command(c, jumped=True)
    return WithdrawResult(withdrawn, expected, tolerance, verdict)


def fill(
    c: Core,
    volume_ml: float,
    mix: Mix,
    program: TherapyProgram | None,
    refill_due_at_s: float | None,
    override_soft_limits: bool,
) -> FillResult:
    res = c.res
    if not res.refill_in_progress:
        raise RefillSequenceError("withdraw the reservoir before filling it")
    if not isinstance(mix, Mix):
        raise InvalidInputError(f"expected a Mix, got {type(mix).__name__}")
    if program is not None:
        if not isinstance(program, TherapyProgram):
            raise InvalidInputError(f"expected a TherapyProgram, got {type(program).__name__}")
        require_programmable(c, "a program with the fill")
        require_in_service(c)
    factory = Continuous(c.config.drive.factory_rate_ml_per_day)
    if c.config.is_constant_flow and c.therapy.program.basal != factory:
        program = TherapyProgram(factory)  # a new pump: it flows at its factory rate from now
    if refill_due_at_s is not None and (
        not is_finite_number(refill_due_at_s) or refill_due_at_s <= c.now
    ):
        raise InvalidInputError("refill_due_at_s must be a time after now")
    violations = list(validate_mix(mix, c.library))
    capacity = c.config.reservoir_capacity_ml
    if not is_finite_number(volume_ml) or not 0 < volume_ml <= capacity:
        violations.append(
            Violation(
                ViolationCode.FILL_VOLUME_INVALID,
                f"fill volume must be in (0, {capacity:g}] mL, got {volume_ml!r}",
                "volume_ml",
            )
        )
    new_program = c.therapy.program if program is None else program
    if not violations:
        violations.extend(_validate_program(new_program, mix, c.config, c.library))
    if violations:
        raise ProgramRejectedError(violations)
    warnings = _check_warnings(c, new_program, mix, override_soft_limits)
    conc = tuple((c.library.index(d.drug), d.mcg_per_ml) for d in mix.components)
    old_rate = c.therapy.avg_rate_ml_per_day
    old_mix = res.mix
    first_fill = res.filled_ml == 0.0 and res.pocket_ml == 0.0  # a new pump's first fill
    into_pocket = c.faults.pocket_armed
    c.faults.pocket_armed = False
    truth = conc
    mismatch = c.faults.mismatch
    if mismatch is not None and not into_pocket:
        c.faults.mismatch = None
        truth = _syringe(c, mismatch, conc)
    knot_before_jump(c)
    res.fill(volume_ml, mix, truth, into_pocket)
    if first_fill and c.config.is_constant_flow and not into_pocket:
        # It cannot push a priming bolus: at implant the catheter is primed by hand, with the
        # syringe's drug, so the drug reaches the tip from the first minute.
        res.path = FluidPath(c.config.dead_volume_ml, truth)
    # The drug's own refill-by date (its stability; a new pump's first fill where the label
    # has a rule), or the programmer's if that comes sooner.
    keeps = refill_by_s(mix, c.now, first_fill)
    if keeps is not None and (refill_due_at_s is None or keeps < refill_due_at_s):
        refill_due_at_s = keeps
    res.refill_due_at_s = refill_due_at_s
    c.alarms.conditions.discard(AlarmKind.REFILL_DUE)
    offer = None
    bridgeable = not c.config.is_constant_flow  # it cannot bolus: the old drug flows out
    if bridgeable and res.path.front != conc and old_rate > 0 and res.path.contents()[0][1]:
        dead = c.config.dead_volume_ml
        offer = BridgeOffer(dead, old_rate, dead / old_rate * SECONDS_PER_DAY)
    res.bridge_offer = offer
    c.ledger.log.append(
        c.now, LogKind.RESERVOIR_FILLED, volume_ml=volume_ml, mix=mix.describe(c.library)
    )
    remember_raises(c.raises, c.therapy.program, old_mix, new_program, mix, c.now)
    if program is not None:
        _install(c, program)
    _log_override(c, warnings)
    c.dirty = True
    after_command(c, jumped=True)
    return FillResult(volume_ml, mix, offer)


def _syringe(c: Core, mismatch: MismatchedRefill, entered: Conc) -> Conc:
    """What the syringe really held (the pump keeps believing `entered`)."""
    if mismatch.drug:
        return ((c.library.index(mismatch.drug), mismatch.concentration_mcg_per_ml),)
    return tuple((column, mcg * mismatch.concentration_factor) for column, mcg in entered)


def enter_mri(c: Core) -> None:
    require_programmable(c, "MRI-safe mode (MRI leaves a constant-flow pump alone)")
    require_in_service(c)
    motor, res = c.motor, c.res
    if motor.mri is not MriPhase.OFF:
        raise NotAllowedNowError(f"MRI mode is already {motor.mri}")
    if c.config.variant is PumpVariant.VALVE_GATED and not (
        res.refill_in_progress and res.expected_ml <= EPS_ABS
    ):
        raise MriRefusedError(
            "a valve-gated pump must have its reservoir emptied before an MRI scan"
        )
    abort_boluses(c, "mri")
    motor.mri = MriPhase.SCANNING
    motor.mri_alarmed = bool(c.alarms.latched)
    c.ledger.log.append(c.now, LogKind.MRI_ENTERED)
    c.ledger.log.append(c.now, LogKind.MOTOR_STALL, cause="mri")
    c.dirty = True
    after_command(c)


def exit_mri(c: Core) -> None:
    motor = c.motor
    if motor.mri is not MriPhase.SCANNING:
        raise NotAllowedNowError("the pump is not in MRI mode")
    motor.mri_exited_at_s = c.now
    motor.mri_resume_at_s = c.now + c.config.mri_recovery_lag_s
    held = motor.mri_alarmed or bool(c.alarms.latched)
    motor.mri = MriPhase.AWAITING_INTERROGATION if held else MriPhase.RECOVERING
    c.ledger.log.append(c.now, LogKind.MRI_EXITED, awaiting_interrogation=held)
    c.dirty = True
    after_command(c)


def set_clock(c: Core, offset_s: float) -> None:
    """The device clock now shows running time plus `offset_s`: a schedule's steps move with it
    from this moment (`pumpsim.domain.clock`), and the change is logged."""
    offset = check_clock(c.now, offset_s)
    before = c.therapy.clock_offset_s
    c.therapy.set_clock(offset)
    c.dirty = True
    c.ledger.log.append(c.now, LogKind.CLOCK_SET, offset_s=offset, previous_offset_s=before)
    after_command(c)


# The key under which the world's effect on a constant-flow pump joins the flow factor (the
# faults' drift keys count from 1).
WORLD_KEY = 0


def set_conditions(c: Core, conditions: Conditions) -> None:
    """The world at the pump changed (a fever, a heating pad, a flight, a dive). A constant-flow
    pump's flow follows it (`pumpsim.domain.propellant`); the others meter volume regardless."""
    if not isinstance(conditions, Conditions):
        raise InvalidInputError(f"expected Conditions, got {type(conditions).__name__}")
    conditions.check()
    c.world = conditions
    if c.config.is_constant_flow:
        c.faults.set_drift(WORLD_KEY, flow_factor(c.config.drive, conditions))
        c.dirty = True
    after_command(c)


def record_key_retired(c: Core, device_id: str, rotated: bool) -> None:
    """A paired device's key was revoked, or replaced by a new one: logged."""
    if not isinstance(device_id, str) or not device_id:
        raise InvalidInputError(f"a device id must be a non-empty text, got {device_id!r}")
    kind = LogKind.KEY_ROTATED if rotated else LogKind.KEY_REVOKED
    c.ledger.log.append(c.now, kind, device=device_id)


def memory_lost(c: Core, detail: str) -> None:
    """Acknowledged records lost from the firmware's memory: the safe state, saying which."""
    reset_to_safe_state(c, detail)
    c.dirty = True
    after_command(c)


def interrogate(c: Core) -> None:
    knot_before_jump(c)
    c.bat.telemetry_session()
    c.ledger.interrogated_at_s = c.now
    c.ledger.log.append(c.now, LogKind.INTERROGATED)
    motor = c.motor
    if motor.mri is MriPhase.AWAITING_INTERROGATION:
        motor.mri = MriPhase.RECOVERING
        motor.mri_resume_at_s = max(c.now, motor.mri_resume_at_s)
    c.dirty = True
    after_command(c, jumped=True)


def acknowledge(c: Core, kinds: Iterable[AlarmKind] | None) -> tuple[Alarm, ...]:
    latched = c.alarms.latched
    try:
        wanted = set(latched) if kinds is None else {AlarmKind(k) for k in kinds}
    except ValueError as e:
        raise InvalidInputError(str(e)) from None
    cleared = tuple(latched.pop(k) for k in sorted(wanted) if k in latched)
    for alarm in cleared:
        c.ledger.log.append(c.now, LogKind.ALARM_ACKNOWLEDGED, alarm=alarm.kind)
    c.dirty = True
    after_command(c)
    return cleared
