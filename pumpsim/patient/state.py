"""The virtual patient as the engine carries it: every stretch of the pump's time, in closed form.

The engine hands over, per stretch, what it already knows exactly: the commanded flow (a
constant, a patient-bolus pulse with a known end, a periodic schedule's curve) and the mass of
each drug that reached the intrathecal space per commanded mL (the model's ground truth: none
while the catheter is dislodged, the syringe's true concentration after a mismatched refill).

Each drug is held as its deviation from the steady cycle of the flow it is under (`response`):
that deviation only decays, so a stretch costs one exponential, two with a bolus pulse. Only
when the exposure might cross a level in a stretch (a sign could begin or end) is the stretch
walked exactly, piece by piece (`exact`), and each crossing timed. So the patient's cost grows
with the pump's events and its own sign changes, never with simulated time.
"""

from __future__ import annotations

import math

from pumpsim.patient import exact
from pumpsim.patient.profile import PatientProfile
from pumpsim.patient.response import Response, cycle_range, response
from pumpsim.patient.signs import SignChange
from pumpsim.patient.tracker import DrugTrack
from pumpsim.rules.basal import BasalCurve

Pieces = exact.Pieces
_CONSTANT_PERIOD_S = 86_400.0  # a constant flow, as a schedule of one piece a day
_SAMPLE_EVERY_S = 3600.0  # a plot point at most every simulated hour between crossings


class PatientState:
    __slots__ = ("attached_at_s", "names", "profile", "timeline", "tracks")

    def __init__(self, profile: PatientProfile, names: tuple[str, ...], at_s: float) -> None:
        """A patient stable on its baselines at `at_s`: every drug's exposure 1."""
        self.profile = profile
        self.names = names  # the library's drugs, by column
        self.attached_at_s = at_s
        self.timeline: list[SignChange] = []
        self.tracks: dict[int, DrugTrack] = {}
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
        tracks = self.tracks
        if len(mcg_per_ml) > len(tracks) or any(c not in tracks for c in mcg_per_ml):
            for column, q in mcg_per_ml.items():
                if q > 0.0 and column not in tracks:
                    track = DrugTrack(self.names[column], None)
                    track.ref_s = t0
                    track.sample(t0)
                    tracks[column] = track
        pulse_s = (pulse_end_s if pulse_end_s < t1 else t1) - t0 if pulse_end_s > t0 else 0.0
        out = self.timeline
        for column, track in tracks.items():
            s = mcg_per_ml.get(column, 0.0) * track.scale  # relative inflow per commanded mL/s
            if s == 0.0:
                pieces: Pieces = exact.NOTHING
            elif curve is None:
                pieces = exact.constant(b_ml_s, _CONSTANT_PERIOD_S)
            else:
                pieces = exact.unit(curve, b_ml_s)
            g = response(pieces, track.k_per_s)
            if track.pieces is not pieces or track.s != s:
                _switch(track, g, pieces, s, t0)
            if not _quietly(track, g, s, t1, pulse_ml_s * s, pulse_s):
                _exactly(track, g, s, t0, t1, b_ml_s, pulse_ml_s, pulse_end_s, curve, out)
            if track.low_since_s is not None:
                track.flush(t1, out)
            if t1 - track.samples[-2] >= _SAMPLE_EVERY_S:
                track.exposure = exposure_at(track, t1)
                track.sample(t1)


def exposure_at(track: DrugTrack, t: float) -> float:
    """The exposure at `t` (at or after the track's reference time)."""
    pieces = track.pieces
    if pieces is None:
        return track.dev * math.exp(-track.k_per_s * (t - track.ref_s))
    g = response(pieces, track.k_per_s)
    return track.s * g.cycle_at(t) + track.dev * math.exp(-track.k_per_s * (t - track.ref_s))


def _switch(track: DrugTrack, g: Response, pieces: Pieces, s: float, t: float) -> None:
    """Another flow from `t` on: the same exposure, a deviation from the new cycle."""
    e = exposure_at(track, t)
    track.pieces = pieces
    track.s = s
    track.dev = e - s * g.cycle_at(t)
    track.ref_s = t


def _quietly(
    track: DrugTrack, g: Response, s: float, t1: float, pulse: float, pulse_s: float
) -> bool:
    """Carry the deviation to `t1` if no level can be crossed on the way; False (untouched) if
    one might. The exposure stays within the cycle's range plus the deviation's, and the
    deviation only moves toward the pulse (while it runs) and then toward zero."""
    k, d0 = track.k_per_s, track.dev
    t0 = track.ref_s
    if pulse_s > 0.0:
        d_pulse = pulse + (d0 - pulse) * math.exp(-k * pulse_s)
        d1 = d_pulse * math.exp(-k * (t1 - t0 - pulse_s))
        low, high = min(d0, d_pulse, d1), max(d0, d_pulse, d1)
    else:
        d1 = d0 * math.exp(-k * (t1 - t0))
        low, high = (d0, d1) if d0 < 0.0 else (d1, d0)
    levels, region = track.levels, track.region
    if s != 0.0:
        cycle_low, cycle_high = cycle_range(g, t0, t1)
        low += s * cycle_low
        high += s * cycle_high
    if region > 0 and low < levels[region - 1]:
        return False
    if region < len(levels) and high >= levels[region]:
        return False
    track.dev = d1
    track.ref_s = t1
    return True


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
