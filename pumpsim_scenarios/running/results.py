"""What a scenario run produced, and how its expectations were judged, as plain data.

`as_dict` is the JSON report's shape: it holds no wall-clock figure, so the same files and seeds
give byte-identical reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pumpsim.units import SECONDS_PER_DAY
from pumpsim_scenarios.files.spec import PATIENT_EXPECTATIONS, Expectation, Scenario
from pumpsim_scenarios.files.values import mcg_of
from pumpsim_scenarios.running import patients


@dataclass
class ExpectationResult:
    index: int
    kind: str
    passed: bool
    message: str


@dataclass
class ScenarioResult:
    id: str
    path: str
    name: str
    mode: str
    parameters: dict[str, Any]
    seed: int
    passed: bool
    expectations: list[ExpectationResult]
    rejections: dict[int, list[str]] = field(default_factory=dict)
    verdicts: list[tuple[float, str]] = field(default_factory=list)
    alarms: list[tuple[str, float]] = field(default_factory=list)
    delivered_mcg: dict[str, float] = field(default_factory=dict)
    final: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    series: dict[str, Any] = field(default_factory=dict)
    moments: list[dict[str, Any]] = field(default_factory=list)
    patients: list[dict[str, Any]] = field(default_factory=list)  # the virtual patients' outcomes
    cohort: dict[str, Any] = field(default_factory=dict)  # harmed N of M, worst and median
    trumpet: dict[str, Any] = field(default_factory=dict)  # flow accuracy, if asked (accuracy)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seed": self.seed,
            "path": self.path,
            "name": self.name,
            "mode": self.mode,
            "parameters": self.parameters,
            "passed": self.passed,
            "error": self.error,
            "expectations": [e.__dict__ for e in self.expectations],
            "rejections": {str(k): v for k, v in sorted(self.rejections.items())},
            "refill_verdicts": [[round(t / SECONDS_PER_DAY, 6), v] for t, v in self.verdicts],
            "alarms": [[k, round(t / SECONDS_PER_DAY, 6)] for k, t in self.alarms],
            "delivered_mcg": {k: round(v, 3) for k, v in sorted(self.delivered_mcg.items())},
            "final": self.final,
            "series": self.series,
            "moments": self.moments,
            "patients": self.patients,
            "cohort": self.cohort,
            "trumpet": self.trumpet,
        }


def judge(
    e: Expectation, r: ScenarioResult, s: Scenario, extra: dict[str, Any]
) -> ExpectationResult:
    p = e.params

    def result(ok: bool, message: str) -> ExpectationResult:
        return ExpectationResult(e.index, e.kind, ok, message)

    if e.kind in ("alarm", "no_alarm"):
        times = [t for k, t in r.alarms if k == p["alarm"]]
        by = float(p.get("by_days", s.duration_s / SECONDS_PER_DAY)) * SECONDS_PER_DAY
        after = float(p.get("after_days", 0.0)) * SECONDS_PER_DAY
        hits = [t for t in times if after <= t <= by]
        if e.kind == "alarm":
            if hits:
                return result(True, f"{p['alarm']} raised on day {hits[0] / SECONDS_PER_DAY:.3f}")
            seen = (
                f" (raised on day {times[0] / SECONDS_PER_DAY:.3f})" if times else " (never raised)"
            )
            return result(
                False,
                f"expected {p['alarm']} between day {after / SECONDS_PER_DAY:g} "
                f"and day {by / SECONDS_PER_DAY:g}{seen}",
            )
        if hits:
            return result(
                False,
                f"{p['alarm']} must not be raised, but was on day {hits[0] / SECONDS_PER_DAY:.3f}",
            )
        return result(True, f"{p['alarm']} not raised")
    if e.kind == "accuracy":
        return result(*_accuracy(p, r.trumpet))
    if e.kind == "delivered":
        got = r.delivered_mcg.get(p["drug"], 0.0)
        given_low, given_high = mcg_of(p, "min"), mcg_of(p, "max")
        low = given_low if given_low is not None else 0.0
        high = given_high if given_high is not None else float("inf")
        ok = low <= got <= high
        return result(
            ok, f"{p['drug']} delivered {got:.1f} mcg, expected within [{low:g}, {high:g}] mcg"
        )
    if e.kind == "refill_verdict":
        index = int(p.get("refill", 0))
        verdicts = [v for _, v in r.verdicts]
        if index >= len(verdicts):
            return result(
                False,
                f"expected refill #{index} with verdict {p['verdict']}, "
                f"but only {len(verdicts)} refills ran",
            )
        ok = verdicts[index] == p["verdict"]
        return result(ok, f"refill #{index} verdict {verdicts[index]} (expected {p['verdict']})")
    if e.kind == "rejected":
        index = int(p["timeline_index"])
        codes = r.rejections.get(index, [])
        ok = p["code"] in codes
        return result(
            ok,
            f"timeline[{index}] rejected with {codes or 'nothing (it was accepted)'}; "
            f"expected {p['code']}",
        )
    if e.kind in PATIENT_EXPECTATIONS:
        if not r.patients:
            return result(False, "no virtual patient was attached")
        return result(*patients.judge(e, r.patients, r.cohort, s))
    lost = int(extra.get("lost_transactions", 0))
    if s.mode != "stack" and r.mode != "stack":
        return result(True, "model mode: nothing travels over a link")
    return result(
        lost == 0, f"{lost} acknowledged transactions lost of {extra.get('acknowledged', 0)}"
    )


def _accuracy(p: dict[str, Any], trumpet: dict[str, Any]) -> tuple[bool, str]:
    """The largest flow error of any trumpet window of at least W hours, within +-X %."""
    at_least = float(p.get("window_hours_at_least", 2))
    limit = float(p["within_percent"])
    if not trumpet:
        return False, "no trumpet curves: the scenario ends before the 60 h analysis does"
    errors = [
        max(abs(w["max_error_percent"]), abs(w["min_error_percent"]))
        for w in trumpet["windows"]
        if w["hours"] >= at_least
    ]
    if not errors:
        return False, f"no trumpet window of {at_least:g} h or more"
    worst = max(errors)
    return worst <= limit, (
        f"largest flow error {worst:.2f} % over windows of {at_least:g} h or more "
        f"(mean {trumpet['mean_error_percent']:+.2f} %), expected within +-{limit:g} %"
    )
