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

from pumpsim.domain.errors import ClockOutOfRangeError
from pumpsim.domain.program import FlexibleSchedule, Step
from pumpsim.units import is_finite_number

# Running second 0 is shown as 2026-01-05 00:00, a Monday at midnight, where weekly patterns
# start; programmers show the pump's clock as that date plus running time plus the offset. The
# model keeps no calendar (it is pure: no datetime), only the seconds that matter from that epoch:
# the pump's calendar holds 2000-01-01 00:00 up to, not including, 2100-01-01 00:00 (a default;
# no manufacturer's figure). tests/pumpsim/test_pump_clock.py checks them against datetime.
EPOCH_TEXT = "2026-01-05 00:00"
CLOCK_FIRST_S = -820_886_400.0  # 2000-01-01 00:00
CLOCK_END_S = 2_334_873_600.0  # 2100-01-01 00:00


def check_clock(now_s: float, clock_offset_s: object) -> float:
    """The offset, if the clock it gives now lies in the pump's calendar; else a clear refusal."""
    if not is_finite_number(clock_offset_s):
        raise ClockOutOfRangeError(
            f"the clock offset must be a finite number, got {clock_offset_s!r}"
        )
    offset = float(clock_offset_s)  # type: ignore[arg-type]
    if not CLOCK_FIRST_S - now_s <= offset < CLOCK_END_S - now_s:
        raise ClockOutOfRangeError(
            "the clock would show a time outside 2000-01-01 00:00 to 2099-12-31 23:59"
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
