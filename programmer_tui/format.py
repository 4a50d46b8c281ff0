"""How the programmer writes times, doses and volumes for people."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from firmware_protocol.wire import messages as m
from pumpsim import DEFAULT_LIBRARY
from pumpsim.domain import clock

# Running second 0 is shown as this date, a Monday at midnight, where the pump's weekly patterns
# start; a clinic sets the device clock with an offset (the pump's own, pumpsim.domain.clock).
EPOCH = datetime.strptime(clock.EPOCH_TEXT, "%Y-%m-%d %H:%M")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def when(at_s: float | None, offset_s: float = 0.0) -> str:
    if at_s is None:
        return "—"
    return (EPOCH + timedelta(seconds=at_s + offset_s)).strftime("%Y-%m-%d %H:%M")


def day(at_s: float | None, offset_s: float = 0.0) -> str:
    if at_s is None:
        return "—"
    return (EPOCH + timedelta(seconds=at_s + offset_s)).strftime("%Y-%m-%d")


def by_urgency(alarms: Iterable[m.AlarmSpec]) -> list[m.AlarmSpec]:
    """Critical alarms first, then the rest, each oldest first: the order every view lists them."""
    return sorted(alarms, key=lambda a: (a.severity != "critical", a.raised_at_s))


def mix(drugs: Iterable[m.DrugSpec], empty: str) -> str:
    """A reservoir's contents, "morphine 10 mg/mL + clonidine 100 mcg/mL", or `empty`."""
    return " + ".join(f"{d.drug} {concentration(d.drug, d.mcg_per_ml)}" for d in drugs) or empty


def program_mode(program: m.ProgramSpec) -> str:
    """A program in a few words: its mode, and its rate when that is one number."""
    if program.mode == "continuous":
        return f"continuous {program.rate_ml_per_day:g} mL/day"
    return f"flexible, {program.period}" if program.mode == "flexible" else program.mode


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


def week_time(seconds: float) -> str:
    """Seconds into a weekly pattern as 'Tue 08:00' (its end as 'Sun 24:00')."""
    day, rest = divmod(round(seconds), 86400)
    if day == 7 and rest == 0:
        return "Sun 24:00"
    return f"{DAYS[day % 7]} {hhmm(rest)}"


def parse_week_time(text: str) -> float:
    """'Tue 08:00' -> seconds from Monday 00:00 ('Sun 24:00' is the end of the week)."""
    name, _, clock = text.strip().partition(" ")
    matches = [i for i, d in enumerate(DAYS) if d.lower() == name[:3].lower()]
    if not matches or not clock:
        raise ValueError(f"{text!r} is not a day and time (e.g. Tue 08:00)")
    return matches[0] * 86400.0 + parse_hhmm(clock)


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
