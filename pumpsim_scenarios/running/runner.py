"""Running a scenario: on the model directly, or through firmware and client over a faulty link.

Both drivers (`drivers`) offer the same verbs, so one scenario runs either way; the expectations
are judged (`results.judge`) on the model's ground truth and on what the programmer saw (replies,
rejections, verdicts).
"""

from __future__ import annotations

import pumpsim
from pumpsim import (
    Mix,
    Pump,
)
from pumpsim.domain.program import average_rate_ml_per_day
from pumpsim.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_MINUTE
from pumpsim_scenarios.files.spec import Action, Scenario
from pumpsim_scenarios.files.values import (
    Rejected,
    fault_from,
    fault_json,
    mcg_of,
    patient_bolus_params,
    program_from,
    pump_config,
)
from pumpsim_scenarios.running import accuracy, patients, series
from pumpsim_scenarios.running.drivers import ModelDriver, StackDriver
from pumpsim_scenarios.running.results import ExpectationResult, ScenarioResult, judge

__all__ = [
    "ExpectationResult",
    "ModelDriver",
    "Rejected",
    "ScenarioResult",
    "StackDriver",
    "fault_from",
    "fault_json",
    "judge",
    "mcg_of",
    "patient_bolus_params",
    "program_from",
    "pump_config",
    "run",
]


def run(scenario: Scenario, mode: str | None = None) -> ScenarioResult:
    """Run one scenario (in its own mode unless `mode` says otherwise)."""
    mode = mode or scenario.mode
    driver: ModelDriver | StackDriver = (
        ModelDriver(scenario) if mode == "model" else StackDriver(scenario)
    )
    result = ScenarioResult(
        scenario.id,
        scenario.path,
        scenario.name,
        mode,
        scenario.parameters,
        scenario.seed,
        False,
        [],
    )
    alarm_log: list[tuple[str, float]] = []
    try:
        _setup(driver, scenario)
        if scenario.patient is not None:
            driver.attach_patients(_patients(driver, scenario))
        step = _PATIENT_STEP_S if scenario.patient is not None else None
        for action in scenario.timeline:
            _advance(driver, action.at_s, step)
            alarm_log += _alarms_since(driver.pump, alarm_log)
            try:
                _act(driver, scenario, action, result)
            except Rejected as r:
                result.rejections[action.index] = r.codes
        _advance(driver, scenario.duration_s, step)
        alarm_log += _alarms_since(driver.pump, alarm_log)
        extra = driver.close()
    except Exception as e:  # a broken scenario or runner: a failed result, not a crash
        result.error = f"{type(e).__name__}: {e}"
        result.passed = False
        return result
    pump = driver.pump
    truth = pump.physical()
    result.alarms = alarm_log
    result.delivered_mcg = dict(truth.delivered_mcg)
    status = pump.status()
    result.final = {
        "sim_days": round(pump.now_s / SECONDS_PER_DAY, 6),
        "reservoir_ml": round(truth.reservoir_ml, 6),
        "reservoir_expected_ml": round(status.reservoir_ml, 6),
        "delivered_ml": round(truth.delivered_ml, 6),
        "battery_mah": round(status.battery_mah, 6),
        "program": type(status.program.basal).__name__,
        **extra,
    }
    result.series = series.record(pump, scenario, scenario.duration_s)
    result.moments = series.moments(scenario, alarm_log, result.verdicts)
    asks = [e for e in scenario.expectations if e.kind == "accuracy"]
    if asks:  # trumpet curves, from the first asking expectation's start (default: day 1)
        start = float(asks[0].params.get("from_days", 1.0)) * SECONDS_PER_DAY
        curves = accuracy.trumpet(pump, start, scenario.seed)
        result.trumpet = curves.as_dict() if curves is not None else {}
    if scenario.patient is not None:
        result.patients = patients.outcomes(pump)
        result.cohort = patients.summary(result.patients)
    result.expectations = [judge(e, result, scenario, extra) for e in scenario.expectations]
    result.passed = all(e.passed for e in result.expectations)
    if result.patients:
        patients.prune(result.patients, result.cohort)
    return result


def _patients(driver: ModelDriver | StackDriver, s: Scenario) -> tuple[pumpsim.PatientProfile, ...]:
    """The scenario's patients; the initial drug's baseline defaults to what the pump gives."""
    assert s.patient is not None
    status = driver.pump.status()
    primary = status.mix.primary
    rate = average_rate_ml_per_day(status.program.basal) if primary else 0.0
    dose = rate * primary.mcg_per_ml if primary else 0.0
    return s.patient.profiles(s.seed, dose)


