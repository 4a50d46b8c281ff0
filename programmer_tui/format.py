"""How the programmer writes times, doses and volumes for people."""

from __future__ import annotations

from datetime import datetime, timedelta

from pumpsim import DEFAULT_LIBRARY

# Simulated second 0 is shown as this date; a clinic sets the device clock with an offset.
EPOCH = datetime(2026, 1, 1)


def when(at_s: float | None, offset_s: float = 0.0) -> str:
    if at_s is None:
        return "—"
    return (EPOCH + timedelta(seconds=at_s + offset_s)).strftime("%Y-%m-%d %H:%M")


def day(at_s: float | None, offset_s: float = 0.0) -> str:
    if at_s is None:
        return "—"
    return (EPOCH + timedelta(seconds=at_s + offset_s)).strftime("%Y-%m-%d")


def dose(drug: str, mcg: float) -> str:
    unit = DEFAULT_LIBRARY[drug].unit if drug in DEFAULT_LIBRARY else "mcg"
    value = mcg / 1000 if unit == "mg" else mcg
    return f"{value:.4g} {unit}"


def concentration(drug: str, mcg_per_ml: float) -> str:
    unit = DEFAULT_LIBRARY[drug].unit if drug in DEFAULT_LIBRARY else "mcg"
    value = mcg_per_ml / 1000 if unit == "mg" else mcg_per_ml
    return f"{value:g} {unit}/mL"


def hhmm(seconds: float) -> str:
    h, rest = divmod(round(seconds), 3600)
    return f"{h:02d}:{rest // 60:02d}"


def parse_hhmm(text: str) -> float:
    """'07:30' -> seconds; raises ValueError for anything else."""
    hours, _, minutes = text.strip().partition(":")
    h, m = int(hours), int(minutes or 0)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"{text!r} is not a time of day (hh:mm)")
    return h * 3600.0 + m * 60.0
