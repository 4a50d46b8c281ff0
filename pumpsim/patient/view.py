"""What the simulator's patient view shows: exposure against the band, the signs now, the story.

Read only by the simulator role and the scenario runner (the pump cannot know its patient).
"""

from __future__ import annotations

from dataclasses import dataclass

from pumpsim.patient import parameters as pr
from pumpsim.patient.signs import HarmSeverity, SignChange, SignKind, SignNow
from pumpsim.patient.state import PatientState, exposure_at, pending_points


@dataclass(frozen=True, slots=True)
class DrugExposure:
    drug: str
    exposure: float  # relative to this patient's steady state at its baseline (1.0)
    band_low: float
    band_high: float
    baseline_mcg_per_day: float | None  # None: a drug the patient was never titrated on
    half_life_s: float


@dataclass(frozen=True, slots=True)
class PatientView:
    label: str
    at_s: float
    exposures: tuple[DrugExposure, ...]
    signs_now: tuple[SignNow, ...]
    timeline: tuple[SignChange, ...]  # in time order
    worst: HarmSeverity  # the worst severity any sign reached since the patient was attached


def view(state: PatientState, now_s: float) -> PatientView:
    exposures = []
    for track in state.tracks.values():
        response = state.profile.response(track.drug)
        exposures.append(
            DrugExposure(
                track.drug,
                exposure_at(track, max(now_s, track.ref_s)),
                track.band_low,
                track.band_high,
                None if response is None else response.baseline_mcg_per_day,
                0.6931471805599453 / track.k_per_s,
            )
        )
    timeline = tuple(sorted(state.timeline, key=lambda c: c.at_s))
    began: dict[tuple[str, SignKind], float] = {}
    since: dict[tuple[str, SignKind], tuple[float, HarmSeverity]] = {}
    for change in timeline:
        key = (change.drug, change.sign)
        if change.severity is HarmSeverity.NONE:
            began.pop(key, None)
            since.pop(key, None)
            continue
        began.setdefault(key, change.at_s)
        since[key] = (change.at_s, change.severity)
    now = tuple(
        SignNow(drug, sign, severity, at, began[(drug, sign)], pr.words(drug, sign, severity))
        for (drug, sign), (at, severity) in sorted(since.items())
    )
    worst = max((c.severity for c in timeline), default=HarmSeverity.NONE)
    return PatientView(
        state.profile.label,
        now_s,
        tuple(sorted(exposures, key=lambda e: e.drug)),
        now,
        timeline,
        HarmSeverity(worst),
    )


def samples(state: PatientState) -> dict[str, tuple[tuple[float, float], ...]]:
    """(time, exposure) points per drug for a plot: at each crossing of a level, along long
    approaches, and at most every 3 simulated hours between (thinned beyond a few thousand)."""
    out = {}
    for track in state.tracks.values():
        s = track.samples
        points = [(s[i], s[i + 1]) for i in range(0, len(s), 2)]
        out[track.drug] = tuple(points + pending_points(track))
    return out
