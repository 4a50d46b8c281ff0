"""The pump's own validation: every rule, every violation at once, each with a stable code.

The firmware runs these on every command whoever sends it, so a compromised or buggy programmer
still cannot write an unsafe program. The programmer UI runs the same functions while the clinician
types, which is why they are pure and return all violations rather than stopping at the first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from pumpsim.domain.config import PumpConfig
from pumpsim.domain.drugs import DrugLibrary, Mix
from pumpsim.domain.program import (
    Continuous,
    FlexibleSchedule,
    PatientBolusSettings,
    Stopped,
    TherapyProgram,
    is_on_resolution,
    max_basal_rate_ml_per_day,
    max_basal_volume_in_24h_ml,
)
from pumpsim.domain.violations import Violation, ViolationCode
from pumpsim.units import SECONDS_PER_DAY, is_finite_number

__all__ = ["Violation", "ViolationCode", "validate_bolus", "validate_mix", "validate_program"]


def _v(code: ViolationCode, message: str, field: str = "") -> Violation:
    return Violation(code, message, field)


def validate_mix(mix: Mix, library: DrugLibrary) -> list[Violation]:
    out: list[Violation] = []
    seen: set[str] = set()
    for i, c in enumerate(mix.components):
        where = f"mix[{i}]"
        if c.drug not in library:
            out.append(_v(ViolationCode.UNKNOWN_DRUG, f"{c.drug!r} is not in the library", where))
            continue
        if c.drug in seen:
            out.append(_v(ViolationCode.DUPLICATE_DRUG, f"{c.drug} is listed twice", where))
        seen.add(c.drug)
        drug = library[c.drug]
        if not is_finite_number(c.mcg_per_ml) or c.mcg_per_ml <= 0:
            out.append(
                _v(
                    ViolationCode.CONCENTRATION_INVALID,
                    f"{c.drug}: concentration must be > 0",
                    where,
                )
            )
        elif c.mcg_per_ml > drug.max_concentration_mcg_per_ml * (1 + 1e-12):
            limit = drug.to_display(drug.max_concentration_mcg_per_ml)
            out.append(
                _v(
                    ViolationCode.CONCENTRATION_OVER_LIMIT,
                    f"{c.drug}: {drug.to_display(c.mcg_per_ml):g} {drug.unit}/mL is over the "
                    f"limit of {limit:g} {drug.unit}/mL",
                    where,
                )
            )
    return out


def _check_rate(rate: object, config: PumpConfig, field: str) -> list[Violation]:
    if not is_finite_number(rate) or not isinstance(rate, int | float) or rate < 0:
        return [_v(ViolationCode.RATE_INVALID, f"rate must be a number >= 0, got {rate!r}", field)]
    out: list[Violation] = []
    if 0 < rate < config.min_rate_ml_per_day:
        out.append(
            _v(
                ViolationCode.RATE_BELOW_MINIMUM,
                f"{rate:g} mL/day is below the pump's minimum of "
                f"{config.min_rate_ml_per_day:g} mL/day",
                field,
            )
        )
    if rate > config.max_rate_ml_per_day:
        out.append(
            _v(
                ViolationCode.RATE_ABOVE_MAXIMUM,
                f"{rate:g} mL/day is above the pump's maximum of "
                f"{config.max_rate_ml_per_day:g} mL/day",
                field,
            )
        )
    if not is_on_resolution(rate, config.rate_resolution_ml_per_day):
        out.append(
            _v(
                ViolationCode.RATE_OFF_RESOLUTION,
                f"{rate!r} mL/day is not a multiple of the pump's resolution "
                f"({config.rate_resolution_ml_per_day:g} mL/day)",
                field,
            )
        )
    return out


def _check_schedule(basal: FlexibleSchedule, config: PumpConfig) -> list[Violation]:
    out: list[Violation] = []
    period = basal.period.seconds
    steps = basal.steps
    if not steps:
        return [_v(ViolationCode.NO_STEPS, "a flexible schedule needs at least one step", "steps")]
    max_steps = config.max_schedule_steps_per_day * round(period / SECONDS_PER_DAY)
    if len(steps) > max_steps:
        out.append(
            _v(
                ViolationCode.TOO_MANY_STEPS,
                f"{len(steps)} steps; at most {max_steps} per {basal.period} period",
                "steps",
            )
        )
    shapes_ok = True
    for i, step in enumerate(steps):
        where = f"steps[{i}]"
        out.extend(_check_rate(step.rate_ml_per_day, config, f"{where}.rate_ml_per_day"))
        if not (is_finite_number(step.start_s) and is_finite_number(step.duration_s)):
            out.append(_v(ViolationCode.STEP_INVALID, "start and duration must be numbers", where))
            shapes_ok = False
            continue
        if step.duration_s <= 0:
            out.append(_v(ViolationCode.STEP_INVALID, "duration must be > 0", where))
            shapes_ok = False
        if step.start_s < 0 or step.end_s > period + 1e-9:
            out.append(
                _v(
                    ViolationCode.STEP_OUTSIDE_PERIOD,
                    f"step runs from {step.start_s:g} s to {step.end_s:g} s, outside the "
                    f"{basal.period} period of {period:g} s",
                    where,
                )
            )
            shapes_ok = False
    if not shapes_ok:
        return out
    unordered = [i for i in range(1, len(steps)) if steps[i].start_s < steps[i - 1].start_s]
    if unordered:  # gaps and overlaps only make sense once the steps are in order
        return [
            *out,
            *(
                _v(
                    ViolationCode.STEPS_UNORDERED,
                    "steps must be in order of start time",
                    f"steps[{i}]",
                )
                for i in unordered
            ),
        ]
    for i in range(1, len(steps)):
        prev, cur = steps[i - 1], steps[i]
        where = f"steps[{i}]"
        if cur.start_s < prev.end_s - 1e-9:
            out.append(
                _v(ViolationCode.STEPS_OVERLAP, f"step {i} starts before step {i - 1} ends", where)
            )
        elif cur.start_s > prev.end_s + 1e-9:
            out.append(_v(ViolationCode.STEPS_GAP, f"gap between step {i - 1} and step {i}", where))
    if steps[0].start_s > 1e-9:
        out.append(_v(ViolationCode.STEPS_GAP, "the first step must start at 0", "steps[0]"))
    if steps[-1].end_s < period - 1e-9:
        out.append(
            _v(ViolationCode.STEPS_GAP, "the last step must end at the period's end", "steps")
        )
    return out


def _check_patient_bolus(
    pb: PatientBolusSettings, mix: Mix, config: PumpConfig, library: DrugLibrary
) -> list[Violation]:
    out: list[Violation] = []
    field = "patient_bolus"
    for drug in mix.drugs:
        if drug in library and not library[drug].patient_bolus_allowed:
            out.append(
                _v(
                    ViolationCode.PATIENT_BOLUS_NOT_ALLOWED,
                    f"{drug} does not allow patient-activated boluses",
                    field,
                )
            )
    numbers = {"volume_ml": pb.volume_ml, "duration_s": pb.duration_s, "lockout_s": pb.lockout_s}
    for name, value in numbers.items():
        if not is_finite_number(value) or value <= 0:
            out.append(
                _v(ViolationCode.PATIENT_BOLUS_INVALID, f"{name} must be > 0", f"{field}.{name}")
            )
    if isinstance(pb.max_per_24h, bool) or not isinstance(pb.max_per_24h, int):
        out.append(
            _v(ViolationCode.PATIENT_BOLUS_INVALID, "max_per_24h must be a whole number", field)
        )
    elif not 1 <= pb.max_per_24h <= 24:
        out.append(
            _v(
                ViolationCode.PATIENT_BOLUS_INVALID,
                "max_per_24h must be between 1 and 24",
                f"{field}.max_per_24h",
            )
        )
    if out:
        return out
    if pb.lockout_s < pb.duration_s:
        out.append(
            _v(
                ViolationCode.PATIENT_BOLUS_INVALID,
                "the lockout must be at least the bolus duration",
                f"{field}.lockout_s",
            )
        )
    return out


def _dose_limit_violations(
    volume_24h_ml: float, mix: Mix, library: DrugLibrary, code: ViolationCode, what: str
) -> list[Violation]:
    out: list[Violation] = []
    for c in mix.components:
        if c.drug not in library:
            continue
        drug = library[c.drug]
        dose = volume_24h_ml * c.mcg_per_ml
        if dose > drug.max_daily_dose_mcg * (1 + 1e-9):
            out.append(
                _v(
                    code,
                    f"{c.drug}: {what} of {drug.to_display(dose):.4g} {drug.unit} in 24 h is over "
                    f"the limit of {drug.to_display(drug.max_daily_dose_mcg):g} {drug.unit}/day",
                    "mix",
                )
            )
    return out


def worst_case_volume_24h_ml(program: TherapyProgram) -> float:
    """Basal worst 24-hour window plus every patient bolus the settings could allow in it."""
    volume = max_basal_volume_in_24h_ml(program.basal)
    pb = program.patient_bolus
    if pb is not None and not isinstance(program.basal, Stopped):
        volume += pb.max_in_any_24h() * pb.volume_ml
    return volume


def validate_program(
    program: TherapyProgram, mix: Mix, config: PumpConfig, library: DrugLibrary
) -> tuple[Violation, ...]:
    """Every reason the pump would refuse `program` with `mix` in its reservoir."""
    out = validate_mix(mix, library)
    basal = program.basal
    if isinstance(basal, Continuous):
        out.extend(_check_rate(basal.rate_ml_per_day, config, "basal.rate_ml_per_day"))
    elif isinstance(basal, FlexibleSchedule):
        out.extend(_check_schedule(basal, config))
    pb = program.patient_bolus
    if pb is not None:
        out.extend(_check_patient_bolus(pb, mix, config, library))
    alarm = program.low_reservoir_alarm_ml
    if not is_finite_number(alarm) or not 0 < alarm < config.reservoir_capacity_ml:
        out.append(
            _v(
                ViolationCode.LOW_RESERVOIR_ALARM_INVALID,
                f"the low-reservoir alarm must be between 0 and "
                f"{config.reservoir_capacity_ml:g} mL, got {alarm!r}",
                "low_reservoir_alarm_ml",
            )
        )
    if out:
        return tuple(out)  # limits only mean something once the shape is right
    if pb is not None:
        peak = max_basal_rate_ml_per_day(basal) + pb.rate_ml_per_day
        if peak > config.max_rate_ml_per_day * (1 + 1e-12):
            out.append(
                _v(
                    ViolationCode.BOLUS_RATE_ABOVE_MAXIMUM,
                    f"basal plus patient bolus would run at {peak:.4g} mL/day, over the pump's "
                    f"maximum of {config.max_rate_ml_per_day:g} mL/day",
                    "patient_bolus.duration_s",
                )
            )
    out.extend(
        _dose_limit_violations(
            worst_case_volume_24h_ml(program),
            mix,
            library,
            ViolationCode.DAILY_DOSE_OVER_LIMIT,
            "the worst case (basal and every patient bolus allowed)",
        )
    )
    return tuple(out)


def validate_bolus(
    volume_ml: float,
    duration_s: float,
    exiting_mcg: Mapping[str, float],
    program: TherapyProgram,
    mix: Mix,
    config: PumpConfig,
    library: DrugLibrary,
) -> tuple[Violation, ...]:
    """Rules for a clinician, priming or bridge bolus.

    `exiting_mcg` is the mass of each drug the bolus would push out of the catheter tip (the pump
    computes it from what the tubing and catheter hold, then the reservoir's mix). It is counted on
    top of the basal program's worst 24 hours against each drug's daily limit.
    """
    out: list[Violation] = []
    if not is_finite_number(volume_ml) or volume_ml <= 0:
        out.append(_v(ViolationCode.BOLUS_INVALID, "bolus volume must be > 0", "volume_ml"))
    if not is_finite_number(duration_s) or duration_s <= 0:
        out.append(_v(ViolationCode.BOLUS_INVALID, "bolus duration must be > 0", "duration_s"))
    if out:
        return tuple(out)
    rate = volume_ml * SECONDS_PER_DAY / duration_s
    if rate > config.max_rate_ml_per_day * (1 + 1e-12):
        shortest = volume_ml / config.max_rate_ml_per_day * SECONDS_PER_DAY
        out.append(
            _v(
                ViolationCode.BOLUS_RATE_ABOVE_MAXIMUM,
                f"{volume_ml:g} mL in {duration_s:g} s is faster than the pump's maximum; "
                f"the shortest duration is {math.ceil(shortest):d} s",
                "duration_s",
            )
        )
    basal_ml = max_basal_volume_in_24h_ml(program.basal)
    for drug_name, bolus_mcg in exiting_mcg.items():
        drug = library[drug_name]
        total = bolus_mcg + basal_ml * mix.concentration_mcg_per_ml(drug_name)
        if total > drug.max_daily_dose_mcg * (1 + 1e-9):
            out.append(
                _v(
                    ViolationCode.BOLUS_DOSE_OVER_LIMIT,
                    f"{drug_name}: the bolus ({drug.to_display(bolus_mcg):.4g} {drug.unit}) on top "
                    f"of the basal program's worst 24 h makes {drug.to_display(total):.4g} "
                    f"{drug.unit}, over the limit of "
                    f"{drug.to_display(drug.max_daily_dose_mcg):g} {drug.unit}/day",
                    "volume_ml",
                )
            )
    return tuple(out)