# With a patient, time moves in steps of at most this, so its exposure is seen (plotted, judged
# by `exposure` expectations) every few hours as well as at every crossing of a level; the
# model's results do not depend on how time is cut (path independence, tests/pumpsim).
_PATIENT_STEP_S = 3 * SECONDS_PER_HOUR


def _advance(driver: ModelDriver | StackDriver, to_s: float, step: float | None) -> None:
    if step is not None:
        while driver.now_s + step < to_s:
            driver.advance(driver.now_s + step)
    driver.advance(to_s)


def _alarms_since(pump: Pump, seen: list[tuple[str, float]]) -> list[tuple[str, float]]:
    known = set(seen)
    out = []
    for record in pump.log.of_kind(pumpsim.LogKind.ALARM_RAISED):
        item = (str(record.details["alarm"]), record.at_s)
        if item not in known:
            out.append(item)
            known.add(item)
    return out


def _setup(driver: ModelDriver | StackDriver, s: Scenario) -> None:
    init = s.initial
    if not init:
        return
    drug = init.get("drug", "morphine")
    conc = mcg_of(init, "concentration") or 1000.0
    config = pump_config(s)
    program = program_from(
        init.get("program", {"mode": "stopped"}) | patient_bolus_params(init), conc, config
    )
    if config.is_constant_flow:  # no program, no priming: it flows at its factory rate once filled
        driver.withdraw()
        driver.fill(float(init.get("fill_ml", 20.0)), Mix.of(**{drug: conc}), None)
        return
    driver.withdraw()
    driver.fill(float(init.get("fill_ml", 20.0)), Mix.of(**{drug: conc}), program)
    if init.get("prime", True):
        driver.priming()


def _concentration(driver: ModelDriver | StackDriver) -> float:
    mix = driver.pump.status().mix
    return mix.primary.mcg_per_ml if mix.primary else 1.0


def _act(driver: ModelDriver | StackDriver, s: Scenario, a: Action, result: ScenarioResult) -> None:
    p = a.params
    kind = a.kind
    config = pump_config(s)
    if kind == "program":
        override = bool(p.get("override_soft_limits", False))
        driver.program(program_from(p, _concentration(driver), config), override)
    elif kind == "bolus":
        dose = mcg_of(p, "dose")
        volume = (
            float(p["volume_ml"]) if "volume_ml" in p else (dose or 0.0) / _concentration(driver)
        )
        driver.bolus(volume, float(p.get("duration_min", 60)) * SECONDS_PER_MINUTE)
    elif kind == "priming":
        driver.priming()
    elif kind == "patient_bolus":
        every = float(p.get("every_minutes", 0)) * SECONDS_PER_MINUTE
        for k in range(int(p.get("count", 1))):
            driver.advance(a.at_s + k * every)
            driver.patient_bolus()
    elif kind == "refill":
        verdict, _withdrawn, _expected = driver.withdraw()
        result.verdicts.append((a.at_s, verdict))
        drug = p.get("drug")
        mix = driver.pump.status().mix
        if drug is not None:
            conc = mcg_of(p, "concentration") or 1000.0
            mix = Mix.of(**{drug: conc})
        program = None
        if "program" in p:
            primary = mix.primary
            program = program_from(p["program"], primary.mcg_per_ml if primary else 1.0, config)
        override = bool(p.get("override_soft_limits", False))
        driver.fill(float(p.get("fill_ml", config.reservoir_capacity_ml)), mix, program, override)
    elif kind == "mri":
        driver.mri_enter()
        driver.advance(a.at_s + float(p.get("duration_hours", 1.0)) * SECONDS_PER_HOUR)
        driver.mri_exit()
    elif kind == "conditions":
        was = driver.pump.conditions
        driver.conditions(
            float(p.get("body_temperature_c", was.body_temperature_c)),
            float(p.get("ambient_pressure_kpa", was.ambient_pressure_kpa)),
        )
        if "duration_hours" in p:  # a flight, a fever, a night on a heating pad: then back
            step = _PATIENT_STEP_S if s.patient is not None else None
            _advance(driver, a.at_s + float(p["duration_hours"]) * SECONDS_PER_HOUR, step)
            driver.conditions(was.body_temperature_c, was.ambient_pressure_kpa)
    elif kind == "interrogate":
        driver.interrogate()
    elif kind == "acknowledge":
        driver.acknowledge()
    elif kind == "fault":
        driver.fault(fault_from(p, a.at_s))
    elif isinstance(driver, StackDriver):
        if kind == "link_noise":
            driver.link_noise(p)
        elif kind == "link_loss":
            driver.link_loss()
        elif kind == "firmware_reset":
            driver.firmware_reset()
