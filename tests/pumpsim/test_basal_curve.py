"""The closed forms under the event loop: a schedule's running volume and its inverse, and the
trend memory that stays bounded however long a pump lives."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from pumpsim import (
    Continuous,
    FlexibleSchedule,
    Mix,
    PatientBolusSettings,
    Pump,
    PumpConfig,
    Step,
    TherapyProgram,
)
from pumpsim.rules.basal import BasalCurve
from pumpsim.units import SECONDS_PER_DAY, days, hours, minutes

from strategies import whole_hour_schedules as schedules


def stepwise_volume(schedule: FlexibleSchedule, t0: float, t1: float) -> float:
    """The slow way: walk every step boundary between t0 and t1."""
    period = schedule.period.seconds
    total = 0.0
    k = math.floor(t0 / period)
    while k * period < t1:
        for s in schedule.steps:
            lo = max(t0, k * period + s.start_s)
            hi = min(t1, k * period + s.end_s)
            if hi > lo:
                total += s.rate_ml_per_day * (hi - lo) / SECONDS_PER_DAY
        k += 1
    return total


TIMES = st.floats(0.0, days(400))
SPANS = st.floats(0.0, days(30))


@given(schedules(), TIMES, SPANS)
def test_running_volume_matches_walking_every_step(
    schedule: FlexibleSchedule, t0: float, span: float
) -> None:
    curve = BasalCurve(schedule)
    expected = stepwise_volume(schedule, t0, t0 + span)
    assert math.isclose(curve.volume_ml(t0, t0 + span), expected, rel_tol=1e-9, abs_tol=1e-9)
    many = np.array([t0, t0 + span])
    assert np.allclose(curve.running_ml_array(many), [curve.running_ml(t) for t in many])


ALPHAS = st.one_of(st.just(0.0), st.floats(1e-9, 1e-4))  # mL/s: none, or a real drain


@given(schedules(), TIMES, ALPHAS, st.floats(1e-6, 30.0))
def test_time_to_reach_is_the_first_time_the_volume_is_reached(
    schedule: FlexibleSchedule, t0: float, alpha_ml_s: float, volume_ml: float
) -> None:
    curve = BasalCurve(schedule)
    dt = curve.time_to_reach(t0, alpha_ml_s, volume_ml)
    if curve.period_ml == 0 and alpha_ml_s == 0:
        assert dt == math.inf
        return
    reached = alpha_ml_s * dt + curve.volume_ml(t0, t0 + dt)
    assert math.isclose(reached, volume_ml, rel_tol=1e-7, abs_tol=1e-9)
    if dt > 1.0:  # a second earlier it was not yet reached
        earlier = alpha_ml_s * (dt - 1.0) + curve.volume_ml(t0, t0 + dt - 1.0)
        assert earlier < volume_ml


def test_a_long_life_keeps_its_trend_bounded_and_its_totals_exact() -> None:
    """Past its capacity the trend is thinned to days; daily totals stay what they were."""
    steps = tuple(Step(hours(3 * i), hours(3), 0.2 + 0.1 * (i % 3)) for i in range(8))
    bolus = PatientBolusSettings(0.01, minutes(5), hours(1), 12)
    program = TherapyProgram(FlexibleSchedule(steps), bolus)
    small = Pump(PumpConfig(trend_capacity_knots=400))
    large = Pump(PumpConfig(trend_capacity_knots=1_000_000))
    for pump in (small, large):
        pump.fill_reservoir(40.0, Mix.of(morphine=1000.0), program)
        for day in range(120):
            for h in (8, 12, 16, 20):
                pump.advance(days(day) + hours(h))
                pump.request_patient_bolus()
            if day % 40 == 39:
                pump.withdraw_reservoir()
                pump.fill_reservoir(40.0, Mix.of(morphine=1000.0))
        pump.advance(days(120))
    assert small.trend_knots <= 400 < large.trend_knots
    a, b = small.trend(), large.trend()
    per_day_a = a.delivered_ml.reshape(-1, 24).sum(axis=1)
    per_day_b = b.delivered_ml.reshape(-1, 24).sum(axis=1)
    assert np.allclose(per_day_a, per_day_b, rtol=1e-9, atol=1e-12)
    recent = slice(-24 * 10, None)  # the newest knots are never thinned: hours stay exact
    assert np.allclose(a.delivered_ml[recent], b.delivered_ml[recent], atol=1e-12)
    assert np.allclose(a.battery_mah, b.battery_mah, atol=1e-9)


def test_constant_rate_needs_no_curve() -> None:
    pump = Pump()
    pump.fill_reservoir(20.0, Mix.of(morphine=1000.0), TherapyProgram(Continuous(0.5)))
    pump.advance(days(10))
    assert pump.events_processed <= 3  # fill, then one stretch: no step is an event
    assert math.isclose(pump.physical().pumped_ml, 5.0, rel_tol=1e-12)
