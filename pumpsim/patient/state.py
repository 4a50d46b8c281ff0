"""The virtual patient as the engine carries it: every stretch of the pump's time, in closed form.

The engine hands over, per stretch, what it already knows exactly: the commanded flow (a
constant, a patient-bolus pulse with a known end, a periodic schedule's curve) and the mass of
each drug that reached the intrathecal space per commanded mL (the model's ground truth: none
while the catheter is dislodged, the syringe's true concentration after a mismatched refill).

Each drug is held as its deviation from the steady cycle of the flow it is under (`response`):
that deviation only decays (and rises toward a bolus pulse while it runs). Once a deviation is
known to keep the exposure inside its region for as long as the flow lasts (`ahead`: exact, one
exponential), nothing is computed until the flow changes or a pulse comes. A stretch that might
cross a level is checked at each step boundary within a period (exposure is monotone between
them), or walked piece by piece (`exact`) with each crossing timed. So the patient's cost grows
with the pump's events and its own sign changes, never with simulated time.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from math import exp

from pumpsim.patient import ahead, exact
from pumpsim.patient.profile import PatientProfile
from pumpsim.patient.response import Response, response
from pumpsim.patient.signs import SignChange
from pumpsim.patient.tracker import DrugTrack
from pumpsim.rules.basal import BasalCurve

Pieces = exact.Pieces
_NOTHING = exact.NOTHING
_CONSTANT_PERIOD_S = 86_400.0  # a constant flow, as a schedule of one piece a day
_SAMPLE_EVERY_S = 3 * 3600.0  # a plot point at most every 3 simulated hours between crossings


class PatientState:
    __slots__ = (
        "attached_at_s",
        "flow",
        "flow_b",
        "flow_curve",
        "names",
        "profile",
        "reached",
        "timeline",
        "tracks",
    )

    def __init__(self, profile: PatientProfile, names: tuple[str, ...], at_s: float) -> None:
        """A patient stable on its baselines at `at_s`: every drug's exposure 1."""
        self.profile = profile
        self.names = names  # the library's drugs, by column
        self.attached_at_s = at_s
        self.timeline: list[SignChange] = []
        self.tracks: dict[int, DrugTrack] = {}
        # The last stretch's flow (one period of it), kept while the schedule and the constant
        # on top of it are the same objects and value.
        self.flow: Pieces = exact.NOTHING
        self.flow_curve: BasalCurve | None = None
        self.flow_b = math.nan
        self.reached: dict[int, float] | None = None  # the last stretch's mcg_per_ml
        for drug_response in profile.drugs:
            track = DrugTrack(drug_response.drug, drug_response)
            track.start_at(1.0, at_s, self.timeline)
            self.tracks[names.index(drug_response.drug)] = track

    def carry(
        self,
        t0: float,
        t1: float,
        mcg_per_ml: dict[int, float],
        b_ml_s: float,
        pulse_ml_s: float,
        pulse_end_s: float,
        curve: BasalCurve | None,
    ) -> None:
        """From t0 to t1 under one stretch's law; `mcg_per_ml`: mass reaching the CSF per
        commanded mL, by library column."""
        out = self.timeline
        if (
            (mcg_per_ml is not self.reached and mcg_per_ml != self.reached)
            or curve is not self.flow_curve
            or b_ml_s != self.flow_b
        ):
            self._new_law(t0, mcg_per_ml, b_ml_s, curve)
        pulsing = pulse_end_s > t0
        pulse_s = ((pulse_end_s if pulse_end_s < t1 else t1) - t0) if pulsing else 0.0
        for track in self.tracks.values():
            s = track.s
            until = track.risk_until_s
            if t0 < until <= t1:  # an opioid's early-risk window closes inside the stretch
                law = (b_ml_s, pulse_ml_s, pulse_end_s, curve)
                _walked(track, t0, until, s, law, out)
                track.set_risk(-math.inf, exposure_at(track, until), until, out)
                _envelope(track, track.g)
                _walked(track, until, t1, s, law, out)
                continue
            k = track.k_per_s
            if pulsing or not track.quiet:
                # The common case, written out here as it runs once a stretch for every drug
                # of every patient: the deviation (after rising toward the pulse while it runs,
                # within one step of the schedule) is clear of the region's levels for as long
                # as this flow lasts (ahead.py), so nothing more is computed until the flow
                # changes or a pulse comes.
                g = track.g
                ref = track.ref_s
                d0 = track.dev * exp(-k * (t0 - ref)) if ref != t0 else track.dev
                at, d = t0, d0
                if pulsing:
                    p = pulse_ml_s * s
                    if pulse_s != track.pulse_s:
                        track.pulse_s, track.pulse_decay = pulse_s, exp(-k * pulse_s)
                    at, d = t0 + pulse_s, p + (d0 - p) * track.pulse_decay
                bounds = g.bounds
                # phase < the period (float % of times >= 0), so i < the number of steps
                phase = at % g.period
                bound, low0, high0, slope, later1, sooner1 = track.steps[
                    bisect_right(bounds, phase) - 1
                ]
                clear = phase - pulse_s >= bound  # the pulse ran within this one step
                if clear:
                    x = exp(-k * (phase - bound))
                    below = low0 - slope * x  # lo - s L(at)
                    later = later1 * x
                    above = high0 - slope * x
                    sooner = sooner1 * x
                    clear = (
                        (below if below > later else later)
                        <= d
                        < (above if above < sooner else sooner)
                    )
                if not clear:
                    track.dev, track.ref_s, track.quiet = d0, t0, False
                    _walked(track, t0, t1, s, (b_ml_s, pulse_ml_s, pulse_end_s, curve), out)
                    continue
                track.dev, track.ref_s, track.quiet = d, at, True
            if t1 - track.last_sample_s >= _SAMPLE_EVERY_S:
                # The deviation at t1 is a plot point and the next stretch's starting value:
                # the track is carried on from t1 (the same exposure, one exponential fewer).
                track.dev = d1 = track.dev * exp(-k * (t1 - track.ref_s))
                track.ref_s = t1
                track.pending += (t1, d1)
                track.last_sample_s = t1
            if track.low_since_s is not None:
                track.flush(t1, out)

    def _new_law(
        self, t0: float, mcg_per_ml: dict[int, float], b_ml_s: float, curve: BasalCurve | None
    ) -> None:
        """Another law from `t0` on: each drug's flow and inflow (see carry)."""
        self.reached = mcg_per_ml
        tracks = self.tracks
        for column in mcg_per_ml:
            if column not in tracks:  # perhaps a drug it was never titrated on
                self._meet(mcg_per_ml, t0)
                break
        if curve is not self.flow_curve or b_ml_s != self.flow_b:
            self.flow_curve, self.flow_b = curve, b_ml_s
            if curve is None:
                self.flow = exact.constant(b_ml_s, _CONSTANT_PERIOD_S)
            else:
                self.flow = exact.unit(curve, b_ml_s)
        flow = self.flow
        for column, track in tracks.items():
            # relative inflow per commanded mL/s
            s = mcg_per_ml[column] * track.scale if column in mcg_per_ml else 0.0
            pieces: Pieces = flow if s != 0.0 else _NOTHING
            if track.pieces is not pieces or track.s != s:
                _switch(track, response(pieces, track.k_per_s), pieces, s, t0, self.timeline)

    def rederive(self) -> None:
        """What a format-4 snapshot did not keep, worked out again from what it did: each
        drug's check per step of its flow (for its region); no pulse's decay, no last inflow
        (the next stretch looks at its law afresh)."""
        self.reached = None
        for track in self.tracks.values():
            track.pulse_s = track.pulse_decay = math.nan
            _envelope(track, track.g)

    def _meet(self, mcg_per_ml: dict[int, float], t0: float) -> None:
        """Tracks from `t0` on for the drugs reaching it that it was never titrated on."""
        for column, q in mcg_per_ml.items():
            if column not in self.tracks and q > 0.0:
                track = DrugTrack(self.names[column], None)
                track.ref_s = t0
                track.sample(t0)
                self.tracks[column] = track


