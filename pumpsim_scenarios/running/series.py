"""What a scenario run keeps for its report: a few time series and the moments that mattered.

A reviewer of a fault campaign wants to see the reservoir fall, the dose delivered per hour and
the battery, with faults, alarms, refills and MRI scans marked on them. The runner records them
into the JSON result, downsampled to at most `MAX_POINTS` a series, so that the HTML report is a
pure function of the JSON and a campaign's report stays small however long its scenarios run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pumpsim import Pump
from pumpsim.units import SECONDS_PER_DAY, SECONDS_PER_HOUR
from pumpsim_scenarios.files.spec import Scenario

MAX_POINTS = 240


def _round(values: Any, decimals: int = 5) -> list[float]:
    rounded: list[float] = np.round(np.asarray(values, dtype=np.float64), decimals).tolist()
    return rounded


def record(pump: Pump, scenario: Scenario, end_s: float) -> dict[str, Any]:
    """Hourly trend, bucketed to at most MAX_POINTS: levels at each bucket's end, dose as mean
    mcg per hour over the bucket."""
    trend = pump.trend(0.0, end_s)
    hours = len(trend)
    if hours == 0:
        return {"t_days": [], "reservoir_ml": [], "expected_ml": [], "battery_mah": [], "dose": {}}
    size = max(1, math.ceil(hours / MAX_POINTS))
    cut = (hours // size) * size
    ends = np.arange(size, cut + 1, size) - 1
    if cut < hours:
        ends = np.append(ends, hours - 1)

    def level(values: Any) -> list[float]:
        return _round(np.asarray(values)[ends])

    def per_hour(values: Any) -> list[float]:
        values = np.asarray(values)
        starts = np.concatenate([[0], ends[:-1] + 1])
        sums = np.add.reduceat(values, starts)
        return _round(sums / (ends - starts + 1))

    t_days = (trend.hour_start_s[ends] + SECONDS_PER_HOUR) / SECONDS_PER_DAY
    return {
        "t_days": _round(t_days, 6),
        "reservoir_ml": level(trend.reservoir_ml),
        "expected_ml": level(trend.reservoir_expected_ml),
        "battery_mah": level(trend.battery_mah),
        "dose": {
            drug: per_hour(values) for drug, values in trend.delivered_mcg.items() if values.any()
        },
    }


def moments(
    scenario: Scenario, alarms: list[tuple[str, float]], verdicts: list[tuple[float, str]]
) -> list[dict[str, Any]]:
    """Faults injected, alarms raised, refills and MRI scans, in days, for the plots' marks."""
    out: list[dict[str, Any]] = []
    for a in scenario.timeline:
        day = round(a.at_s / SECONDS_PER_DAY, 6)
        if a.kind == "fault":
            out.append({"kind": "fault", "day": day, "label": str(a.params.get("fault", ""))})
        elif a.kind == "mri":
            hours = float(a.params.get("duration_hours", 1.0))
            until = round(day + hours / 24, 6)
            out.append({"kind": "mri", "day": day, "until_day": until, "label": "MRI"})
        elif a.kind in ("link_noise", "link_loss", "firmware_reset"):
            out.append({"kind": "fault", "day": day, "label": a.kind})
    for t, verdict in verdicts:
        out.append({"kind": "refill", "day": round(t / SECONDS_PER_DAY, 6), "label": verdict})
    for kind, t in alarms:
        out.append({"kind": "alarm", "day": round(t / SECONDS_PER_DAY, 6), "label": kind})
    return sorted(out, key=lambda e: (e["day"], e["kind"], e["label"]))
