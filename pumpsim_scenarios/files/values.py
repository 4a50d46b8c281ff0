"""A scenario file's numbers turned into the model's values: config, programs, doses, faults.

Shared by the runner, its drivers and the trainer's player, so a file means the same thing in
model mode, in stack mode and in a training session.
"""

from __future__ import annotations

from typing import Any

import pumpsim
from firmware_protocol.wire.convert import FAULTS, fault_to_json
from pumpsim import (
    Continuous,
    FlexibleSchedule,
    PatientBolusSettings,
    PumpConfig,
    Step,
    Stopped,
    TherapyProgram,
    dose_to_rate,
)
from pumpsim.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_MINUTE
from pumpsim_scenarios.files.spec import Scenario


class Rejected(Exception):  # noqa: N818 - a result, not a failure of the runner
    def __init__(self, codes: list[str]) -> None:
        super().__init__(",".join(codes))
        self.codes = codes


# ------------------------------------------------------------------ building values


def pump_config(s: Scenario) -> PumpConfig:
    p = s.pump
    battery = pumpsim.BatteryConfig(
        initial_age_s=float(p.get("battery_age_days", 0)) * SECONDS_PER_DAY
    )
    base: dict[str, Any] = {
        "reservoir_capacity_ml": float(p.get("reservoir_ml", 40)),
        "back_pressure_sensor": bool(p.get("back_pressure_sensor", False)),
        "battery": battery,
    }
    if "accuracy_factor" in p:  # else the class's own (the valve-gated trial's 96.8 %)
        base["accuracy_factor"] = float(p["accuracy_factor"])
    if "mri_recovery_lag_hours" in p:  # the reference device's lag is 2-24 h
        base["mri_recovery_lag_s"] = float(p["mri_recovery_lag_hours"]) * SECONDS_PER_HOUR
    if p.get("variant") == "valve_gated":
        return pumpsim.valve_gated_config(**base)
    if p.get("variant") == "constant_flow":
        del base["battery"]  # it has none
        rate = float(p.get("factory_rate_ml_per_day", 1.0))
        return pumpsim.constant_flow_config(
            drive=pumpsim.PropellantDrive(factory_rate_ml_per_day=rate), **base
        )
    return PumpConfig(**base)


def mcg_of(params: dict[str, Any], stem: str) -> float | None:
    """A mass (or mass rate, or concentration) given in mg or mcg, in mcg: `dose_mg_per_day`."""
    for key, value in params.items():
        if key.startswith(f"{stem}_mg"):
            return float(value) * 1000.0
        if key.startswith(f"{stem}_mcg"):
            return float(value)
    return None


def program_from(
    params: dict[str, Any], concentration: float, config: PumpConfig
) -> TherapyProgram:
    resolution = config.rate_resolution_ml_per_day

    def rate(p: dict[str, Any]) -> float:
        if "rate_ml_per_day" in p:
            return float(p["rate_ml_per_day"])
        dose = mcg_of(p, "dose")
        if dose is None:
            raise ValueError("give rate_ml_per_day, dose_mg_per_day or dose_mcg_per_day")
        return dose_to_rate(dose, concentration, resolution).rate_ml_per_day

    mode = params.get("mode", "continuous")
    basal: Stopped | Continuous | FlexibleSchedule
    if mode == "stopped":
        basal = Stopped()
    elif mode == "continuous":
        basal = Continuous(rate(params))
    else:
        basal = FlexibleSchedule(
            tuple(
                Step(
                    float(st["start_h"]) * 3600,
                    (float(st["end_h"]) - float(st["start_h"])) * 3600,
                    rate(st),
                )
                for st in params["steps"]
            )
        )
    pb = None
    if "patient_bolus" in params:
        b = params["patient_bolus"]
        dose = mcg_of(b, "dose")
        volume = float(b["volume_ml"]) if "volume_ml" in b else (dose or 0.0) / concentration
        pb = PatientBolusSettings(
            round(volume, 6),
            float(b.get("duration_min", 10)) * SECONDS_PER_MINUTE,
            float(b.get("lockout_min", 180)) * SECONDS_PER_MINUTE,
            int(b.get("max_per_24h", 4)),
        )
    return TherapyProgram(basal, pb, float(params.get("low_reservoir_alarm_ml", 2.0)))


def fault_from(params: dict[str, Any], at_s: float) -> pumpsim.Fault:
    """A timeline's fault entry as the model's own fault object, beginning at `at_s`."""
    body = {k: v for k, v in params.items() if k != "fault"}
    for key in list(body):
        if key.endswith("_days"):
            body[key[:-5] + "_s"] = float(body.pop(key)) * SECONDS_PER_DAY
        elif key.endswith("_hours"):
            body[key[:-6] + "_s"] = float(body.pop(key)) * SECONDS_PER_HOUR
    fault: pumpsim.Fault = FAULTS[params["fault"]](onset_s=at_s, **body)
    return fault


def fault_json(params: dict[str, Any], at_s: float) -> str:
    """The same fault as it crosses the wire (SimInjectFault)."""
    return fault_to_json(fault_from(params, at_s))


def patient_bolus_params(init: dict[str, Any]) -> dict[str, Any]:
    """The program's extras an [initial] table may give: patient bolus, alarm volume."""
    out: dict[str, Any] = {}
    if "patient_bolus" in init:
        out["patient_bolus"] = init["patient_bolus"]
    if "low_reservoir_alarm_ml" in init:
        out["low_reservoir_alarm_ml"] = init["low_reservoir_alarm_ml"]
    return out