_Law = tuple[float, float, float, BasalCurve | None]  # constant mL/s, pulse mL/s, its end, curve


def _walked(
    track: DrugTrack, t0: float, t1: float, s: float, law: _Law, out: list[SignChange]
) -> None:
    """A stretch that may cross a level: checked at every boundary within a period, or walked
    piece by piece with every crossing timed; the region's envelope follows any new region."""
    b_ml_s, pulse_ml_s, pulse_end_s, curve = law
    pulse_s = (pulse_end_s if pulse_end_s < t1 else t1) - t0 if pulse_end_s > t0 else 0.0
    g = track.g
    if track.ref_s != t0:  # the deviation, at t0
        track.dev *= math.exp(-track.k_per_s * (t0 - track.ref_s))
        track.ref_s = t0
    track.quiet = False
    if not _quietly(track, g, s, t1, pulse_ml_s * s, pulse_s):
        _exactly(track, g, s, t0, t1, b_ml_s, pulse_ml_s, pulse_end_s, curve, out)
        _envelope(track, g)
    if t1 - track.last_sample_s >= _SAMPLE_EVERY_S:
        track.sample(t1)  # the exposure at t1, as the walk left it
    if track.low_since_s is not None:
        track.flush(t1, out)


def exposure_at(track: DrugTrack, t: float) -> float:
    """The exposure at `t` (at or after the track's reference time): the flow's steady cycle
    (none before the first flow) and the deviation, decayed."""
    return track.s * track.g.cycle_at(t) + track.dev * math.exp(-track.k_per_s * (t - track.ref_s))


