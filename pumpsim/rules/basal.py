"""A flexible schedule as a periodic step function, with its integral and inverse in closed form.

Why: the cost of advancing time must grow with events, never with simulated duration, and a step
boundary is not an event: nothing happens there but a change of rate. Between two real events (a
bolus, a fault, a threshold) the commanded volume is F(t1) - F(t0), F being the schedule's running
volume, whole periods at a time. A threshold (the reservoir reaching its alarm volume, the battery
its replacement point) is where alpha * t + F(t) reaches a value, alpha being whatever flows on top
of the schedule; that sum only rises, so it is inverted by a bisection over one period's steps.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING

from pumpsim.domain.program import FlexibleSchedule
from pumpsim.units import SECONDS_PER_DAY

if TYPE_CHECKING:  # numpy is imported where an array is made: a dashboard never needs it
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

_MAX_CACHED_ALPHAS = 64


class BasalCurve:
    """One period of a validated flexible schedule, ready for repeated integrals and inverses.

    Rates are held in mL/s. With `floor_ml_per_day`, every positive step runs at that rate instead
    (what the pump does once its reservoir is reckoned empty).
    """

    __slots__ = (
        "_inverse",
        "cum_ml",
        "ends_s",
        "max_ml_s",
        "period_ml",
        "period_s",
        "rates_ml_per_day",
        "rates_ml_s",
        "starts_s",
    )

    def __init__(self, schedule: FlexibleSchedule, floor_ml_per_day: float | None = None) -> None:
        self.period_s = schedule.period.seconds
        self.starts_s = tuple(s.start_s for s in schedule.steps)
        self.ends_s = tuple(s.end_s for s in schedule.steps)
        rates = [s.rate_ml_per_day for s in schedule.steps]
        if floor_ml_per_day is not None:
            rates = [floor_ml_per_day if r > 0 else 0.0 for r in rates]
        self.rates_ml_per_day = tuple(rates)
        self.rates_ml_s = tuple(r / SECONDS_PER_DAY for r in rates)
        volumes = [
            r * (e - s) for r, s, e in zip(self.rates_ml_s, self.starts_s, self.ends_s, strict=True)
        ]
        self.cum_ml = (0.0, *accumulate(volumes))  # volume at each step's start, then the period's
        self.period_ml = self.cum_ml[-1]
        self.max_ml_s = max(self.rates_ml_s)
        self._inverse: dict[float, tuple[float, tuple[float, ...]]] = {}

    def _locate(self, t: float) -> tuple[float, int]:
        """(start of the period holding t, index of the step holding t)."""
        base = (t // self.period_s) * self.period_s
        i = bisect_right(self.starts_s, t - base) - 1
        return base, max(i, 0)

    def _step_at(self, t: float) -> int:
        base, i = self._locate(t)
        if base + self.ends_s[i] <= t:  # float noise at a boundary: the next step has begun
            i = (i + 1) % len(self.starts_s)
        return i

    def rate_ml_s(self, t: float) -> float:
        return self.rates_ml_s[self._step_at(t)]

    def rate_ml_per_day(self, t: float) -> float:
        return self.rates_ml_per_day[self._step_at(t)]

    def next_change_s(self, t: float) -> float:
        """The next step boundary strictly after t."""
        base, i = self._locate(t)
        end = base + self.ends_s[i]
        if end <= t:
            i = (i + 1) % len(self.starts_s)
            end = end + self.ends_s[i] - self.starts_s[i]
        return end

    def running_ml(self, t: float) -> float:
        """F(t): volume the schedule commands from time 0 to t."""
        base, i = self._locate(t)
        into = min(t - base - self.starts_s[i], self.ends_s[i] - self.starts_s[i])
        return (base / self.period_s) * self.period_ml + self.cum_ml[i] + self.rates_ml_s[i] * into

    def running_ml_array(self, t: FloatArray) -> FloatArray:
        """F at many times at once (for trends)."""
        import numpy as np

        periods = np.floor(t / self.period_s)
        x = t - periods * self.period_s
        starts = np.asarray(self.starts_s)
        i = np.clip(np.searchsorted(starts, x, side="right") - 1, 0, len(starts) - 1)
        durations = np.asarray(self.ends_s) - starts
        into = np.minimum(x - starts[i], durations[i])
        cum = np.asarray(self.cum_ml[:-1])
        rates = np.asarray(self.rates_ml_s)
        result: FloatArray = periods * self.period_ml + cum[i] + rates[i] * into
        return result

    def volume_ml(self, t0: float, t1: float) -> float:
        return self.running_ml(t1) - self.running_ml(t0)

    def time_to_reach(self, t0: float, alpha_ml_s: float, volume_ml: float) -> float:
        """Smallest dt >= 0 with alpha * dt + F(t0 + dt) - F(t0) >= volume_ml (inf if never)."""
        if volume_ml <= 0:
            return 0.0
        per_period, ends = self._inverse_table(alpha_ml_s)
        if per_period <= 0:
            return math.inf
        period = self.period_s
        base0, i0 = self._locate(t0)
        x0 = t0 - base0
        into0 = min(x0 - self.starts_s[i0], self.ends_s[i0] - self.starts_s[i0])
        h0 = self.cum_ml[i0] + alpha_ml_s * self.starts_s[i0]
        h0 += (self.rates_ml_s[i0] + alpha_ml_s) * into0  # H within t0's period
        target = h0 + volume_ml
        periods = target / per_period
        if not math.isfinite(periods):
            return math.inf  # so slow it never gets there in a float's lifetime
        k = math.floor(periods)
        within = target - k * per_period
        if within <= 0 and k > 0:
            k -= 1
            within = per_period
        i = min(bisect_left(ends, within), len(ends) - 1)
        start = self.starts_s[i]
        before = self.cum_ml[i] + alpha_ml_s * start
        slope = self.rates_ml_s[i] + alpha_ml_s
        x = start + (within - before) / slope if slope > 0 else start
        return max(0.0, base0 + k * period + x - t0)

    def _inverse_table(self, alpha_ml_s: float) -> tuple[float, tuple[float, ...]]:
        """H(x) = alpha * x + F(x) at each step's end within a period, for bisection."""
        table = self._inverse.get(alpha_ml_s)
        if table is None:
            if len(self._inverse) >= _MAX_CACHED_ALPHAS:
                self._inverse.clear()
            ends = tuple(
                c + alpha_ml_s * e for c, e in zip(self.cum_ml[1:], self.ends_s, strict=True)
            )
            table = (self.period_ml + alpha_ml_s * self.period_s, ends)
            self._inverse[alpha_ml_s] = table
        return table
