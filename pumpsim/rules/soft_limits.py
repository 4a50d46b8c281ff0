"""Soft limits: a dose change within the hard limits that still needs the clinician to say so.

Why: hard limits stop what is never safe; titration rules (ziconotide starts at 2.4 mcg/day and
rises by at most 2.4 mcg/day, at most 2-3 times a week) stop what is unsafe *as a step*. Clinician
programmers warn and ask for an explicit override, and the device logs it. The rules here are pure:
the pump passes in the program in force, the proposed one and the recent raises it remembers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pumpsim.domain.drugs import Drug, DrugLibrary, Mix
from pumpsim.domain.program import TherapyProgram, daily_volumes_ml, max_basal_volume_in_24h_ml
from pumpsim.domain.violations import SoftLimitCode, SoftLimitWarning
from pumpsim.units import SECONDS_PER_WEEK

RAISE_MEMORY_S = SECONDS_PER_WEEK


def daily_dose_mcg(program: TherapyProgram | None, mix: Mix, drug: str) -> float:
    """The basal program's worst 24 hours of `drug`, in mcg (0 when it delivers none)."""
    if program is None:
        return 0.0
    return max_basal_volume_in_24h_ml(program.basal) * mix.concentration_mcg_per_ml(drug)


def _fmt(drug: Drug, mcg: float) -> str:
    return f"{drug.to_display(mcg):.4g} {drug.unit}/day"


def check_soft_limits(
    old_program: TherapyProgram | None,
    old_mix: Mix,
    new_program: TherapyProgram,
    new_mix: Mix,
    library: DrugLibrary,
    recent_raises_s: Mapping[str, Sequence[float]],
    now_s: float,
) -> tuple[SoftLimitWarning, ...]:
    """Every soft limit `new_program` with `new_mix` goes past, given what runs now."""
    out: list[SoftLimitWarning] = []
    for c in new_mix.components:
        if c.drug not in library:
            continue
        drug = library[c.drug]
        soft = drug.soft
        new = daily_dose_mcg(new_program, new_mix, c.drug)
        old = daily_dose_mcg(old_program, old_mix, c.drug)
        if soft.max_daily_dose_mcg is not None and new > soft.max_daily_dose_mcg * (1 + 1e-9):
            out.append(
                SoftLimitWarning(
                    SoftLimitCode.DOSE_ABOVE_SOFT_MAXIMUM,
                    f"{c.drug}: {_fmt(drug, new)} is above the usual maximum of "
                    f"{_fmt(drug, soft.max_daily_dose_mcg)}",
                    c.drug,
                    "basal",
                )
            )
        limit = soft.max_starting_dose_mcg_per_day
        if old <= 0 and limit is not None and new > limit * (1 + 1e-9):
            out.append(
                SoftLimitWarning(
                    SoftLimitCode.STARTING_DOSE_ABOVE_LIMIT,
                    f"{c.drug}: starting at {_fmt(drug, new)}, above the starting limit of "
                    f"{_fmt(drug, limit)}",
                    c.drug,
                    "basal",
                )
            )
        step = soft.max_increase_mcg_per_day
        if old > 0 and step is not None and new - old > step * (1 + 1e-9):
            out.append(
                SoftLimitWarning(
                    SoftLimitCode.INCREASE_ABOVE_LIMIT,
                    f"{c.drug}: raising from {_fmt(drug, old)} to {_fmt(drug, new)} is more than "
                    f"the {_fmt(drug, step)} allowed in one change",
                    c.drug,
                    "basal",
                )
            )
        out.extend(_weekly_pattern(new_program, new_mix, drug))
        per_week = soft.max_increases_per_week
        if per_week is not None and old > 0 and new > old * (1 + 1e-9):
            recent = [t for t in recent_raises_s.get(c.drug, ()) if t > now_s - RAISE_MEMORY_S]
            if len(recent) + 1 > per_week:
                out.append(
                    SoftLimitWarning(
                        SoftLimitCode.TOO_MANY_INCREASES,
                        f"{c.drug}: this would be raise {len(recent) + 1} in 7 days; at most "
                        f"{per_week} are advised",
                        c.drug,
                        "basal",
                    )
                )
    return tuple(out)


def _weekly_pattern(program: TherapyProgram, mix: Mix, drug: Drug) -> list[SoftLimitWarning]:
    """A weekly pattern that itself raises the dose too steeply or too often within a week."""
    soft = drug.soft
    conc = mix.concentration_mcg_per_ml(drug.name)
    doses = [v * conc for v in daily_volumes_ml(program.basal)]
    if len(doses) < 7:
        return []
    raises = [
        (d, doses[d] - doses[d - 1]) for d in range(7) if doses[d] > doses[d - 1] * (1 + 1e-9)
    ]
    out: list[SoftLimitWarning] = []
    step = soft.max_increase_mcg_per_day
    if step is not None:
        for day, rise in raises:
            if rise > step * (1 + 1e-9):
                out.append(
                    SoftLimitWarning(
                        SoftLimitCode.INCREASE_ABOVE_LIMIT,
                        f"{drug.name}: day {day + 1} of the week is {_fmt(drug, rise)} above the "
                        f"day before, more than {_fmt(drug, step)}",
                        drug.name,
                        "steps",
                    )
                )
    per_week = soft.max_increases_per_week
    if per_week is not None and len(raises) > per_week:
        out.append(
            SoftLimitWarning(
                SoftLimitCode.TOO_MANY_INCREASES,
                f"{drug.name}: the weekly pattern raises the dose {len(raises)} times a week; at "
                f"most {per_week} are advised",
                drug.name,
                "steps",
            )
        )
    return out


def remember_raises(
    raises: dict[str, list[float]],
    old_program: TherapyProgram | None,
    old_mix: Mix,
    new_program: TherapyProgram,
    new_mix: Mix,
    now_s: float,
) -> None:
    """Note the drugs whose daily dose this change raised (forgetting those over a week old)."""
    for c in new_mix.components:
        new = daily_dose_mcg(new_program, new_mix, c.drug)
        old = daily_dose_mcg(old_program, old_mix, c.drug)
        kept = [t for t in raises.get(c.drug, []) if t > now_s - RAISE_MEMORY_S]
        if old > 0 and new > old * (1 + 1e-9):
            kept.append(now_s)
        if kept:
            raises[c.drug] = kept
        else:
            raises.pop(c.drug, None)
