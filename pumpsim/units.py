"""Time and unit constants shared by the model.

Simulated time is a float count of seconds since the pump's simulated epoch (day 0, 00:00, a Monday
for weekly schedules). Rates are entered per day, as clinicians think of them, and converted to per
second only inside the integrator, so every public name carries its unit.
"""

from __future__ import annotations

import math

SECONDS_PER_MINUTE = 60.0
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86_400.0
SECONDS_PER_WEEK = 7 * SECONDS_PER_DAY
SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY

MCG_PER_MG = 1000.0


def days(n: float) -> float:
    """Seconds in ``n`` days."""
    return n * SECONDS_PER_DAY


def hours(n: float) -> float:
    """Seconds in ``n`` hours."""
    return n * SECONDS_PER_HOUR


def minutes(n: float) -> float:
    """Seconds in ``n`` minutes."""
    return n * SECONDS_PER_MINUTE


def is_finite_number(value: object) -> bool:
    """True for a real, finite int or float (bool is refused: True is not a volume)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
