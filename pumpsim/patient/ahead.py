"""Whether a deviation, left to decay, keeps the exposure in its region for as long as the flow
stays the same: one exponential, however long that is.

Why it is exact: exposure is s L(t) + D e^(-k (t - t0)), L the flow's steady cycle. It stays
below `hi` for every t >= t0 if and only if D < A(t0), A(phase) = min over tau >= 0 of
(hi - s L(phase + tau)) e^(k tau). Within one piece of the flow the bracket's product with
e^(k tau) is monotone, so the minimum is at a piece's start or end; hence a backward recursion
over the pieces' boundaries, A_j = min(hi - s L_j, e^(k d_j) A_{j+1}), wrapped once around the
period, and at any phase inside piece i, A = min(hi - s L, e^(k (b_{i+1} - phase)) A_{i+1}). The
lower level is the same with max. If the cycle itself reaches a level, no deviation is clear.
`state` reads the two at the phase it needs, inline (it runs once a stretch).
"""

from __future__ import annotations

import math

from pumpsim.patient.response import Response


def bounds_ahead(
    g: Response, s: float, lo: float, hi: float
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(B_j, A_j) at every piece boundary j = 0..n (n: the next period's start)."""
    n = len(g.rates)
    cycle = [s * x for x in g.cycle]
    if hi != math.inf and max(cycle) >= hi:
        high: tuple[float, ...] = (-math.inf,) * (n + 1)
    else:
        high = _recurse(cycle, g.growths, hi, upper=True)
    if lo != -math.inf and min(cycle) < lo:
        low: tuple[float, ...] = (math.inf,) * (n + 1)
    else:
        low = _recurse(cycle, g.growths, lo, upper=False)
    return low, high


def _recurse(
    cycle: list[float], growths: tuple[float, ...], level: float, *, upper: bool
) -> tuple[float, ...]:
    n = len(growths)
    values = [math.inf if upper else -math.inf] * (n + 1)
    for _ in range(2):  # the second pass wraps the period's start into its end
        for j in range(n - 1, -1, -1):
            here, later = level - cycle[j], growths[j] * values[j + 1]
            values[j] = min(here, later) if upper else max(here, later)
        values[n] = values[0]
    return tuple(values)
