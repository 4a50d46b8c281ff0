"""Hypothesis strategies for the model: programs, mixes, spans of time and faults a clinic and
fate could bring, shared by the stateful machines."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st

from pumpsim import (
    CatheterDislodgement,
    CatheterOcclusion,
    Continuous,
    FlexibleSchedule,
    LowBatteryReset,
    MemoryReset,
    Mix,
    MotorStall,
    OverInfusionDrift,
    PatientBolusSettings,
    PocketFill,
    PrematureEri,
    SchedulePeriod,
    Step,
    Stopped,
    TherapyProgram,
    TipGranuloma,
)
from pumpsim.units import days, hours, minutes

RATE_GRID = st.integers(48, 3000).map(lambda k: k / 1000)  # mL/day on the pump's resolution


@st.composite
def schedules(draw: st.DrawFn) -> FlexibleSchedule:
    cuts = sorted(draw(st.sets(st.integers(1, 23), max_size=9)))
    bounds = [0, *cuts, 24]
    steps = tuple(
        Step(hours(a), hours(b - a), draw(RATE_GRID)) for a, b in itertools.pairwise(bounds)
    )
    return FlexibleSchedule(steps)


@st.composite
def programs(draw: st.DrawFn) -> TherapyProgram:
    basal = draw(st.one_of(st.just(Stopped()), RATE_GRID.map(Continuous), schedules()))
    pb = None
    if draw(st.booleans()):
        duration = draw(st.sampled_from([minutes(5), minutes(10), minutes(30)]))
        pb = PatientBolusSettings(
            volume_ml=draw(st.sampled_from([0.005, 0.01, 0.02, 0.05])),
            duration_s=duration,
            lockout_s=duration + draw(st.sampled_from([0.0, minutes(20), hours(2), hours(6)])),
            max_per_24h=draw(st.integers(1, 8)),
        )
    alarm = draw(st.sampled_from([0.5, 1.0, 2.0, 4.0]))
    return TherapyProgram(basal, pb, alarm)


MIXES = st.sampled_from(
    [
        Mix.of(morphine=1_000.0),
        Mix.of(morphine=10_000.0),
        Mix.of(morphine=5_000.0, clonidine=200.0),
        Mix.of(baclofen=500.0),
        Mix.of(hydromorphone=2_000.0),
        Mix(),
    ]
)

DURATIONS = st.one_of(
    st.floats(1.0, hours(1)),
    st.floats(hours(1), days(2)),
    st.floats(days(2), days(60)),
)


@st.composite
def faults(draw: st.DrawFn, now_s: float) -> object:
    onset = now_s + draw(st.floats(0.0, days(20)))
    kind = draw(st.integers(0, 8))
    if kind == 0:
        return CatheterOcclusion(onset, draw(st.sampled_from([0.0, 0.3, 0.8])))
    if kind == 1:
        return TipGranuloma(onset, days(draw(st.integers(1, 60))), 0.0, draw(st.integers(1, 10)))
    if kind == 2:
        return CatheterDislodgement(onset)
    if kind == 3:
        return MotorStall(onset, draw(st.one_of(st.none(), st.floats(60.0, days(3)))))
    if kind == 4:
        return PrematureEri(onset)
    if kind == 5:
        return LowBatteryReset(onset)
    if kind == 6:
        return OverInfusionDrift(onset, draw(st.sampled_from([1.1, 1.5])), days(10), 5)
    if kind == 7:
        return PocketFill(onset)
    return MemoryReset(onset)


HOURLY_RATES = st.sampled_from([0.0, 0.048, 0.1, 0.35, 1.2, 4.0])


@st.composite
def whole_hour_schedules(draw: st.DrawFn) -> FlexibleSchedule:
    """Daily or weekly, cut at whole hours, rates from a few (zero among them)."""
    weekly = draw(st.booleans())
    n_hours = 168 if weekly else 24
    cuts = sorted(draw(st.sets(st.integers(1, n_hours - 1), max_size=12)))
    bounds = [0, *cuts, n_hours]
    steps = tuple(
        Step(hours(a), hours(b - a), draw(HOURLY_RATES)) for a, b in itertools.pairwise(bounds)
    )
    period = SchedulePeriod.WEEKLY if weekly else SchedulePeriod.DAILY
    return FlexibleSchedule(steps, period)
