"""Relative exposure of one drug in the CSF, in closed form: one well-mixed compartment.

Why relative: with inflow u(t) (mcg/s reaching the CSF) and first-order elimination
k = ln 2 / half-life, the concentration obeys C' = u/V - k C. Measured against the patient's own
steady state at its baseline inflow u0 (C0 = u0 / (V k)), exposure E = C / C0 obeys
E' = k (r(t) - E), with r = u / u0 the inflow relative to baseline: the volume of distribution
cancels, no absolute "therapeutic level" is ever claimed, and the half-life is the only drug
parameter left (shared/domain.md: one compartment is the honest default for a training tool).

Why closed form: between two events the engine knows the inflow exactly (a constant, a bolus
with a known end, a periodic step schedule whose step boundaries are not events), so exposure
has an exact expression too: an exponential approach over each constant piece, and over whole
periods of a schedule an affine map raised to a power (a geometric series). The cost grows with
the pieces of one period, never with how many periods pass. `exact` walks a stretch with these;
`response` and `ahead` build on the same equation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

LN2 = math.log(2.0)


def elimination_rate_per_s(half_life_s: float) -> float:
    if not half_life_s > 0 or not math.isfinite(half_life_s):
        raise ValueError(f"a half-life must be a positive number of seconds, got {half_life_s!r}")
    return LN2 / half_life_s


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of constant inflow: `relative_inflow` times the baseline, for `duration_s`."""

    duration_s: float
    relative_inflow: float


def relax(exposure: float, relative_inflow: float, k_per_s: float, dt_s: float) -> float:
    """Exposure after `dt_s` of constant inflow: an exponential approach to that inflow."""
    return relative_inflow + (exposure - relative_inflow) * math.exp(-k_per_s * dt_s)


def over_pieces(exposure: float, k_per_s: float, pieces: Sequence[Piece]) -> float:
    for piece in pieces:
        exposure = relax(exposure, piece.relative_inflow, k_per_s, piece.duration_s)
    return exposure


def period_map(k_per_s: float, pieces: Sequence[Piece]) -> tuple[float, float]:
    """(a, b) such that one pass through `pieces` takes exposure E to a E + b."""
    a = math.exp(-k_per_s * sum(p.duration_s for p in pieces))
    b = over_pieces(0.0, k_per_s, pieces)
    return a, b


def over_periods(exposure: float, k_per_s: float, pieces: Sequence[Piece], periods: int) -> float:
    """Exposure after `periods` whole passes through `pieces`, in closed form."""
    if periods < 0:
        raise ValueError(f"periods must be >= 0, got {periods}")
    a, b = period_map(k_per_s, pieces)
    an = a**periods
    if a == 1.0:  # no time passes in a period (or no elimination): each adds b
        return exposure + periods * b
    return an * exposure + b * (1.0 - an) / (1.0 - a)


def time_to_reach(exposure: float, relative_inflow: float, k_per_s: float, level: float) -> float:
    """When, under constant inflow, exposure first reaches `level` (inf if it never does): what
    lets a sign's onset be timed exactly without being an event of the pump's."""
    if exposure == level:
        return 0.0
    toward = relative_inflow - exposure
    gap = level - exposure
    if toward == 0.0 or (gap > 0) != (toward > 0) or abs(gap) >= abs(toward):
        return math.inf
    return -math.log(1.0 - gap / toward) / k_per_s
