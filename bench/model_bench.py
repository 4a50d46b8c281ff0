"""The model against what a user would write instead, on one workload in one process.

Workload: ten simulated years of a flexible schedule with 8 steps a day, 3 patient-bolus requests a
day (10-minute boluses, 2-hour lockout, 4 a day at most) and a refill every 45 days. Three
implementations run it, interleaved, best of `REPEATS`:

- pumpsim: the `Pump`, driven from outside as a programmer would (advance, then request);
- SimPy: a process per job (schedule, patient, refills) integrating the pumped volume at each event;
- floor: a bare `heapq` event loop doing the same integration, the least pure Python can do.

pumpsim runs it twice: bare (`wall_s`) and with a virtual patient at the end of the catheter
(`patient_wall_s`, stable on its schedule's daily dose, the boluses on top), whose exposure is
carried in closed form over every stretch.

The pumped volumes must agree (`volumes_agree`). pumpsim does more per event than the other two
(battery, alarms, the reckoned and the true reservoir, per-drug masses, event log, trend), but
integrates a schedule in closed form, so step boundaries are not events for it.

Then a scale run: 100 simulated years of a 24-step weekly program with 10 patient-bolus requests
a day, to show that memory stays bounded (the trend is thinned, the log wraps like a device's).

Run `python bench/model_bench.py`; the last line printed is one JSON object.
"""

from __future__ import annotations

import heapq
import json
import math
import resource
import time
from collections import deque
from collections.abc import Generator

import simpy

from pumpsim import (
    BatteryConfig,
    FlexibleSchedule,
    Mix,
    PatientBolusSettings,
    Pump,
    PumpConfig,
    SchedulePeriod,
    Step,
    TherapyProgram,
)
from pumpsim.patient.profile import typical
from pumpsim.units import SECONDS_PER_DAY, SECONDS_PER_YEAR, days, hours, minutes

DAY = SECONDS_PER_DAY
YEARS = 10
REPEATS = 15  # the best of each: runs of 0.07 s swing by 10% on a busy machine
REFILL_EVERY_S = days(45)
FILL_ML = 40.0
RATES = (0.3, 0.5, 0.8, 0.6, 0.4, 0.7, 0.5, 0.3)  # mL/day, 3 hours each
REQUEST_HOURS = (8, 13, 20)
BOLUS_ML, BOLUS_S, LOCKOUT_S, MAX_PER_24H = 0.05, minutes(10), hours(2), 4
MIX = Mix.of(morphine=1000.0)
# The daily dose the bench's patient is stable on: its schedule's (the boluses come on top).
DAILY_MCG = 1000.0 * (sum(RATES) / len(RATES))
_Steps = Generator[simpy.Event, None, None]  # a SimPy process


def build_program() -> TherapyProgram:
    steps = tuple(Step(hours(3 * i), hours(3), r) for i, r in enumerate(RATES))
    bolus = PatientBolusSettings(BOLUS_ML, BOLUS_S, LOCKOUT_S, MAX_PER_24H)
    return TherapyProgram(FlexibleSchedule(steps), bolus, low_reservoir_alarm_ml=2.0)


def config(years: float) -> PumpConfig:
    """A battery that outlasts the run (the 7-year cap would make later years trivially cheap)."""
    life = (years + 2) * SECONDS_PER_YEAR
    return PumpConfig(battery=BatteryConfig(capacity_mah=200.0 * years + 500, life_cap_s=life))


def drive(pump: Pump, end_s: float, request_hours: tuple[float, ...], refill_s: float) -> None:
    """What happens to a pump from outside: requests at fixed hours, a refill every so often."""
    next_refill = refill_s
    day = 0
    while days(day) < end_s:
        for h in request_hours:
            t = days(day) + hours(h)
            if t >= end_s:
                break
            if t >= next_refill:
                pump.advance(next_refill)
                pump.withdraw_reservoir()
                pump.fill_reservoir(FILL_ML, MIX)
                next_refill += refill_s
            pump.advance(t)
            pump.request_patient_bolus()
        day += 1
    pump.advance(end_s)


def run_pumpsim(end_s: float, patient: bool = False) -> tuple[float, float, int]:
    pump = Pump(config(YEARS))
    pump.fill_reservoir(FILL_ML, MIX, build_program())
    if patient:  # stable on its schedule's daily dose
        pump.attach_patient(typical({"morphine": DAILY_MCG}))
    started = time.perf_counter()
    drive(pump, end_s, REQUEST_HOURS, REFILL_EVERY_S)
    return time.perf_counter() - started, pump.physical().pumped_ml, pump.events_processed


def run_pumpsim_with_patient(end_s: float) -> tuple[float, float, int]:
    return run_pumpsim(end_s, patient=True)


def run_simpy(end_s: float) -> tuple[float, float, int]:
    env = simpy.Environment()
    s = {"basal": 0.0, "bolus": 0.0, "last": 0.0, "pumped": 0.0, "reservoir": FILL_ML}
    grants: deque[float] = deque()
    events = [0]

    def account() -> None:
        volume = (s["basal"] + s["bolus"]) / DAY * (env.now - s["last"])
        s["pumped"] += volume
        s["reservoir"] -= volume
        s["last"] = env.now
        events[0] += 1

    def schedule() -> _Steps:
        i = 0
        while True:
            account()
            s["basal"] = RATES[i % len(RATES)]
            i += 1
            yield env.timeout(hours(3))

    def bolus() -> _Steps:
        account()
        s["bolus"] = BOLUS_ML * DAY / BOLUS_S
        yield env.timeout(BOLUS_S)
        account()
        s["bolus"] = 0.0

    def patient() -> _Steps:
        day = 0
        while True:
            for h in REQUEST_HOURS:
                yield env.timeout(days(day) + hours(h) - env.now)
                while grants and grants[0] <= env.now - DAY:
                    grants.popleft()
                lockout_over = not grants or env.now - grants[-1] >= LOCKOUT_S
                if s["bolus"] == 0 and lockout_over and len(grants) < MAX_PER_24H:
                    grants.append(env.now)
                    env.process(bolus())
            day += 1

    def refills() -> _Steps:
        while True:
            yield env.timeout(REFILL_EVERY_S)
            account()
            s["reservoir"] = FILL_ML

    for process in (schedule, patient, refills):
        env.process(process())
    started = time.perf_counter()
    env.run(until=end_s)
    account()
    return time.perf_counter() - started, s["pumped"], events[0]


