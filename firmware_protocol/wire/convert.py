"""Translation between the model's values and their wire records, both ways.

Kept apart from the codec so that the wire stays a plain, documented layout and the model stays
free of wire concerns. Conversion from the wire never trusts its input: a malformed record raises
`ValueError` (the firmware answers MALFORMED_MESSAGE), and every value still goes through the
model's own validation afterwards.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pumpsim
from firmware_protocol.wire import messages as m
from pumpsim import (
    Continuous,
    FlexibleSchedule,
    Mix,
    PatientBolusSettings,
    SchedulePeriod,
    Step,
    Stopped,
    TherapyProgram,
)
from pumpsim.domain.propellant import PropellantDrive


def program_to_spec(program: TherapyProgram) -> m.ProgramSpec:
    basal = program.basal
    pb = program.patient_bolus
    steps: tuple[m.StepSpec, ...] = ()
    pb_specs = (
        ()
        if pb is None
        else (m.PatientBolusSpec(pb.volume_ml, pb.duration_s, pb.lockout_s, pb.max_per_24h),)
    )
    if isinstance(basal, Continuous):
        mode, rate, period = "continuous", basal.rate_ml_per_day, "daily"
    elif isinstance(basal, FlexibleSchedule):
        mode, rate, period = "flexible", 0.0, str(basal.period)
        steps = tuple(m.StepSpec(s.start_s, s.duration_s, s.rate_ml_per_day) for s in basal.steps)
    else:
        mode, rate, period = "stopped", 0.0, "daily"
    return m.ProgramSpec(mode, rate, period, steps, pb_specs, program.low_reservoir_alarm_ml)


def program_from_spec(spec: m.ProgramSpec) -> TherapyProgram:
    basal: Stopped | Continuous | FlexibleSchedule
    if spec.mode == "stopped":
        basal = Stopped()
    elif spec.mode == "continuous":
        basal = Continuous(spec.rate_ml_per_day)
    elif spec.mode == "flexible":
        basal = FlexibleSchedule(
            tuple(Step(s.start_s, s.duration_s, s.rate_ml_per_day) for s in spec.steps),
            SchedulePeriod(spec.period),
        )
    else:
        raise ValueError(f"unknown program mode {spec.mode!r}")
    if len(spec.patient_bolus) > 1:
        raise ValueError("at most one patient-bolus setting")
    pb = None
    if spec.patient_bolus:
        p = spec.patient_bolus[0]
        pb = PatientBolusSettings(p.volume_ml, p.duration_s, p.lockout_s, p.max_per_24h)
    return TherapyProgram(basal, pb, spec.low_reservoir_alarm_ml)


def mix_to_specs(mix: Mix) -> tuple[m.DrugSpec, ...]:
    return tuple(m.DrugSpec(c.drug, c.mcg_per_ml) for c in mix.components)


def mix_from_specs(specs: tuple[m.DrugSpec, ...]) -> Mix:
    return Mix(tuple(pumpsim.DrugConcentration(s.drug, s.mcg_per_ml) for s in specs))


def violations_to_specs(violations: tuple[pumpsim.Violation, ...]) -> tuple[m.ViolationSpec, ...]:
    return tuple(m.ViolationSpec(str(v.code), v.message, v.field) for v in violations)


def warnings_to_specs(
    warnings: tuple[pumpsim.SoftLimitWarning, ...],
) -> tuple[m.WarningSpec, ...]:
    return tuple(m.WarningSpec(str(w.code), w.message, w.drug, w.field) for w in warnings)


def error_details(error: pumpsim.PumpError) -> tuple[m.ViolationSpec, ...]:
    """What an ERROR reply lists: the violations, or the soft limits that need an override."""
    if isinstance(error, pumpsim.SoftLimitOverrideRequiredError):
        return tuple(m.ViolationSpec(str(w.code), w.message, w.field) for w in error.warnings)
    return violations_to_specs(getattr(error, "violations", ()))


def daily_doses(program: TherapyProgram, mix: Mix) -> tuple[m.DoseSpec, ...]:
    """Average basal dose per day of each drug (what review screens total up)."""
    from pumpsim.domain.program import average_rate_ml_per_day

    rate = average_rate_ml_per_day(program.basal)
    return tuple(m.DoseSpec(c.drug, rate * c.mcg_per_ml) for c in mix.components)


def program_changes(old: TherapyProgram, new: TherapyProgram) -> tuple[m.ChangeSpec, ...]:
    """Field-by-field differences, flattened to readable paths, for review before write."""
    a, b = _flatten(program_to_spec(old)), _flatten(program_to_spec(new))
    out = []
    for key in sorted(set(a) | set(b), key=_natural):
        if a.get(key) != b.get(key):
            out.append(m.ChangeSpec(key, a.get(key, ""), b.get(key, "")))
    return tuple(out)


def _natural(key: str) -> tuple[Any, ...]:
    parts: list[Any] = []
    for piece in key.replace("]", "").split("["):
        parts.extend(int(p) if p.isdigit() else p for p in piece.split("."))
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in parts)


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, str] = {}
        for f in dataclasses.fields(value):
            out.update(_flatten(getattr(value, f.name), f"{prefix}{f.name}."))
        return out
    if isinstance(value, tuple):
        out = {}
        for i, item in enumerate(value):
            out.update(_flatten(item, f"{prefix[:-1]}[{i}]."))
        if not value:
            out[prefix[:-1]] = "none"
        return out
    return {prefix[:-1]: f"{value:g}" if isinstance(value, float) else str(value)}


def _opt(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


FAULTS: dict[str, type] = {cls.__name__: cls for cls in pumpsim.FAULT_TYPES}


def fault_from_json(text: str, now_s: float) -> pumpsim.Fault:
    """{"kind": "MotorStall", "in_s": 60, "duration_s": 3600}: onset absolute or relative."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("fault must be a JSON object")
    kind = data.pop("kind", None)
    if kind not in FAULTS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(FAULTS)}")
    if "in_s" in data:
        data["onset_s"] = now_s + float(data.pop("in_s"))
    fault: pumpsim.Fault = FAULTS[kind](**data)
    return fault


