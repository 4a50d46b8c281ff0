"""A deliberately naive fixed-step integrator: the oracle for tests and the benchmark's baseline.

It covers basal programs, patient boluses and refills for one mix, and walks time in equal steps,
tracking what `Pump` tracks for them: the pump's reckoned and the true reservoir, the drug
delivered, the battery, the low-reservoir alarm and an hourly trend. It is slow in proportion to the
simulated duration and simple enough to trust; the event-driven `Pump` must agree with it to within
about one step's worth of volume per rate change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pumpsim.domain.config import PumpConfig
from pumpsim.domain.drugs import Mix
from pumpsim.domain.program import Continuous, FlexibleSchedule, Stopped, TherapyProgram
from pumpsim.units import SECONDS_PER_DAY, SECONDS_PER_HOUR


@dataclass(frozen=True, slots=True)
class NaiveResult:
    delivered_ml: float
    delivered_mcg: dict[str, float]
    reservoir_ml: float
    expected_ml: float
    battery_mah: float
    granted: int
    low_reservoir_alarms_s: tuple[float, ...]
    hourly_delivered_ml: tuple[float, ...]
    steps: int


def _basal_rate(program: TherapyProgram, t: float) -> float:
    basal = program.basal
    if isinstance(basal, Stopped):
        return 0.0
    if isinstance(basal, Continuous):
        return basal.rate_ml_per_day
    assert isinstance(basal, FlexibleSchedule)
    phase = t % basal.period.seconds
    for step in basal.steps:
        if step.start_s <= phase < step.end_s:
            return step.rate_ml_per_day
    return basal.steps[-1].rate_ml_per_day


def integrate_fixed_step(
    config: PumpConfig,
    program: TherapyProgram,
    mix: Mix,
    fill_ml: float,
    end_s: float,
    step_s: float,
    requests_s: Sequence[float] = (),
    refills_s: Sequence[float] = (),
) -> NaiveResult:
    """Deliver `program` from a reservoir of `fill_ml`, withdrawn and refilled at `refills_s`.

    Assumes a primed catheter holding `mix`, no faults, and a battery that lasts the run.
    """
    pb = program.patient_bolus
    battery = config.battery
    requests = sorted(requests_s)
    refills = sorted(refills_s)
    ri = fi = 0
    reservoir = expected = fill_ml
    charge = battery.capacity_mah
    delivered = 0.0
    grants: list[float] = []
    bolus_end = -1.0
    low_alarms: list[float] = []
    low_latched = False
    hourly: list[float] = []
    hour_total = 0.0
    hour_end = SECONDS_PER_HOUR
    t = 0.0
    n = 0
    while t < end_s:
        while fi < len(refills) and refills[fi] <= t:
            reservoir = expected = fill_ml
            low_latched = False
            fi += 1
        while ri < len(requests) and requests[ri] <= t:
            now = requests[ri]
            ri += 1
            if pb is None or now < bolus_end:
                continue
            recent = [g for g in grants if g > now - SECONDS_PER_DAY]
            if (recent and now - recent[-1] < pb.lockout_s) or len(recent) >= pb.max_per_24h:
                continue
            grants.append(now)
            bolus_end = now + pb.duration_s
        rate = _basal_rate(program, t)
        if pb is not None and t < bolus_end:
            rate += pb.rate_ml_per_day
        dt = min(step_s, end_s - t)
        commanded = rate * dt / SECONDS_PER_DAY
        expected = max(0.0, expected - commanded)
        volume = min(commanded * config.accuracy_factor, reservoir)
        reservoir -= volume
        delivered += volume
        charge -= (battery.quiescent_mah_per_day + battery.mah_per_ml * rate) * dt / SECONDS_PER_DAY
        if not low_latched and expected <= program.low_reservoir_alarm_ml:
            low_latched = True
            low_alarms.append(t + dt)
        t += dt
        n += 1
        hour_total += volume
        if t >= hour_end:
            hourly.append(hour_total)
            hour_total = 0.0
            hour_end += SECONDS_PER_HOUR
    return NaiveResult(
        delivered_ml=delivered,
        delivered_mcg={c.drug: delivered * c.mcg_per_ml for c in mix.components},
        reservoir_ml=reservoir,
        expected_ml=expected,
        battery_mah=charge,
        granted=len(grants),
        low_reservoir_alarms_s=tuple(low_alarms),
        hourly_delivered_ml=tuple(hourly),
        steps=n,
    )