def run_floor(end_s: float) -> tuple[float, float, int]:
    started = time.perf_counter()
    queue: list[tuple[float, int, int]] = []
    for d in range(int(end_s // DAY) + 1):
        queue.extend((days(d) + hours(3 * i), 0, i) for i in range(len(RATES)))
        queue.extend((days(d) + hours(h), 1, 0) for h in REQUEST_HOURS)
    queue.extend((REFILL_EVERY_S * k, 3, 0) for k in range(1, int(end_s // REFILL_EVERY_S) + 1))
    heapq.heapify(queue)
    basal = bolus = last = pumped = 0.0
    reservoir = FILL_ML
    grants: deque[float] = deque()
    events = 0
    while queue:
        t, kind, i = heapq.heappop(queue)
        if t > end_s:
            break
        events += 1
        volume = (basal + bolus) / DAY * (t - last)
        pumped += volume
        reservoir -= volume
        last = t
        if kind == 0:
            basal = RATES[i]
        elif kind == 1:
            while grants and grants[0] <= t - DAY:
                grants.popleft()
            lockout_over = not grants or t - grants[-1] >= LOCKOUT_S
            if bolus == 0 and lockout_over and len(grants) < MAX_PER_24H:
                grants.append(t)
                bolus = BOLUS_ML * DAY / BOLUS_S
                heapq.heappush(queue, (t + BOLUS_S, 2, 0))
        elif kind == 2:
            bolus = 0.0
        else:
            reservoir = FILL_ML
    pumped += (basal + bolus) / DAY * (end_s - last)
    return time.perf_counter() - started, pumped, events


def scale_run(years: int = 100) -> dict[str, float]:
    """100 years of a 24-step weekly program, 10 requests a day: wall time and bounded memory."""
    steps = tuple(
        Step(hours(7 * i), hours(7), 0.2 + 0.05 * (i % 6)) for i in range(24)
    )  # 24 steps of 7 hours fill the week's 168 hours
    bolus = PatientBolusSettings(0.01, minutes(5), hours(1), 12)
    program = TherapyProgram(FlexibleSchedule(steps, SchedulePeriod.WEEKLY), bolus, 2.0)
    pump = Pump(config(years))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    pump.fill_reservoir(FILL_ML, MIX, program)
    end_s = years * SECONDS_PER_YEAR
    drive(pump, end_s, tuple(6 + 1.5 * k for k in range(10)), days(30))
    wall_s = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    trend_started = time.perf_counter()
    last_year = pump.trend(end_s - SECONDS_PER_YEAR, end_s)
    return {
        "sim_years": years,
        "wall_s": round(wall_s, 2),
        "events": pump.events_processed,
        "peak_rss_growth_mb": round((rss_after - rss_before) / 1024, 1),
        "snapshot_kb": round(len(pump.snapshot()) / 1024, 1),
        "trend_knots": pump.trend_knots,
        "log_records": len(pump.log),
        "log_overflow": pump.log.overflow_count,
        "last_year_trend_s": round(time.perf_counter() - trend_started, 3),
        "last_year_delivered_ml": round(float(last_year.delivered_ml.sum()), 3),
        "pumped_ml": round(pump.physical().pumped_ml, 3),
    }


def main() -> None:
    scale = scale_run()  # first, so that its memory growth is its own
    end_s = YEARS * SECONDS_PER_YEAR
    best = {"pumpsim": math.inf, "patient": math.inf, "simpy": math.inf, "floor": math.inf}
    volumes: dict[str, float] = {}
    counts: dict[str, int] = {}
    runners = {
        "pumpsim": run_pumpsim,
        "patient": run_pumpsim_with_patient,
        "simpy": run_simpy,
        "floor": run_floor,
    }
    for _ in range(REPEATS):
        for name, run in runners.items():
            wall, pumped, events = run(end_s)
            best[name] = min(best[name], wall)
            volumes[name] = pumped
            counts[name] = events
    agree = all(math.isclose(v, volumes["floor"], rel_tol=1e-9) for v in volumes.values())
    result = {
        "sim_years": YEARS,
        "wall_s": round(best["pumpsim"], 4),
        "patient_wall_s": round(best["patient"], 4),
        "patient_over_wall": round(best["patient"] / best["pumpsim"], 3),
        "simpy_wall_s": round(best["simpy"], 4),
        "floor_wall_s": round(best["floor"], 4),
        "vs_simpy": round(best["pumpsim"] / best["simpy"], 2),
        "vs_floor": round(best["pumpsim"] / best["floor"], 2),
        "events": counts["pumpsim"],
        "simpy_events": counts["simpy"],
        "floor_events": counts["floor"],
        "us_per_floor_event": round(best["pumpsim"] / counts["floor"] * 1e6, 2),
        "pumped_ml": round(volumes["pumpsim"], 6),
        "volumes_agree": agree,
        "scale": scale,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(
        f"pumpsim {best['pumpsim']:.4f} s, SimPy {best['simpy']:.4f} s, "
        f"heapq floor {best['floor']:.4f} s; 100 years: {scale['wall_s']} s"
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
