"""The pump's own clock: what a clinic sets, and where a schedule's steps fall in running time.

Why: the model runs on running time (seconds since the pump's simulated epoch, a Monday midnight),
but a clinician writes "08:00" or "Mon 08:00" on the clock the pump shows, which is running time
plus the offset the last SetClock gave. The schedule is kept as written (clock time); what the
integrator runs is the same schedule turned into running time: each boundary moved back by the
offset, modulo the period, and the one step that then crosses the period's end split in two. The
dose over a whole period does not change; only where the period's steps sit does.

The pump does not follow daylight saving by itself (see the README): like the reference devices,
it holds one offset that a programmer sets; a programmer that knows a time zone offers to set it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from pumpsim.domain.errors import ClockOutOfRangeError
from pumpsim.domain.program import FlexibleSchedule, Step
from pumpsim.units import is_finite_number

# Running second 0 is shown as this date and time: a Monday at midnight, where weekly patterns
# start. Programmers show the pump's clock as EPOCH + running time + offset.
EPOCH = datetime(2026, 1, 5)
# The clock a pump can show: the years its calendar holds (a default; no manufacturer's figure).
CLOCK_FIRST = datetime(2000, 1, 1)
CLOCK_END = datetime(2100, 1, 1)


def shown_at(at_s: float, clock_offset_s: float) -> datetime:
    """The pump's clock at running time `at_s`, with the offset then in force."""
    return EPOCH + timedelta(seconds=at_s + clock_offset_s)


def check_clock(now_s: float, clock_offset_s: object) -> float:
    """The offset, if the clock it gives now lies in the pump's calendar; else a clear refusal."""
    if not is_finite_number(clock_offset_s):
        raise ClockOutOfRangeError(
            f"the clock offset must be a finite number, got {clock_offset_s!r}"
        )
    offset = float(clock_offset_s)  # type: ignore[arg-type]
    lowest = (CLOCK_FIRST - EPOCH).total_seconds() - now_s
    highest = (CLOCK_END - EPOCH).total_seconds() - now_s
    if not lowest <= offset < highest:
        raise ClockOutOfRangeError(
            f"the clock would show a time outside {CLOCK_FIRST:%Y-%m-%d} to "
            f"{CLOCK_END - timedelta(seconds=1):%Y-%m-%d %H:%M}"
        )
    return offset


def in_running_time(schedule: FlexibleSchedule, clock_offset_s: float) -> FlexibleSchedule:
    """The schedule written on the clock, as it falls in running time under `clock_offset_s`.

    A step that starts at clock time s of its period starts at running time (s - offset) mod P.
    Boundaries are computed once each and shared by the steps on either side, so the steps tile
    the period exactly; the step crossing the period's end becomes two with the same rate.
    """
    period = schedule.period.seconds
    shift = clock_offset_s % period
    if shift == 0.0:
        return schedule
    moved: list[tuple[float, float]] = []  # (running start, rate), in the period's order
    for step in schedule.steps:
        start = (step.start_s - shift) % period
        moved.append((0.0 if start >= period else start, step.rate_ml_per_day))
    moved.sort()
    if moved[0][0] > 0.0:  # the step that crosses the end: its tail opens the period
        moved.insert(0, (0.0, moved[-1][1]))
    ends = [start for start, _ in moved[1:]] + [period]
    steps = tuple(
        Step(start, end - start, rate)
        for (start, rate), end in zip(moved, ends, strict=True)
        if end > start
    )
    return FlexibleSchedule(steps, schedule.period)


def offsets_as_written(
    records: Sequence[tuple[str, Mapping[str, object]]], offset_now_s: float
) -> list[float]:
    """The clock offset in force when each record (kind, details), oldest first, was written.

    Records keep running time; a reader shows each at the clock as it was then. Every clock_set
    record holds the offset before it as well as after, so walking back from the offset in force
    now gives every record's, even in a log that has wrapped past its oldest clock change.
    """
    offsets = [0.0] * len(records)
    offset = offset_now_s
    for i in range(len(records) - 1, -1, -1):
        kind, details = records[i]
        offsets[i] = offset
        if kind == "clock_set":
            before = details.get("previous_offset_s")
            if isinstance(before, int | float) and not isinstance(before, bool):
                offset = float(before)
            # an older record lacks it: the records before it keep the offset after it
    return offsets
