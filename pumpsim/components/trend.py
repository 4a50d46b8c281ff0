"""The hourly trend, derived from one record per change of law rather than one per hour.

Between two events every quantity the trend shows (volume commanded, pumped and delivered, mass of
each drug, the reservoir, the battery) moves by a fixed amount per second plus a fixed amount per mL
commanded: a "law". A knot records the values where a stretch begins, its law, and what it
commands (a constant rate, the basal schedule's curve, a patient bolus as a pulse with an end), so
the value at any time is the knot's plus the law applied to the time and the volume commanded
since (`BasalCurve` gives the schedule's part in closed form). Knots come with events, never with
hours, so recording costs nothing per simulated hour; the hourly trend is evaluated by numpy when
asked for.

Memory is bounded like a device's trend memory: past `capacity` knots, the older half is
resampled at day edges (week edges, if that does not halve it) with straight lines between them:
levels at the edges and totals between them stay exact, the shape within a day is lost.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pumpsim.rules.basal import BasalCurve
from pumpsim.units import SECONDS_PER_DAY, SECONDS_PER_HOUR

if TYPE_CHECKING:  # numpy is imported where an array is made: a dashboard never needs it
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

# Columns of a knot, before the per-drug cumulative masses.
T, COMMANDED, PUMPED, DELIVERED, RESERVOIR, EXPECTED, BATTERY = range(7)
FIXED_COLUMNS = 7
LINEAR = -1  # law of a thinned knot: a straight line to the next knot


class TrendRecorder:
    __slots__ = ("_curves", "_flows", "_key_to_law", "_laws", "_values", "capacity", "width")

    def __init__(self, n_drugs: int, capacity: int) -> None:
        self.width = FIXED_COLUMNS + n_drugs
        self.capacity = capacity
        self._values = array("d")
        self._flows = array("d")  # per knot: law, constant mL/s, pulse mL/s, pulse end
        self._laws: list[tuple[tuple[float, ...], tuple[float, ...], int]] = []
        self._key_to_law: dict[tuple[object, ...], int] = {}
        self._curves: list[BasalCurve] = []

    def curve_index(self, curve: BasalCurve | None) -> int:
        if curve is None:
            return -1
        for i in range(len(self._curves) - 1, -1, -1):
            if self._curves[i] is curve:
                return i
        self._curves.append(curve)
        return len(self._curves) - 1

    def law_for(self, key: tuple[object, ...]) -> int | None:
        return self._key_to_law.get(key)

    def add_law(
        self,
        key: tuple[object, ...],
        per_s: tuple[float, ...],
        per_ml: tuple[float, ...],
        curve: int,
    ) -> int:
        self._laws.append((per_s, per_ml, curve))
        law = len(self._laws) - 1
        self._key_to_law[key] = law
        return law

    def record(self, row: list[float], law: tuple[int, float, float, float]) -> None:
        self._values.extend(row)
        self._flows.extend(law)
        if len(self._flows) > 4 * self.capacity:
            self._thin()

    def __len__(self) -> int:
        return len(self._flows) // 4

    def _arrays(self) -> tuple[FloatArray, FloatArray]:
        import numpy as np

        knots = np.frombuffer(self._values, dtype=np.float64).reshape(-1, self.width)
        return knots, np.frombuffer(self._flows, dtype=np.float64).reshape(-1, 4)

    def _thin(self) -> None:
        """Resample the older half at day edges (week edges, ... if that does not halve it)."""
        import numpy as np

        knots, flows = self._arrays()
        old = len(knots) // 2
        t0, t_old = knots[0, T], knots[old, T]
        bucket_s = SECONDS_PER_DAY
        while True:
            first, last = math.floor(t0 / bucket_s) + 1, math.ceil(t_old / bucket_s)
            if last - first <= old // 2:
                break
            bucket_s *= 7
        edges = np.arange(first, max(first, last), dtype=np.float64) * bucket_s
        at_edges = self._evaluate(knots, flows, edges)  # exact values, strictly inside the half
        line = np.tile([float(LINEAR), 0.0, 0.0, -math.inf], (1 + len(edges), 1))
        self._values = array("d", np.vstack([knots[:1], at_edges, knots[old:]]).tobytes())
        self._flows = array("d", np.vstack([line, flows[old:]]).tobytes())

    def values_at(self, times: FloatArray, now_row: list[float]) -> FloatArray:
        """Every column at each of `times` (clipped to the recorded span, ending at `now_row`)."""
        import numpy as np

        knots, flows = self._arrays()
        knots = np.vstack([knots, np.asarray([now_row], dtype=np.float64)])
        flows = np.vstack([flows, [float(LINEAR), 0.0, 0.0, -math.inf]])
        return self._evaluate(knots, flows, np.clip(times, knots[0, T], knots[-1, T]))

    def _evaluate(self, knots: FloatArray, flows: FloatArray, times: FloatArray) -> FloatArray:
        import numpy as np

        t = knots[:, T]
        idx = np.clip(np.searchsorted(t, times, side="right") - 1, 0, len(t) - 1)
        out = knots[idx].copy()
        dt = times - t[idx]
        law = flows[idx, 0].astype(np.int64)
        for i in np.unique(law):
            rows = np.flatnonzero(law == i)
            start = t[idx[rows]]
            if i == LINEAR:
                nxt = np.minimum(idx[rows] + 1, len(t) - 1)
                span = t[nxt] - start
                frac = np.divide(dt[rows], span, out=np.zeros_like(span), where=span > 0)
                out[rows] += (knots[nxt] - knots[idx[rows]]) * frac[:, None]
            else:
                per_s, per_ml, curve = self._laws[int(i)]
                _, constant, pulse, pulse_end = flows[idx[rows]].T
                volume = constant * dt[rows]
                volume += pulse * np.clip(np.minimum(times[rows], pulse_end) - start, 0.0, None)
                if curve >= 0:
                    c = self._curves[curve]
                    volume += c.running_ml_array(times[rows]) - c.running_ml_array(start)
                out[rows] += dt[rows, None] * np.asarray(per_s)
                out[rows] += volume[:, None] * np.asarray(per_ml)
        out[:, T] = times
        return out


@dataclass(frozen=True)
class HourlyTrend:
    """One row per hour: totals over the hour, and levels at the hour's end."""

    hour_start_s: FloatArray
    delivered_ml: FloatArray  # reaching the intrathecal space
    pumped_ml: FloatArray  # leaving the reservoir (true flow)
    commanded_ml: FloatArray  # what the pump believes it delivered
    delivered_mcg: dict[str, FloatArray]  # by drug, intrathecal
    reservoir_ml: FloatArray  # true volume at the hour's end
    reservoir_expected_ml: FloatArray  # the pump's own reckoning at the hour's end
    battery_mah: FloatArray  # at the hour's end

    def __len__(self) -> int:
        return len(self.hour_start_s)


def hourly(
    recorder: TrendRecorder,
    now_row: list[float],
    drug_names: tuple[str, ...],
    start_s: float,
    end_s: float,
) -> HourlyTrend:
    import numpy as np

    first = math.floor(start_s / SECONDS_PER_HOUR)
    last = math.ceil(end_s / SECONDS_PER_HOUR)
    edges = np.arange(first, max(last, first) + 1, dtype=np.float64) * SECONDS_PER_HOUR
    # Hours not yet simulated are clipped to now: their totals are zero.
    at = recorder.values_at(edges, now_row)

    def per_hour(column: int) -> FloatArray:
        return np.diff(at[:, column])

    def level(column: int) -> FloatArray:
        return at[1:, column]

    return HourlyTrend(
        hour_start_s=edges[:-1],
        delivered_ml=per_hour(DELIVERED),
        pumped_ml=per_hour(PUMPED),
        commanded_ml=per_hour(COMMANDED),
        delivered_mcg={name: per_hour(FIXED_COLUMNS + i) for i, name in enumerate(drug_names)},
        reservoir_ml=level(RESERVOIR),
        reservoir_expected_ml=level(EXPECTED),
        battery_mah=level(BATTERY),
    )
