"""Therapy programs as values, and the pure arithmetic on them.

A program is what the clinician writes into the pump: a basal mode (stopped, simple continuous, or a
flexible daily/weekly schedule of steps), patient-bolus settings and the low-reservoir alarm volume.
The pump itself only meters volume, so rates are stored in mL/day at the pump's resolution;
`dose_to_rate` is the one place a dose in mass per day becomes a rate, and says what rounding cost.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pumpsim.units import SECONDS_PER_DAY, SECONDS_PER_WEEK


class SchedulePeriod(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def seconds(self) -> float:
        return SECONDS_PER_DAY if self is SchedulePeriod.DAILY else SECONDS_PER_WEEK


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a flexible schedule: from `start_s` into the period, for `duration_s`."""

    start_s: float
    duration_s: float
    rate_ml_per_day: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True, slots=True)
class Stopped:
    pass


@dataclass(frozen=True, slots=True)
class Continuous:
    rate_ml_per_day: float


@dataclass(frozen=True, slots=True)
class FlexibleSchedule:
    """A repeating pattern anchored at simulated midnight (weekly: Monday midnight)."""

    steps: tuple[Step, ...]
    period: SchedulePeriod = SchedulePeriod.DAILY


BasalMode = Stopped | Continuous | FlexibleSchedule


@dataclass(frozen=True, slots=True)
class PatientBolusSettings:
    """What a patient's handheld may ask for: one dose at a time, spaced and capped."""

    volume_ml: float
    duration_s: float
    lockout_s: float
    max_per_24h: int

    @property
    def rate_ml_per_day(self) -> float:
        return self.volume_ml * SECONDS_PER_DAY / self.duration_s

    def max_in_any_24h(self) -> int:
        """Most boluses that can start in any 24 h, given both the cap and the lockout."""
        if self.lockout_s <= 0:
            return self.max_per_24h
        return min(self.max_per_24h, math.ceil(SECONDS_PER_DAY / self.lockout_s))


@dataclass(frozen=True, slots=True)
class TherapyProgram:
    basal: BasalMode = Stopped()
    patient_bolus: PatientBolusSettings | None = None
    low_reservoir_alarm_ml: float = 2.0


class BolusKind(StrEnum):
    CLINICIAN = "clinician"
    PRIMING = "priming"
    BRIDGE = "bridge"
    PATIENT = "patient"


@dataclass(frozen=True, slots=True)
class RateConversion:
    """A dose per day turned into the rate the pump can actually run, and what it delivers."""

    rate_ml_per_day: float
    dose_mcg_per_day: float
    requested_dose_mcg_per_day: float

    @property
    def rounding_mcg_per_day(self) -> float:
        return self.dose_mcg_per_day - self.requested_dose_mcg_per_day


def round_to_resolution(value: float, resolution: float) -> float:
    """Nearest multiple of `resolution` (half away from zero), free of binary noise."""
    # Rounded to 9 places first so that 0.2345 / 0.001 = 234.49999999999997 counts as a half.
    steps = math.floor(round(abs(value) / resolution, 9) + 0.5)
    decimals = max(0, -math.floor(math.log10(resolution))) + 3
    return math.copysign(round(steps * resolution, decimals), value)


def is_on_resolution(value: float, resolution: float) -> bool:
    return abs(round_to_resolution(value, resolution) - value) <= 1e-9 * max(1.0, abs(value))


def dose_to_rate(
    dose_mcg_per_day: float, concentration_mcg_per_ml: float, resolution_ml_per_day: float
) -> RateConversion:
    """rate_ml_per_day = dose / concentration, rounded to the pump's resolution."""
    rate = round_to_resolution(dose_mcg_per_day / concentration_mcg_per_ml, resolution_ml_per_day)
    return RateConversion(rate, rate * concentration_mcg_per_ml, dose_mcg_per_day)


def basal_rate_at(basal: BasalMode, at_s: float) -> tuple[float, float]:
    """(rate in mL/day at `at_s`, time of the next change or +inf). Assumes a validated program."""
    return BasalLookup(basal).rate_at(at_s)


