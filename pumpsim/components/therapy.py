"""The program in force, prepared for the integrator.

Why apart from `program.py`: programs are values a programmer builds; this is the pump's working
copy of one, with what the event loop needs at hand (a constant rate, or the schedule's curve, and
the curve it falls back to at the minimum rate once the reservoir is reckoned empty). A schedule is
written on the pump's clock; its curves are built in running time under the clock offset in force,
so setting the clock rebuilds them (`pumpsim.domain.clock`).
"""

from __future__ import annotations

from pumpsim.domain.clock import in_running_time
from pumpsim.domain.program import (
    BasalMode,
    Continuous,
    FlexibleSchedule,
    Stopped,
    TherapyProgram,
    average_rate_ml_per_day,
)
from pumpsim.rules.basal import BasalCurve
from pumpsim.units import SECONDS_PER_DAY


class Therapy:
    __slots__ = (
        "avg_rate_ml_per_day",
        "clock_offset_s",
        "constant_ml_s",
        "curve",
        "empty_constant_ml_s",
        "empty_curve",
        "min_rate_ml_per_day",
        "program",
        "running_basal",
        "stopped",
    )

    def __init__(self, program: TherapyProgram, min_rate_ml_per_day: float) -> None:
        self.min_rate_ml_per_day = min_rate_ml_per_day
        self.clock_offset_s = 0.0
        self.use(program)

    def set_clock(self, clock_offset_s: float) -> None:
        """The clock now shows running time plus `clock_offset_s`: the steps move with it."""
        self.clock_offset_s = clock_offset_s
        self.use(self.program)

    def use(self, program: TherapyProgram) -> None:
        self.program = program
        basal: BasalMode = program.basal
        if isinstance(basal, FlexibleSchedule):
            basal = in_running_time(basal, self.clock_offset_s)
        self.running_basal = basal  # the basal mode as it runs: steps in running time
        self.stopped = isinstance(basal, Stopped)
        self.avg_rate_ml_per_day = average_rate_ml_per_day(program.basal)  # moving steps keeps it
        self.curve: BasalCurve | None = None
        self.empty_curve: BasalCurve | None = None
        self.constant_ml_s = 0.0
        self.empty_constant_ml_s = 0.0
        if isinstance(basal, FlexibleSchedule):
            self.curve = BasalCurve(basal)
            self.empty_curve = BasalCurve(basal, self.min_rate_ml_per_day)
        elif isinstance(basal, Continuous) and basal.rate_ml_per_day > 0:
            self.constant_ml_s = basal.rate_ml_per_day / SECONDS_PER_DAY
            self.empty_constant_ml_s = self.min_rate_ml_per_day / SECONDS_PER_DAY

    def basal_ml_per_day_at(self, t: float, reservoir_empty: bool) -> float:
        curve = self.empty_curve if reservoir_empty else self.curve
        if curve is not None:
            return curve.rate_ml_per_day(t)
        basal = self.program.basal
        if not isinstance(basal, Continuous) or basal.rate_ml_per_day <= 0:
            return 0.0
        return self.min_rate_ml_per_day if reservoir_empty else basal.rate_ml_per_day