def fault_to_json(fault: pumpsim.Fault) -> str:
    return json.dumps({"kind": type(fault).__name__, **dataclasses.asdict(fault)})


def describe(config: pumpsim.PumpConfig, library: pumpsim.DrugLibrary) -> m.PumpDescription:
    """The pump as a programmer must know it to check a program the way the pump will (in one
    message; bulk.description_chunks splits it to fit frames)."""
    drugs = tuple(
        m.LibraryDrugSpec(
            d.name,
            str(d.unit),
            d.max_concentration_mcg_per_ml,
            d.max_daily_dose_mcg,
            d.patient_bolus_allowed,
            d.soft.max_daily_dose_mcg,
            d.soft.max_starting_dose_mcg_per_day,
            d.soft.max_increase_mcg_per_day,
            None if d.soft.max_increases_per_week is None else float(d.soft.max_increases_per_week),
        )
        for d in library.values()
    )
    return m.PumpDescription(
        str(config.variant),
        config.reservoir_capacity_ml,
        config.min_rate_ml_per_day,
        config.max_rate_ml_per_day,
        config.rate_resolution_ml_per_day,
        config.max_schedule_steps_per_day,
        config.default_low_reservoir_alarm_ml,
        drugs,
        False,
        config.drive.factory_rate_ml_per_day if config.is_constant_flow else 0.0,
    )


def described(
    description: m.PumpDescription,
) -> tuple[pumpsim.PumpConfig, pumpsim.DrugLibrary]:
    """The configuration and drug library a description stands for (what validation reads)."""
    config = pumpsim.PumpConfig(
        variant=pumpsim.PumpVariant(description.variant),
        reservoir_capacity_ml=description.reservoir_capacity_ml,
        min_rate_ml_per_day=description.min_rate_ml_per_day,
        max_rate_ml_per_day=description.max_rate_ml_per_day,
        rate_resolution_ml_per_day=description.rate_resolution_ml_per_day,
        max_schedule_steps_per_day=description.max_schedule_steps_per_day,
        default_low_reservoir_alarm_ml=description.default_low_reservoir_alarm_ml,
        drive=PropellantDrive(factory_rate_ml_per_day=description.factory_rate_ml_per_day or 1.0),
    )
    drugs = [
        pumpsim.Drug(
            d.drug,
            pumpsim.MassUnit(d.unit),
            d.max_concentration_mcg_per_ml,
            d.max_daily_dose_mcg,
            d.patient_bolus_allowed,
            soft=pumpsim.SoftLimits(
                d.soft_max_daily_dose_mcg,
                d.soft_max_starting_dose_mcg_per_day,
                d.soft_max_increase_mcg_per_day,
                None
                if d.soft_max_increases_per_week is None
                else int(d.soft_max_increases_per_week),
            ),
        )
        for d in description.drugs
    ]
    return config, pumpsim.DrugLibrary(drugs)


def log_record_to_spec(record: pumpsim.LogRecord) -> m.LogRecordSpec:
    """A log record as the wire carries it (and as the log's hash chain hashes it)."""
    details = json.dumps(dict(record.details))
    return m.LogRecordSpec(record.index, record.at_s, str(record.kind), details)


def patient_to_spec(profile: pumpsim.PatientProfile) -> m.PatientSpec:
    return m.PatientSpec(profile.label, _drug_specs(profile))


def _drug_specs(profile: pumpsim.PatientProfile) -> tuple[m.PatientDrugSpec, ...]:
    return tuple(
        m.PatientDrugSpec(
            d.drug,
            d.baseline_mcg_per_day,
            d.half_life_s,
            d.sensitivity,
            d.withdrawal_onset_s,
            d.withdrawal_serious_after_s,
            d.withdrawal_life_threatening_after_s,
        )
        for d in profile.drugs
    )


def patient_from_spec(spec: m.PatientSpec) -> pumpsim.PatientProfile:
    """Built field by field from the record's values: nothing named by the bytes is called."""
    return pumpsim.PatientProfile(
        spec.label,
        tuple(
            pumpsim.DrugResponse(
                s.drug,
                s.baseline_mcg_per_day,
                s.half_life_s,
                s.sensitivity,
                s.withdrawal_onset_s,
                s.withdrawal_serious_after_s,
                s.withdrawal_life_threatening_after_s,
            )
            for s in spec.drugs
        ),
    )


PATIENT_TIMELINE_SENT = 48  # the latest sign changes a SimPatient carries


def patient_report(
    view: pumpsim.PatientView | None, index: int, count: int, now_s: float
) -> m.SimPatient:
    if view is None:
        return m.SimPatient(False, index, count, "", now_s, "none", (), (), (), 0)
    return m.SimPatient(
        True,
        index,
        count,
        view.label,
        view.at_s,
        view.worst.label,
        tuple(
            m.ExposureSpec(e.drug, e.exposure, e.band_low, e.band_high, e.baseline_mcg_per_day)
            for e in view.exposures
        ),
        tuple(
            m.SignSpec(s.drug, str(s.sign), s.severity.label, s.since_s, s.began_s, s.words)
            for s in view.signs_now
        ),
        tuple(
            m.SignChangeSpec(c.at_s, c.drug, str(c.sign), c.severity.label)
            for c in view.timeline[-PATIENT_TIMELINE_SENT:]
        ),
        len(view.timeline),
    )
