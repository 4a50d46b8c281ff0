"""The pump's own clock: a schedule is written on it, so setting the clock moves the steps in
running time from that moment, splits the one that crosses its period's end, and keeps the dose
over whole periods; the log keeps running time and says the clock of each record's moment."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pumpsim import (
    ClockOutOfRangeError,
    ErrorCode,
    FlexibleSchedule,
    LogKind,
    Mix,
    Pump,
    TherapyProgram,
)
from pumpsim.domain.clock import (
    CLOCK_END_S,
    CLOCK_FIRST_S,
    EPOCH_TEXT,
    check_clock,
    in_running_time,
    offsets_as_written,
)
from pumpsim.domain.program import BasalLookup, period_volume_ml
from pumpsim.units import SECONDS_PER_DAY, days, hours

from builders import filled_pump, typical_morphine_pump_as_in_format_3
from strategies import whole_hour_schedules as schedules

EPOCH = datetime(2026, 1, 5)  # running second 0, as every programmer shows it
CLOCK_FIRST = datetime(2000, 1, 1)
CLOCK_END = datetime(2100, 1, 1)


def shown_at(at_s: float, clock_offset_s: float) -> datetime:
    return EPOCH + timedelta(seconds=at_s + clock_offset_s)


def test_the_calendar_constants_are_the_dates_they_name() -> None:
    assert EPOCH.strftime("%Y-%m-%d %H:%M") == EPOCH_TEXT
    assert EPOCH.strftime("%a") == "Mon"  # where weekly patterns start
    assert (CLOCK_FIRST - EPOCH).total_seconds() == CLOCK_FIRST_S
    assert (CLOCK_END - EPOCH).total_seconds() == CLOCK_END_S


MORPHINE_1 = Mix.of(morphine=1000.0)  # 1 mg/mL: every generated schedule is within the limits

# Offsets a clinic might set: a time zone, a daylight-saving hour, days and years, to the second.
OFFSETS = st.floats(-days(3000), days(3000), allow_nan=False).map(lambda x: round(x, 0))


def _near_boundary(schedule: FlexibleSchedule, clock_s: float) -> bool:
    phase = clock_s % schedule.period.seconds
    edges = [s.start_s for s in schedule.steps] + [schedule.period.seconds]
    return any(abs(phase - e) < 1e-3 for e in edges)


@given(schedules(), OFFSETS, st.floats(0.0, days(60)))
def test_the_running_schedule_runs_the_clock_schedule_at_clock_time(
    schedule: FlexibleSchedule, offset_s: float, at_s: float
) -> None:
    running = in_running_time(schedule, offset_s)
    period = schedule.period.seconds
    # The steps tile the period: from 0, each ending where the next starts, to the period's end.
    assert running.steps[0].start_s == 0.0
    for a, b in zip(running.steps, running.steps[1:], strict=False):
        assert b.start_s == a.end_s
    assert math.isclose(running.steps[-1].end_s, period, rel_tol=0, abs_tol=1e-6)
    assert len(running.steps) <= len(schedule.steps) + 1  # only one step splits
    # The dose over a whole period is unchanged.
    assert math.isclose(
        period_volume_ml(running)[0], period_volume_ml(schedule)[0], rel_tol=1e-9, abs_tol=1e-12
    )
    # At every running time the rate is the clock schedule's rate at that moment of the clock.
    if not _near_boundary(schedule, at_s + offset_s):
        want, _ = BasalLookup(schedule).rate_at((at_s + offset_s) % period)
        got, _ = BasalLookup(running).rate_at(at_s)
        assert got == want


@given(
    schedules(),
    OFFSETS,
    st.floats(0.0, days(20)),
    st.integers(1, 3),
)
def test_a_clock_change_moves_the_steps_and_keeps_the_dose_over_whole_periods(
    schedule: FlexibleSchedule, offset_s: float, change_at_s: float, periods: int
) -> None:
    pump = filled_pump(TherapyProgram(schedule), MORPHINE_1, volume_ml=40.0, prime=False)
    pump.advance(change_at_s)
    pump.set_clock(offset_s)
    assert pump.clock_offset_s == offset_s
    start = pump.physical().commanded_ml
    period = schedule.period.seconds
    pump.advance(pump.now_s + periods * period)
    given_ml = pump.physical().commanded_ml - start
    want_ml = periods * period_volume_ml(schedule)[0]
    if pump.status().reservoir_ml > 2.5:  # not yet near empty, where the minimum rate runs
        assert math.isclose(given_ml, want_ml, rel_tol=1e-9, abs_tol=1e-9)
    # And what runs now is the step the clock is in.
    probe = pump.now_s + hours(1.25)
    pump.advance(probe)
    if not _near_boundary(schedule, probe + offset_s) and pump.status().reservoir_ml > 2.5:
        want, _ = BasalLookup(schedule).rate_at((probe + offset_s) % period)
        assert pump.status().commanded_rate_ml_per_day == pytest.approx(want, abs=1e-12)


def test_a_weekly_step_follows_the_clock_by_a_day_and_a_half() -> None:
    """The clinic's clock moves 36 h ahead on a Tuesday: Thursday's step begins 36 h sooner."""
    from pumpsim import SchedulePeriod, Step

    week = FlexibleSchedule(
        (Step(0.0, days(3), 0.2), Step(days(3), days(4), 0.6)), SchedulePeriod.WEEKLY
    )
    pump = filled_pump(TherapyProgram(week), volume_ml=40.0, prime=False)
    pump.advance(days(1))  # Tuesday 00:00 by both clocks
    pump.set_clock(hours(36))  # the pump now shows Wednesday 12:00
    assert shown_at(pump.now_s, pump.clock_offset_s).strftime("%a %H:%M") == "Wed 12:00"
    pump.advance(days(1.5) - 60)  # Wednesday 23:59 on the clock
    assert pump.status().commanded_rate_ml_per_day == 0.2
    pump.advance(days(1.5) + 60)  # Thursday 00:01 on the clock, 36 h before it would have been
    assert pump.status().commanded_rate_ml_per_day == 0.6
    pump.advance(days(5.5) + 60)  # Monday 00:01 on the clock: the low step again
    assert pump.status().commanded_rate_ml_per_day == 0.2


@pytest.mark.parametrize(
    "clock_s",
    [
        math.nan,
        math.inf,
        (CLOCK_END - EPOCH).total_seconds(),  # the first second of 2100
        (CLOCK_FIRST - EPOCH).total_seconds() - 1.0,  # a second before 2000
    ],
)
def test_a_clock_outside_the_calendar_is_refused_and_nothing_changes(clock_s: float) -> None:
    pump = filled_pump()
    before_log = pump.log.next_index
    with pytest.raises(ClockOutOfRangeError) as refused:
        pump.set_clock(clock_s - pump.now_s)
    assert refused.value.code is ErrorCode.CLOCK_OUT_OF_RANGE
    assert pump.clock_offset_s == 0.0
    assert pump.log.next_index == before_log


def test_the_calendar_ends_are_inclusive_at_the_start_and_exclusive_at_the_end() -> None:
    first = (CLOCK_FIRST - EPOCH).total_seconds()
    assert check_clock(0.0, first) == first
    assert check_clock(days(10), first - days(10)) == first - days(10)
    with pytest.raises(ClockOutOfRangeError):
        check_clock(days(10), first - days(10) - 1)


@given(st.lists(OFFSETS, min_size=1, max_size=6), st.integers(16, 40))
def test_each_log_record_shows_the_clock_as_it_was_when_written(
    offsets: list[float], capacity: int
) -> None:
    """Even once the log has wrapped past the first clock change."""
    from pumpsim import PumpConfig

    pump = filled_pump(config=PumpConfig(event_log_capacity=capacity), prime=False)
    in_force = [(0, 0.0)]  # (index of the clock_set record, the offset it set)
    for i, offset in enumerate(offsets):
        pump.advance(pump.now_s + hours(5 + i))
        pump.interrogate()  # a record under the clock in force
        in_force.append((pump.log.next_index, offset))
        pump.set_clock(offset)
        pump.interrogate()
    records = list(pump.log)
    got = offsets_as_written([(str(r.kind), r.details) for r in records], pump.clock_offset_s)
    for record, offset in zip(records, got, strict=True):
        # The offset in force at a record is the last one set at or before it; a clock_set
        # record itself is written under the new clock.
        want = [o for index, o in in_force if index <= record.index][-1]
        assert offset == want, record
    assert all(r.at_s <= pump.now_s for r in records)  # running time, as kept


def test_a_snapshot_keeps_the_clock_and_its_schedule() -> None:
    from builders import day_night

    pump = filled_pump(TherapyProgram(day_night()))
    pump.set_clock(hours(5.5))
    copy = Pump.restore(pump.snapshot())
    assert copy.clock_offset_s == hours(5.5)
    for p in (pump, copy):
        p.advance(days(3) + hours(2))
    assert copy.status() == pump.status()
    kinds = [r.kind for r in copy.log.of_kind(LogKind.CLOCK_SET)]
    assert kinds == [LogKind.CLOCK_SET]
    assert SECONDS_PER_DAY > 0


def test_a_format_3_snapshot_loads_at_offset_zero_and_runs_on_as_it_would_have() -> None:
    """Written by the code before the pump held its clock (tests/pumpsim/data/README.md)."""
    old = Pump.restore((Path(__file__).parent / "data" / "pump-format-3.snap").read_bytes())
    assert old.clock_offset_s == 0.0
    assert old.conditions.body_temperature_c == 37.0
    same = typical_morphine_pump_as_in_format_3()
    assert old.status() == same.status()
    assert old.patient() == same.patient()
    for p in (old, same):
        p.advance(p.now_s + days(2))
    assert old.physical() == same.physical()
