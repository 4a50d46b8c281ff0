"""A schedule's steady cycle in closed form: what makes most stretches cost a few exponentials.

Why: exposure minus the periodic steady state L of the commanded flow decays with the drug's
half-life (it obeys the same equation with no inflow). So a patient is held as that deviation:
a stretch under an unchanged schedule is one exponential for it (two with a bolus pulse, whose
excess joins the deviation), and the exposure itself, L(t) plus the deviation, is needed only
to read it or when a level might be crossed.
"""

from __future__ import annotations

import math
from bisect import bisect_right

Pieces = tuple[tuple[float, float], ...]  # (duration s, commanded mL/s)


class Response:
    """One period of commanded flow (pieces from the period's start) as seen by a drug of
    elimination rate k: G(x), the response from zero to unit relative inflow per mL/s, at every
    piece boundary; the steady cycle L(x) = e^(-k x) L(0) + G(x) and its range."""

    __slots__ = (
        "bounds",
        "cycle",
        "cycle_high",
        "cycle_low",
        "decays",
        "g",
        "growths",
        "k",
        "limit0",
        "mean",
        "period",
        "rates",
    )

    def __init__(self, pieces: Pieces, k: float) -> None:
        self.k = k
        bounds, g, rates = [0.0], [0.0], []
        t = e = 0.0
        for duration, rate in pieces:
            e = rate + (e - rate) * math.exp(-k * duration)
            t += duration
            bounds.append(t)
            g.append(e)
            rates.append(rate)
        self.bounds, self.g, self.rates = tuple(bounds), tuple(g), tuple(rates)
        self.period = t
        self.mean = sum(d * r for d, r in pieces) / t if t > 0 else 0.0  # mL/s over a period
        # The periodic steady state L (unit inflow): L(x) = e^(-k x) L(0) + G(x).
        a = math.exp(-k * t)
        self.limit0 = g[-1] / (1.0 - a) if a < 1.0 else 0.0
        cycle = [math.exp(-k * x) * self.limit0 + gx for x, gx in zip(bounds, g, strict=True)]
        self.cycle = tuple(cycle)  # L at each piece boundary
        self.decays = tuple(math.exp(-k * d) for d, _ in pieces)  # over each whole piece
        self.growths = tuple(math.exp(k * d) for d, _ in pieces)
        self.cycle_low, self.cycle_high = min(cycle), max(cycle)

    def cycle_at(self, t: float) -> float:
        """The steady cycle L at time t (unit relative inflow per commanded mL/s): within a
        piece it relaxes from its value at the piece's start toward the piece's rate."""
        x = t % self.period
        bounds = self.bounds
        i = bisect_right(bounds, x) - 1
        if i >= len(self.rates):
            return self.cycle[-1]
        r = self.rates[i]
        return r + (self.cycle[i] - r) * math.exp(-self.k * (x - bounds[i]))


RESPONSES: dict[tuple[int, float], tuple[Pieces, Response]] = {}


def response(pieces: Pieces, k: float) -> Response:
    """Cached by the identity of `pieces` (held in the entry, so the identity stays its own)."""
    key = (id(pieces), k)
    hit = RESPONSES.get(key)
    if hit is not None and hit[0] is pieces:
        return hit[1]
    if len(RESPONSES) > 512:
        RESPONSES.clear()
    response = Response(pieces, k)
    RESPONSES[key] = (pieces, response)
    return response
