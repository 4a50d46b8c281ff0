"""Benchmark of the event-driven model against naive fixed 1-minute integration.

Ten simulated years of a flexible schedule with 8 steps a day, 3 patient-bolus requests a day and a
refill every 45 days. The battery is configured to outlast the run (the device's own 7-year cap
would otherwise stop the pump and make the later years trivially cheap).

Two baselines, both stepping every simulated minute: `naive_wall_s` is a separate fixed-step
integrator of the same program that tracks the same quantities (pumpsim.reference, the tests'
oracle), the stricter comparison; `stepped_model_wall_s` is the model itself advanced a minute at a
time. The last line printed is one JSON object; run `python bench/model_bench.py`.
"""

from __future__ import annotations

import json
import resource
import time

from pumpsim import (
    BatteryConfig,
    FlexibleSchedule,
    Mix,
    PatientBolusSettings,
    Pump,
    PumpConfig,
    Step,
    TherapyProgram,
)
from pumpsim.reference import integrate_fixed_step
from pumpsim.units import SECONDS_PER_YEAR, days, hours, minutes

YEARS = 10
REFILL_EVERY_S = days(45)
FILL_ML = 40.0
RATES = (0.3, 0.5, 0.8, 0.6, 0.4, 0.7, 0.5, 0.3)
REQUEST_HOURS = (8, 13, 20)


def build_program() -> TherapyProgram:
    steps = tuple(Step(hours(3 * i), hours(3), r) for i, r in enumerate(RATES))
    bolus = PatientBolusSettings(
        volume_ml=0.05, duration_s=minutes(10), lockout_s=hours(2), max_per_24h=4
    )
    return TherapyProgram(FlexibleSchedule(steps), bolus, low_reservoir_alarm_ml=2.0)


CONFIG = PumpConfig(
    battery=BatteryConfig(capacity_mah=5000.0, life_cap_s=(YEARS + 2) * SECONDS_PER_YEAR)
)
MIX = Mix.of(morphine=1000.0)


def run_event_driven(end_s: float) -> tuple[Pump, float]:
    config, mix, program = CONFIG, MIX, build_program()
    started = time.perf_counter()
    pump = Pump(config)
    pump.fill_reservoir(FILL_ML, mix, program)
    next_refill = REFILL_EVERY_S
    day = 0
    while days(day) < end_s:
        for h in REQUEST_HOURS:
            t = days(day) + hours(h)
            if t >= end_s:
                break
            if t >= next_refill:
                pump.advance(next_refill)
                pump.withdraw_reservoir()
                pump.fill_reservoir(FILL_ML, mix)
                next_refill += REFILL_EVERY_S
            pump.advance(t)
            pump.request_patient_bolus()
        day += 1
    pump.advance(end_s)
    return pump, time.perf_counter() - started


def run_stepped(end_s: float) -> float:
    """The same run, the same model, advanced one simulated minute at a time."""
    pump = Pump(CONFIG)
    pump.fill_reservoir(FILL_ML, MIX, build_program())
    requests = iter(
        days(d) + hours(h) for d in range(int(end_s // days(1)) + 1) for h in REQUEST_HOURS
    )
    next_request = next(requests)
    next_refill = REFILL_EVERY_S
    started = time.perf_counter()
    t = 0.0
    while t < end_s:
        t = min(end_s, t + 60.0)
        while next_request <= t:
            pump.advance(next_request)
            pump.request_patient_bolus()
            next_request = next(requests)
        if t >= next_refill:
            pump.advance(next_refill)
            pump.withdraw_reservoir()
            pump.fill_reservoir(FILL_ML, MIX)
            next_refill += REFILL_EVERY_S
        pump.advance(t)
    return time.perf_counter() - started


def main() -> None:
    end_s = YEARS * SECONDS_PER_YEAR
    pump, wall_s = run_event_driven(end_s)
    events = pump.events_processed

    requests = [days(d) + hours(h) for d in range(int(end_s // days(1)) + 1) for h in REQUEST_HOURS]
    requests = [t for t in requests if t < end_s]
    refills = [REFILL_EVERY_S * k for k in range(1, int(end_s // REFILL_EVERY_S) + 1)]
    started = time.perf_counter()
    naive = integrate_fixed_step(
        CONFIG, build_program(), MIX, FILL_ML, end_s, 60.0, requests, refills
    )
    naive_wall_s = time.perf_counter() - started

    stepped_wall_s = run_stepped(end_s)
    physical = pump.physical()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "sim_years": YEARS,
        "events": events,
        "wall_s": round(wall_s, 4),
        "naive_wall_s": round(naive_wall_s, 3),
        "speedup": round(naive_wall_s / wall_s, 1),
        "stepped_model_wall_s": round(stepped_wall_s, 2),
        "speedup_vs_stepped_model": round(stepped_wall_s / wall_s, 1),
        "trend_knots": len(pump._knots),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "delivered_ml": round(physical.delivered_ml, 6),
        "naive_delivered_ml": round(naive.delivered_ml, 6),
        "battery_mah": round(pump.status().battery_mah, 6),
        "naive_battery_mah": round(naive.battery_mah, 6),
        "patient_boluses_granted": naive.granted,
    }
    print(f"event-driven: {wall_s:.3f} s for {events} events; naive 1-minute: {naive_wall_s:.2f} s")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
