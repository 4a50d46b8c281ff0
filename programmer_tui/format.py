"""How the programmer writes times, doses and volumes for people."""

from __future__ import annotations

import re
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
    if abs(value) < 5e-9:
        value = 0.0  # float residue of a dose times a concentration, not a dose
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


_FIELD_WORDS = (
    ("patient_bolus[0].", "patient bolus: "),
    ("rate_ml_per_day", "rate (mL/day)"),
    ("volume_ml", "volume (mL)"),
    ("duration_s", "duration (s)"),
    ("lockout_s", "lockout (s)"),
    ("start_s", "start (s)"),
    ("max_per_24h", "most per 24 h"),
    ("low_reservoir_alarm_ml", "low-reservoir alarm (mL)"),
    ("patient_bolus", "patient bolus"),
)


def field_label(path: str) -> str:
    """A program field's path as the pump names it (steps[0].rate_ml_per_day), for people."""
    text = path
    for raw, words in _FIELD_WORDS:
        text = text.replace(raw, words)
    text = re.sub(r"steps\[(\d+)\]\.", lambda m: f"step {int(m.group(1)) + 1}: ", text)
    return text.replace("_", " ")
