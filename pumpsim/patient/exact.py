"""The exact walk: exposure carried piece by piece, every crossing of a level solved.

What `state` falls back on when a stretch might cross a level (a sign may begin or end in it):
an exponential approach over each constant piece of the commanded flow; whole periods of a
schedule as one affine map raised to a power, walked period by period only while a level could
be crossed in them. Its cost grows with the pieces of one period and with the signs' changes.
"""

from __future__ import annotations

import math
from functools import lru_cache

from pumpsim.patient import kinetics
from pumpsim.patient.kinetics import LN2 as _LN2
from pumpsim.patient.kinetics import relax, time_to_reach
from pumpsim.patient.signs import SignChange
from pumpsim.patient.tracker import DrugTrack
from pumpsim.rules.basal import BasalCurve

Pieces = tuple[tuple[float, float], ...]  # (duration s, commanded mL/s)


def walk(
    track: DrugTrack,
    t: float,
    pieces: Pieces,
    s: float,
    out: list[SignChange],
) -> float:
    """Carry `track` over `pieces` (duration, commanded mL/s; relative inflow is
    rate * s) from `t`; return the end time. Each crossing of a level is solved and fed to the
    signs at its exact time. The common case, no crossing, is one exponential a piece."""
    k = track.k_per_s
    e = track.exposure
    levels = track.levels
    region = track.region
    lo = levels[region - 1] if region > 0 else -math.inf
    hi = levels[region] if region < len(levels) else math.inf
    long_s = 4.0 / k
    for duration, rate in pieces:
        if duration <= 0.0:
            continue
        r = rate * s
        end = r + (e - r) * math.exp(-k * duration)
        if lo <= end < hi:
            if duration > long_s and abs(end - e) > 1e-3:
                # a long approach: a few points along it, so a plot shows the curve, not a line
                for m in (1.0, 2.0, 4.0):
                    at = m * _LN2 / k
                    track.exposure = relax(e, r, k, at)
                    track.sample(t + at)
        else:
            _cross(track, t, e, r, duration, track.region_of(end), out)
            region = track.region
            lo = levels[region - 1] if region > 0 else -math.inf
            hi = levels[region] if region < len(levels) else math.inf
        e = end
        t += duration
    track.exposure = e
    return t


def _cross(
    track: DrugTrack, t: float, e: float, r: float, duration: float, to: int, out: list[SignChange]
) -> None:
    """From region to region `to` within one piece: each level crossed, at its exact time."""
    k, levels = track.k_per_s, track.levels
    step = 1 if to > track.region else -1
    while track.region != to:
        nxt = track.region + step
        level = levels[track.region] if step > 0 else levels[nxt]
        dt = time_to_reach(e, r, k, level)
        at = t + (dt if math.isfinite(dt) else duration)
        track.exposure = level
        track.enter(nxt, at, out)
        track.sample(at)


def cut(pieces: Pieces, lo: float, hi: float) -> Pieces:
    """The pieces of one period between phases `lo` and `hi`."""
    out = []
    t = 0.0
    for duration, rate in pieces:
        end = t + duration
        if end > lo:
            a = t if t > lo else lo
            b = end if end < hi else hi
            if b > a:
                out.append((b - a, rate))
            if end >= hi:
                break
        t = end
    return tuple(out)


NOTHING: Pieces = ((86_400.0, 0.0),)  # no inflow at all


@lru_cache(maxsize=256)
def constant(rate_ml_s: float, period_s: float) -> Pieces:
    """A constant flow as a schedule of one piece (the same object for the same rate)."""
    return ((period_s, rate_ml_s),)


@lru_cache(maxsize=256)
def unit(curve: BasalCurve, alpha: float) -> Pieces:
    """Keyed by the curve object itself (hashed by identity, kept alive by the cache)."""
    return period_pieces(curve.starts_s, curve.ends_s, curve.rates_ml_s, curve.period_s, alpha)


@lru_cache(maxsize=256)
def period_pieces(
    starts: tuple[float, ...],
    ends: tuple[float, ...],
    rates: tuple[float, ...],
    period: float,
    alpha: float,
) -> Pieces:
    """One whole period of the curve plus `alpha`, as constant pieces from the period's start."""
    out: list[tuple[float, float]] = []
    t = 0.0
    for a, b, r in zip(starts, ends, rates, strict=True):
        if a > t:
            out.append((a - t, alpha))
        out.append((b - a, r + alpha))
        t = b
    if t < period:
        out.append((period - t, alpha))
    return tuple(out)


@lru_cache(maxsize=1024)
def _period_map(pieces: Pieces, k: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Exposure at each piece's end within a period started at x is a_j x + s b_j, for relative
    inflow s times the commanded rate: the coefficients."""
    a_list, b_list = [], []
    a, b = 1.0, 0.0
    for duration, r in pieces:
        decay = math.exp(-k * duration)
        a *= decay
        b = r + (b - r) * decay
        a_list.append(a)
        b_list.append(b)
    return tuple(a_list), tuple(b_list)


def _stays(
    track: DrugTrack, x: float, coeffs: tuple[tuple[float, ...], tuple[float, ...]], s: float
) -> int:
    """The one region a whole period from x stays in, or -1 if it crosses a level."""
    region = track.region_of(x)
    for a, b in zip(*coeffs, strict=True):
        if track.region_of(a * x + b * s) != region:
            return -1
    return region


def over_curve(
    track: DrugTrack,
    ta: float,
    tb: float,
    alpha: float,
    s: float,
    curve: BasalCurve,
    out: list[SignChange],
) -> None:
    period = curve.period_s
    pieces = unit(curve, alpha)
    phase = ta % period
    first = min(tb - ta, period - phase)
    t = walk(track, ta, cut(pieces, phase, phase + first), s, out)
    left = tb - t
    whole = int(left // period) if left > 0 else 0
    if whole:
        coeffs = _period_map(pieces, track.k_per_s)
        a, b = coeffs[0][-1], coeffs[1][-1] * s
        limit = b / (1.0 - a) if a < 1.0 else track.exposure
        settled = _stays(track, limit, coeffs, s)
        done = 0
        while done < whole:
            here = _stays(track, track.exposure, coeffs, s)
            if here >= 0 and here == settled and here == track.region:
                n = whole - done  # no level can be crossed in any of them: one step
                relative = [kinetics.Piece(d, r * s) for d, r in pieces]
                track.exposure = kinetics.over_periods(track.exposure, track.k_per_s, relative, n)
                t += n * period
                track.flush(t, out)
                break
            t = walk(track, t, pieces, s, out)
            done += 1
    rest = tb - t
    if rest > 0:
        walk(track, t, cut(pieces, 0.0, rest), s, out)