def pending_points(track: DrugTrack) -> list[tuple[float, float]]:
    """The plot points noted as deviations under the current flow, as (time, exposure)."""
    pending, g, s = track.pending, track.g, track.s
    return [
        (pending[i], s * g.cycle_at(pending[i]) + pending[i + 1]) for i in range(0, len(pending), 2)
    ]


def _switch(
    track: DrugTrack, g: Response, pieces: Pieces, s: float, t: float, out: list[SignChange]
) -> None:
    """Another flow from `t` on: the same exposure, a deviation from the new cycle. A start or
    an increase of an opioid opens its early-risk window."""
    settle_samples(track)
    e = exposure_at(track, t)
    before = track.s * track.g.mean
    track.pieces = pieces
    track.g = g
    track.s = s
    track.dev = e - s * g.cycle_at(t)
    track.ref_s = t
    if track.risk_s > 0.0 and s * g.mean > before * (1.0 + 1e-9) and s > 0.0:
        track.set_risk(t + track.risk_s, e, t, out)
    _envelope(track, g)


def _envelope(track: DrugTrack, g: Response) -> None:
    """For the flow and the region it is in now, per step of the flow, what carry's check reads:
    the step's start, the region's levels less the step's rate (lo - s r, hi - s r), the cycle's
    distance from that rate at the step's start (s (L_i - r)), and the deviations that keep
    exposure in the region from the step's end on, grown to its start (see ahead.py). Within a
    step, at a point x = e^(-k (phase - start)) of it, exposure stays in the region while
    max(lo - s r - s (L_i - r) x, grown_low x) <= deviation < min(hi - ..., grown_high x)."""
    levels, region, s = track.levels, track.region, track.s
    lo = levels[region - 1] if region > 0 else -math.inf
    hi = levels[region] if region < len(levels) else math.inf
    low, high = ahead.bounds_ahead(g, s, lo, hi)
    bounds, rates, cycle, growths = g.bounds, g.rates, g.cycle, g.growths
    track.steps = tuple(
        (
            bounds[i],
            lo - s * rates[i],
            hi - s * rates[i],
            s * (cycle[i] - rates[i]),
            growths[i] * low[i + 1],
            growths[i] * high[i + 1],
        )
        for i in range(len(rates))
    )
    track.quiet = False


def settle_samples(track: DrugTrack) -> None:
    """Turn the deviations noted under the current flow into exposures (before it changes)."""
    if not track.pending:
        return
    for at, e in pending_points(track):
        track.exposure = e
        track.sample(at)
    track.pending.clear()
    track.exposure = exposure_at(track, track.ref_s)


