"""The hourly trend, derived from one record per event rather than one per hour.

Between two events every rate is constant, so every cumulative quantity (volume delivered, mass of
each drug) and every level (reservoir, battery) is linear in time. Recording their values at each
event ("knots") is enough: the hourly trend over any window is a linear interpolation at the hour
edges, done by numpy in one call. The cost of the simulation stays with the number of events.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pumpsim.units import SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]

# Columns of a knot, before the per-drug cumulative masses.
T, COMMANDED, PUMPED, DELIVERED, RESERVOIR, EXPECTED, BATTERY = range(7)
FIXED_COLUMNS = 7


class KnotRecorder:
    def __init__(self, n_drugs: int) -> None:
        self.width = FIXED_COLUMNS + n_drugs
        self._data = array("d")

    def record(self, values: list[float]) -> None:
        self._data.extend(values)

    def __len__(self) -> int:
        return len(self._data) // self.width

    def matrix(self) -> FloatArray:
        return np.frombuffer(self._data, dtype=np.float64).reshape(-1, self.width).copy()


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
    knots: FloatArray, drug_names: tuple[str, ...], start_s: float, end_s: float
) -> HourlyTrend:
    t = knots[:, T]
    first = math.floor(start_s / SECONDS_PER_HOUR)
    last = math.ceil(end_s / SECONDS_PER_HOUR)
    edges = np.arange(first, max(last, first) + 1, dtype=np.float64) * SECONDS_PER_HOUR
    # Hours not yet simulated are clipped to the last knot: their totals are zero.
    sample = np.clip(edges, t[0], t[-1])

    def per_hour(column: int) -> FloatArray:
        return np.diff(np.interp(sample, t, knots[:, column]))

    def level(column: int) -> FloatArray:
        return np.interp(sample[1:], t, knots[:, column])

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
