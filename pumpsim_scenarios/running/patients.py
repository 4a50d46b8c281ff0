"""What happened to the scenario's virtual patients, in data and in words, and the harm verdicts.

Read from the model's ground truth in both modes, as every other verdict is. A cohort rides one
pump (each patient meets the same delivery), so its outcome is one per patient and a summary:
"harmed 7 of 30", with the worst and the median patient. Illustrative, relative to each virtual
patient's own baseline; never dosing advice.
"""

from __future__ import annotations

import math
from typing import Any

from pumpsim import HarmSeverity, Pump
from pumpsim.patient.view import PatientView
from pumpsim.units import SECONDS_PER_DAY
from pumpsim_scenarios.files.spec import Expectation, Scenario

MAX_POINTS = 240  # per series, as the device's


def when(at_s: float) -> str:
    """'day 3 14:00': the scenario's day (from 0, as at_days counts) and the time of day."""
    day = int(at_s // SECONDS_PER_DAY)
    minutes = round((at_s - day * SECONDS_PER_DAY) / 60.0)
    if minutes >= 24 * 60:
        day, minutes = day + 1, minutes - 24 * 60
    return f"day {day} {minutes // 60:02d}:{minutes % 60:02d}"


def story(changes: list[tuple[float, str, str, str]]) -> list[str]:
    """Each sign's episode in words, from (at_s, drug, sign, severity) changes in time order:
    'withdrawal (baclofen), mild from day 3 14:00; serious from day 4 02:00; ended day 6 10:00'."""
    episodes: dict[tuple[str, str], list[str]] = {}
    lines: list[str] = []
    for at_s, drug, sign, severity in changes:
        key = (drug, sign)
        if severity == HarmSeverity.NONE.label:
            parts = episodes.pop(key, None)
            if parts is not None:
                lines.append(f"{_name(key)}, " + "; ".join([*parts, f"ended {when(at_s)}"]))
            continue
        episodes.setdefault(key, []).append(f"{severity} from {when(at_s)}")
    lines += [f"{_name(k)}, " + "; ".join(parts) for k, parts in episodes.items()]
    return lines


def _changes(view: PatientView) -> list[tuple[float, str, str, str]]:
    return [(c.at_s, c.drug, str(c.sign), c.severity.label) for c in view.timeline]


def _name(key: tuple[str, str]) -> str:
    return f"{key[1].replace('_', ' ')} ({key[0]})"


def outcome(
    view: PatientView, samples: dict[str, tuple[tuple[float, float], ...]]
) -> dict[str, Any]:
    return described(
        view.label,
        _changes(view),
        {e.drug: (e.exposure, e.band_low, e.band_high) for e in view.exposures},
        samples,
    )


def described(
    label: str,
    changes: list[tuple[float, str, str, str]],
    exposures: dict[str, tuple[float, float, float]],
    samples: dict[str, tuple[tuple[float, float], ...]],
) -> dict[str, Any]:
    """One patient's outcome as the reports and the judge read it (from the model, or from what
    the simulator role read over the wire in training)."""
    worst = max((HarmSeverity.named(c[3]) for c in changes), default=HarmSeverity.NONE)
    return {
        "label": label,
        "worst": worst.label,
        "harmed": worst >= HarmSeverity.MILD,
        "story": story(changes),
        "signs": [
            {"day": round(at / SECONDS_PER_DAY, 6), "drug": d, "sign": s, "severity": v}
            for at, d, s, v in changes
        ],
        "exposure_final": {d: round(x[0], 6) for d, x in exposures.items()},
        "band": {d: [x[1], x[2]] for d, x in exposures.items()},
        "series": _series(samples),
    }


def _series(samples: dict[str, tuple[tuple[float, float], ...]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for drug, points in samples.items():
        step = max(1, math.ceil(len(points) / MAX_POINTS))
        kept = list(points[::step])
        if points and kept[-1] != points[-1]:
            kept.append(points[-1])
        out[drug] = {
            "t_days": [round(t / SECONDS_PER_DAY, 6) for t, _ in kept],
            "exposure": [round(e, 5) for _, e in kept],
        }
    return out


def outcomes(pump: Pump) -> list[dict[str, Any]]:
    return [outcome(view, pump.patient_samples(i)) for i, view in enumerate(pump.patients())]


def _rank(o: dict[str, Any]) -> tuple[int, float]:
    """Worse first by severity, then by how early harm came (earlier is worse)."""
    severity = HarmSeverity.named(o["worst"])
    first = min((s["day"] for s in o["signs"] if s["severity"] != "none"), default=math.inf)
    return (int(severity), -first)


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Harmed N of M, with the worst and the median patient."""
    ordered = sorted(results, key=_rank, reverse=True)
    worst, median = ordered[0], ordered[len(ordered) // 2]
    harmed = sum(o["harmed"] for o in results)
    return {
        "size": len(results),
        "harmed": harmed,
        "worst": {"label": worst["label"], "severity": worst["worst"]},
        "median": {"label": median["label"], "severity": median["worst"]},
        "verdict": verdict(harmed, len(results), worst, median),
    }


def prune(results: list[dict[str, Any]], cohort: dict[str, Any]) -> None:
    """Keep the exposure series of the worst and the median patient only (a report stays small
    however large the cohort); after judging, which reads them all."""
    keep = {cohort["worst"]["label"], cohort["median"]["label"]}
    for o in results:
        if o["label"] not in keep:
            o["series"] = {}


def verdict(harmed: int, size: int, worst: dict[str, Any], median: dict[str, Any]) -> str:
    if size == 1:
        said = "; ".join(worst["story"]) or "no sign"
        return f"harmed {harmed} of 1 (worst {worst['worst']}: {said})"
    return (
        f"harmed {harmed} of {size}; worst {worst['label']} ({worst['worst']}), "
        f"median {median['label']} ({median['worst']})"
    )


# ------------------------------------------------------------------------------- judging


def judge(
    e: Expectation, patients: list[dict[str, Any]], cohort: dict[str, Any], s: Scenario
) -> tuple[bool, str]:
    p = e.params
    if e.kind == "harm":
        return _harm(p, patients, cohort)
    after = float(p.get("after_days", 0.0))
    by = float(p.get("by_days", s.duration_s / SECONDS_PER_DAY))
    if e.kind == "sign":
        return _sign(p, patients, after, by)
    return _exposure(p, patients, after, by)


def _worst(o: dict[str, Any], p: dict[str, Any]) -> HarmSeverity:
    levels = [
        HarmSeverity.named(x["severity"])
        for x in o["signs"]
        if p.get("drug", x["drug"]) == x["drug"] and p.get("sign", x["sign"]) == x["sign"]
    ]
    return max(levels, default=HarmSeverity.NONE)


def _harm(
    p: dict[str, Any], patients: list[dict[str, Any]], cohort: dict[str, Any]
) -> tuple[bool, str]:
    threshold = HarmSeverity.named(str(p.get("severity", "mild")))
    harmed = sum(_worst(o, p) >= threshold for o in patients)
    ok = True
    if "at_most" in p:
        ok &= all(_worst(o, p) <= HarmSeverity.named(str(p["at_most"])) for o in patients)
    if "at_least" in p:
        ok &= all(_worst(o, p) >= HarmSeverity.named(str(p["at_least"])) for o in patients)
    if "harmed_at_most" in p:
        ok &= harmed <= int(p["harmed_at_most"])
    if "harmed_at_least" in p:
        ok &= harmed >= int(p["harmed_at_least"])
    said = cohort["verdict"]
    if "drug" in p or "sign" in p:
        what = " ".join(str(p[k]).replace("_", " ") for k in ("sign", "drug") if k in p)
        said = f"{what}: {harmed} of {len(patients)} at {threshold.label} or worse; {said}"
    wanted = ", ".join(
        f"{k.replace('_', ' ')} {p[k]}"
        for k in ("at_most", "at_least", "harmed_at_most", "harmed_at_least")
        if k in p
    )
    return ok, f"{said} (expected {wanted})"


def _sign(
    p: dict[str, Any], patients: list[dict[str, Any]], after: float, by: float
) -> tuple[bool, str]:
    severity = HarmSeverity.named(str(p.get("severity", "mild")))
    absent = bool(p.get("absent", False))
    what = f"{p['sign'].replace('_', ' ')} at {severity.label} or worse"
    misses = []
    for o in patients:
        days = [
            x["day"]
            for x in o["signs"]
            if x["sign"] == p["sign"]
            and p.get("drug", x["drug"]) == x["drug"]
            and HarmSeverity.named(x["severity"]) >= severity
        ]
        inside = [d for d in days if after <= d <= by]
        if bool(inside) == absent:
            seen = f"began on day {days[0]:.3f}" if days else "never began"
            misses.append(f"{o['label']} ({seen})")
    window = f"between day {after:g} and day {by:g}"
    if misses:
        shown = ", ".join(misses[:3]) + (f" and {len(misses) - 3} more" if len(misses) > 3 else "")
        return False, f"{what} {'must not begin' if absent else 'expected'} {window}: {shown}"
    if absent:
        return True, f"{what} began in no patient {window}"
    return True, f"{what} began in all {len(patients)} patient(s) {window}"


def _exposure(
    p: dict[str, Any], patients: list[dict[str, Any]], after: float, by: float
) -> tuple[bool, str]:
    low = float(p.get("min", -math.inf))
    high = float(p.get("max", math.inf))
    drug = p["drug"]
    seen_low, seen_high = math.inf, -math.inf
    for o in patients:
        series = o["series"].get(drug) if o["series"] else None
        if series is None:
            continue
        for t, x in zip(series["t_days"], series["exposure"], strict=True):
            if after <= t <= by:
                seen_low, seen_high = min(seen_low, x), max(seen_high, x)
    if seen_low > seen_high:
        return False, f"no exposure of {drug} was recorded between day {after:g} and {by:g}"
    ok = low <= seen_low and seen_high <= high
    return ok, (
        f"{drug} exposure {seen_low:.2f}-{seen_high:.2f} x baseline between day {after:g} and "
        f"day {by:g}, expected within [{low:g}, {high:g}]"
    )