class BasalLookup:
    """A basal mode prepared for fast repeated `rate_at` calls (the integrator's hot path)."""

    __slots__ = ("_constant", "_ends", "_period", "_rates", "_starts")

    def __init__(self, basal: BasalMode) -> None:
        self._constant: float | None = None
        self._period = SECONDS_PER_DAY
        self._starts: tuple[float, ...] = ()
        self._ends: tuple[float, ...] = ()
        self._rates: tuple[float, ...] = ()
        if isinstance(basal, Continuous):
            self._constant = basal.rate_ml_per_day
        elif isinstance(basal, Stopped):
            self._constant = 0.0
        else:
            self._period = basal.period.seconds
            self._starts = tuple(s.start_s for s in basal.steps)
            self._ends = tuple(s.end_s for s in basal.steps)
            self._rates = tuple(s.rate_ml_per_day for s in basal.steps)

    def rate_at(self, at_s: float) -> tuple[float, float]:
        """(rate in mL/day at `at_s`, time of the next change or +inf)."""
        if self._constant is not None:
            return self._constant, math.inf
        period = self._period
        cycle_start = (at_s // period) * period
        i = bisect_right(self._starts, at_s - cycle_start) - 1
        end = cycle_start + self._ends[i]
        if end <= at_s:  # float noise at a boundary: the next step has begun
            i = (i + 1) % len(self._starts)
            return self._rates[i], end + self._ends[i] - self._starts[i]
        return self._rates[i], end


def period_volume_ml(basal: BasalMode) -> tuple[float, float]:
    """(volume in one period, period in s): the average rate is their ratio."""
    if isinstance(basal, Continuous):
        return basal.rate_ml_per_day, SECONDS_PER_DAY
    if isinstance(basal, Stopped):
        return 0.0, SECONDS_PER_DAY
    volume = sum(s.rate_ml_per_day * s.duration_s / SECONDS_PER_DAY for s in basal.steps)
    return volume, basal.period.seconds


def average_rate_ml_per_day(basal: BasalMode) -> float:
    volume, period = period_volume_ml(basal)
    return volume * SECONDS_PER_DAY / period


def max_basal_rate_ml_per_day(basal: BasalMode) -> float:
    if isinstance(basal, Continuous):
        return basal.rate_ml_per_day
    if isinstance(basal, Stopped):
        return 0.0
    return max((s.rate_ml_per_day for s in basal.steps), default=0.0)


def max_basal_volume_in_24h_ml(basal: BasalMode) -> float:
    """The largest basal volume any 24-hour window can receive (worst case, not the average).

    For a periodic piecewise-constant rate the maximum over windows is reached with the window's
    start or end on a step boundary, so those are the only windows tried.
    """
    if not isinstance(basal, FlexibleSchedule):
        return average_rate_ml_per_day(basal)
    period = basal.period.seconds
    if period == SECONDS_PER_DAY:
        return period_volume_ml(basal)[0]
    running = _running_volume(basal)
    best = 0.0
    for step in basal.steps:
        for start in (step.start_s, step.end_s - SECONDS_PER_DAY):
            best = max(best, running(start + SECONDS_PER_DAY) - running(start))
    return best


def daily_volumes_ml(basal: BasalMode) -> tuple[float, ...]:
    """Basal volume of each day of the period (one day for daily patterns, seven for weekly)."""
    if not isinstance(basal, FlexibleSchedule):
        return (average_rate_ml_per_day(basal),)
    running = _running_volume(basal)
    n_days = round(basal.period.seconds / SECONDS_PER_DAY)
    edges = [running(d * SECONDS_PER_DAY) for d in range(n_days + 1)]
    return tuple(b - a for a, b in itertools.pairwise(edges))


def _running_volume(basal: FlexibleSchedule) -> Callable[[float], float]:
    """F(t): volume the schedule commands from time 0 to t, by prefix sums over one period."""
    period = basal.period.seconds
    starts = [s.start_s for s in basal.steps]
    cum = [0.0]
    for s in basal.steps:
        cum.append(cum[-1] + s.rate_ml_per_day * s.duration_s / SECONDS_PER_DAY)

    def running(t: float) -> float:
        k = math.floor(t / period)
        x = t - k * period
        i = max(bisect_right(starts, x) - 1, 0)
        step = basal.steps[i]
        into = min(x - step.start_s, step.duration_s)
        return k * cum[-1] + cum[i] + step.rate_ml_per_day * into / SECONDS_PER_DAY

    return running


def volume_delivered_over(basal: BasalMode, start_s: float, end_s: float) -> float:
    """Basal volume commanded between two times (used by projections)."""
    if end_s <= start_s:
        return 0.0
    if not isinstance(basal, FlexibleSchedule):
        return average_rate_ml_per_day(basal) * (end_s - start_s) / SECONDS_PER_DAY
    period_ml, period = period_volume_ml(basal)
    whole = math.floor((end_s - start_s) / period)
    rest_start = start_s + whole * period
    total = whole * period_ml
    t = rest_start
    while t < end_s:
        rate, change = basal_rate_at(basal, t)
        seg_end = min(change, end_s)
        total += rate * (seg_end - t) / SECONDS_PER_DAY
        t = seg_end
    return total


def time_to_deliver(basal: BasalMode, start_s: float, volume_ml: float) -> float:
    """Seconds from `start_s` until the basal program has commanded `volume_ml` (inf if never)."""
    if volume_ml <= 0:
        return 0.0
    period_ml, period = period_volume_ml(basal)
    if period_ml <= 0:
        return math.inf
    if not isinstance(basal, FlexibleSchedule):
        return volume_ml / period_ml * period
    whole = max(0, math.floor(volume_ml / period_ml) - 1)
    t = start_s + whole * period
    remaining = volume_ml - whole * period_ml
    while True:
        rate, change = basal_rate_at(basal, t)
        seg_ml = rate * (change - t) / SECONDS_PER_DAY
        if rate > 0 and seg_ml >= remaining:
            return t + remaining / rate * SECONDS_PER_DAY - start_s
        remaining -= seg_ml
        t = change
