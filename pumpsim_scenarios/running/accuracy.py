"""Flow accuracy as trumpet curves, computed as IEC 60601-2-24 does, adapted to an implant.

Why: one final volume says a pump gave the right amount on average; an infusion pump is judged
on how its flow varies over short windows too. IEC 60601-2-24 samples the delivered volume every
0.5 min over the second hour and, for observation windows of 2, 5, 11, 19 and 31 min, plots the
largest and smallest flow error any window of that length saw, around the mean error.

Adapted to an implant: its rates (0.05-1 mL/day) are about 1/60 of the standard's typical 1 mL/h,
so a window of the same volume is 60 times longer. Minutes become hours: samples every 0.5 h over
a 60 h analysis (from `from_days`, after the stabilisation a scenario gives), windows of 2, 5, 11,
19 and 31 h. Errors are against what the pump commanded over each window (for a constant rate,
the standard's set rate).

The volume weighed is the model's ground truth (`Pump.volumes_ml_at`, its accuracy factor, drift
and occlusion included) as the hardware delivers it: in whole strokes of the drive, each with its
own small error drawn from the scenario's seed. The model's ledger keeps their mean; the strokes
are drawn only here, where a measurement looks at them, so they cost nothing elsewhere. Stroke
volumes and their variation are defaults (no manufacturer's figure is public).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from pumpsim import Pump, PumpVariant
from pumpsim.units import SECONDS_PER_HOUR

SAMPLE_S = 0.5 * SECONDS_PER_HOUR
ANALYSIS_S = 60 * SECONDS_PER_HOUR
WINDOWS_H = (2, 5, 11, 19, 31)
# (stroke volume in mL, coefficient of variation of one stroke), by class: defaults. The
# constant-flow pump's capillary flow has no strokes.
STROKES: dict[PumpVariant, tuple[float, float]] = {
    PumpVariant.PERISTALTIC: (0.0005, 0.05),  # a rotor's step: half a microlitre
    PumpVariant.VALVE_GATED: (0.002, 0.02),  # one accumulator's discharge: two microlitres
}


@dataclass(frozen=True, slots=True)
class Window:
    hours: float
    max_error_percent: float
    min_error_percent: float


@dataclass(frozen=True, slots=True)
class Trumpet:
    from_s: float
    mean_error_percent: float  # over the whole analysis
    windows: tuple[Window, ...]

    def worst_percent(self, at_least_hours: float) -> float:
        """The largest error, either way, of any window of at least that many hours."""
        errors = [
            max(abs(w.max_error_percent), abs(w.min_error_percent))
            for w in self.windows
            if w.hours >= at_least_hours
        ]
        return max(errors, default=math.nan)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "windows": [asdict(w) for w in self.windows]}


def as_delivered(true_ml: np.ndarray, stroke: tuple[float, float] | None, seed: int) -> np.ndarray:
    """The volume weighed at each sample, from the true volume: whole strokes, each its own."""
    if stroke is None:
        flat: np.ndarray = true_ml - true_ml[0]
        return flat
    volume, cv = stroke
    count = np.floor(true_ml / volume + 1e-9).astype(np.int64)
    count -= count[0]
    strokes = volume * (1.0 + cv * np.random.default_rng(seed).standard_normal(int(count[-1])))
    weighed = np.concatenate([[0.0], np.cumsum(strokes)])
    result: np.ndarray = weighed[count]
    return result


def curves(commanded_ml: Sequence[float], weighed_ml: np.ndarray, from_s: float) -> Trumpet | None:
    """IEC's errors from samples every SAMPLE_S; None when nothing was commanded."""
    commanded = np.asarray(commanded_ml, dtype=np.float64)
    total = commanded[-1] - commanded[0]
    if total <= 0:
        return None
    windows = []
    for hours in WINDOWS_H:
        m = round(hours * SECONDS_PER_HOUR / SAMPLE_S)
        asked = commanded[m:] - commanded[:-m]
        given = weighed_ml[m:] - weighed_ml[:-m]
        ok = asked > 0
        if not ok.any():
            continue
        error = 100.0 * (given[ok] - asked[ok]) / asked[ok]
        windows.append(Window(hours, float(error.max()), float(error.min())))
    mean = 100.0 * ((weighed_ml[-1] - weighed_ml[0]) - total) / total
    return Trumpet(from_s, float(mean), tuple(windows))


def trumpet(pump: Pump, from_s: float, seed: int) -> Trumpet | None:
    """The trumpet curves of `pump`'s last run from `from_s` (None: it has not run long enough,
    or commanded nothing)."""
    if from_s + ANALYSIS_S > pump.now_s + 1e-6:
        return None
    times = from_s + SAMPLE_S * np.arange(round(ANALYSIS_S / SAMPLE_S) + 1)
    commanded, pumped = pump.volumes_ml_at(times.tolist())
    weighed = as_delivered(np.asarray(pumped), STROKES.get(pump.config.variant), seed)
    return curves(commanded, weighed, from_s)