def _quietly(
    track: DrugTrack, g: Response, s: float, t1: float, pulse: float, pulse_s: float
) -> bool:
    """Carry the deviation to `t1` if exposure stays in its region on the way; False (and the
    track untouched) if it might leave it. Exposure is monotone between two boundaries of the
    flow (a step of the schedule, the pulse's end), so within one period its extremes are
    among the values at those boundaries: checking them is exact, not a bound. Over longer
    stretches the cycle's whole range plus the deviation's bounds it instead."""
    k, d0, t0 = track.k_per_s, track.dev, track.ref_s
    levels, region = track.levels, track.region
    lo = levels[region - 1] if region > 0 else -math.inf
    hi = levels[region] if region < len(levels) else math.inf
    pe = t0 + pulse_s
    d_pulse = pulse + (d0 - pulse) * math.exp(-k * pulse_s) if pulse_s > 0.0 else d0
    d1 = d_pulse * math.exp(-k * (t1 - pe))
    if s == 0.0:  # no inflow: exposure is the deviation, monotone on each side of the pulse
        if not (lo <= d_pulse < hi and lo <= d1 < hi):
            return False
        e1 = d1
    elif t1 - t0 >= g.period:
        low = s * g.cycle_low + min(d0, d_pulse, d1)
        high = s * g.cycle_high + max(d0, d_pulse, d1)
        if not (lo <= low and high < hi):
            return False
        e1 = s * g.cycle_at(t1) + d1
    else:
        e1 = s * g.cycle_at(t1) + d1
        if not (lo <= e1 < hi and _stays_between(g, s, k, t0, t1, pe, d0, d_pulse, pulse, lo, hi)):
            return False
    track.dev = d1
    track.ref_s = t1
    track.exposure = e1
    return True


def _stays_between(
    g: Response,
    s: float,
    k: float,
    t0: float,
    t1: float,
    pe: float,
    d0: float,
    d_pulse: float,
    pulse: float,
    lo: float,
    hi: float,
) -> bool:
    """Whether exposure stays in [lo, hi) at the pulse's end and at every step boundary in
    (t0, t1), within one period (t1 itself is judged by the caller)."""

    if t0 < pe < t1 and not lo <= s * g.cycle_at(pe) + d_pulse < hi:
        return False
    period, bounds, cycle, decays = g.period, g.bounds, g.cycle, g.decays
    last = len(bounds) - 1  # the period's end is the next one's start
    base = t0 - t0 % period
    i = bisect_right(bounds, t0 - base)
    d = math.nan  # the deviation at the last boundary after the pulse (then one decay a piece)
    while True:
        if i >= last:
            base += period
            i = 0
        at = base + bounds[i]
        if at >= t1:
            return True
        if at <= pe:
            d = pulse + (d0 - pulse) * math.exp(-k * (at - t0))
        elif d != d or at - pe < bounds[i] - bounds[i - 1]:  # first boundary after the pulse
            d = d_pulse * math.exp(-k * (at - pe))
        else:
            d *= decays[i - 1]
        if not lo <= s * cycle[i] + d < hi:
            return False
        i += 1


def _exactly(
    track: DrugTrack,
    g: Response,
    s: float,
    t0: float,
    t1: float,
    b_ml_s: float,
    pulse_ml_s: float,
    pulse_end_s: float,
    curve: BasalCurve | None,
    out: list[SignChange],
) -> None:
    """The stretch walked piece by piece, each crossing timed; then the deviation at its end."""
    track.exposure = exposure_at(track, t0)
    segments = []
    if pulse_end_s > t0:
        mid = pulse_end_s if pulse_end_s < t1 else t1
        segments.append((t0, mid, b_ml_s + pulse_ml_s))
        if mid < t1:
            segments.append((mid, t1, b_ml_s))
    else:
        segments.append((t0, t1, b_ml_s))
    for ta, tb, alpha in segments:
        if s == 0.0 or curve is None:
            exact.walk(track, ta, ((tb - ta, alpha),), s, out)
        else:
            exact.over_curve(track, ta, tb, alpha, s, curve, out)
    track.dev = track.exposure - s * g.cycle_at(t1)
    track.ref_s = t1
