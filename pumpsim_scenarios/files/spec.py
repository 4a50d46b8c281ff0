"""Scenario files: TOML a person can write, checked into frozen values with precise errors.

A file describes one situation (the pump, its first fill and program, a timeline of actions and
faults, and what must or must not happen) and, optionally, a matrix of parameters: one scenario
per combination. Every mistake is reported as `file:line: what was expected`.
"""

from __future__ import annotations

import copy
import itertools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pumpsim
from firmware_protocol.wire.convert import FAULTS
from pumpsim import HarmSeverity, SignKind
from pumpsim_scenarios.files import patient
from pumpsim_scenarios.files.patient import PatientPlan

ACTIONS = {
    "program",
    "bolus",
    "priming",
    "patient_bolus",
    "refill",
    "mri",
    "conditions",
    "interrogate",
    "acknowledge",
    "fault",
    "link_noise",
    "link_loss",
    "firmware_reset",
}
STACK_ONLY = {"link_noise", "link_loss", "firmware_reset"}
EXPECTATIONS = {
    "alarm",
    "no_alarm",
    "delivered",
    "refill_verdict",
    "rejected",
    "nothing_lost",
    "harm",
    "sign",
    "exposure",
    "accuracy",
}
PATIENT_EXPECTATIONS = {"harm", "sign", "exposure"}  # judged on the [patient]
EXPECT_REQUIRES: dict[str, tuple[str, ...]] = {
    "alarm": ("alarm",),
    "no_alarm": ("alarm",),
    "delivered": ("drug",),
    "refill_verdict": ("verdict",),
    "rejected": ("timeline_index", "code"),
    "nothing_lost": (),
    "harm": (),
    "sign": ("sign",),
    "exposure": ("drug",),
    "accuracy": ("within_percent",),
}
TABLES = ("scenario", "pump", "initial", "patient", "timeline", "expect", "matrix")
# The scenario file format this pumpsim reads (`[scenario] format`, absent: 1). A change that an
# older file would be read differently under makes a new format; older ones keep loading.
FORMAT = 1


class ScenarioError(ValueError):
    def __init__(self, path: str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Action:
    at_s: float
    kind: str
    params: dict[str, Any]
    index: int  # position in the file's timeline, for reports


@dataclass(frozen=True)
class Expectation:
    kind: str
    params: dict[str, Any]
    index: int


@dataclass(frozen=True)
class Scenario:
    path: str
    name: str
    description: str
    mode: str  # "model" or "stack"
    seed: int
    duration_s: float
    pump: dict[str, Any]
    initial: dict[str, Any]
    timeline: tuple[Action, ...]
    expectations: tuple[Expectation, ...]
    parameters: dict[str, Any] = field(default_factory=dict)  # this combination of the matrix
    patient: PatientPlan | None = None  # who is at the end of the catheter

    @property
    def id(self) -> str:
        if not self.parameters:
            return self.name
        combo = ",".join(f"{k}={v}" for k, v in sorted(self.parameters.items()))
        return f"{self.name}[{combo}]"


class _Locator:
    """Line numbers for keys and array-of-table entries (tomllib does not keep them)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def table(self, name: str, index: int | None = None) -> int | None:
        pattern = re.compile(rf"^\s*\[\[?\s*{re.escape(name)}\s*\]\]?")
        hits = [i + 1 for i, line in enumerate(self.lines) if pattern.match(line)]
        if not hits:
            return None
        return hits[index] if index is not None and index < len(hits) else hits[0]

    def key(self, table: str, key: str, index: int | None = None) -> int | None:
        start = self.table(table, index) or 1
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for i in range(start - 1, len(self.lines)):
            if i > start - 1 and self.lines[i].lstrip().startswith("["):
                break
            if pattern.match(self.lines[i]):
                return i + 1
        return start


def _number(value: Any, err: Any, what: str, *, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        err(f"{what} must be a number >= {low:g}, got {value!r}")
    return float(value)


def load(path: Path) -> list[Scenario]:
    """Every scenario the file describes (one per matrix combination)."""
    text = Path(path).read_text()
    name = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        found = re.search(r"line (\d+)", str(e))
        raise ScenarioError(
            name, int(found.group(1)) if found else None, f"not valid TOML: {e}"
        ) from None
    where = _Locator(text)
    matrix = data.pop("matrix", {})
    if not isinstance(matrix, dict):
        raise ScenarioError(name, where.table("matrix"), "[matrix] must be a table of lists")
    keys = sorted(matrix)
    for key in keys:
        if not isinstance(matrix[key], list) or not matrix[key]:
            raise ScenarioError(
                name, where.key("matrix", key), f"matrix.{key} must be a non-empty list"
            )
    combos = [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(matrix[k] for k in keys))
    ]
    return [
        _build(name, _apply(data, combo, name, where), where, combo) for combo in combos or [{}]
    ]


def _apply(
    data: dict[str, Any], combo: dict[str, Any], name: str, where: _Locator
) -> dict[str, Any]:
    out = copy.deepcopy(data)
    for dotted, value in combo.items():
        parts = dotted.split(".")
        target = out
        if parts == ["seed"]:
            out.setdefault("scenario", {})["seed"] = value
            continue
        for part in parts[:-1]:
            if not isinstance(target.get(part), dict):
                raise ScenarioError(
                    name, where.key("matrix", dotted), f"matrix key {dotted!r} names no table"
                )
            target = target[part]
        target[parts[-1]] = value
    return out


def _build(name: str, data: dict[str, Any], where: _Locator, combo: dict[str, Any]) -> Scenario:
    def fail(line: int | None, message: str) -> None:
        raise ScenarioError(name, line, message)

    unknown = set(data) - set(TABLES)
    if unknown:
        fail(
            where.table(sorted(unknown)[0]),
            f"unknown table {sorted(unknown)[0]!r}; expected scenario, pump, initial, "
            "patient, timeline, expect, matrix",
        )
    head = data.get("scenario")
    if not isinstance(head, dict):
        fail(1, "a [scenario] table with name and duration_days is required")
    assert isinstance(head, dict)
    version = head.get("format", FORMAT)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        fail(where.key("scenario", "format"), f"format must be a whole number, got {version!r}")
    if version > FORMAT:
        fail(
            where.key("scenario", "format"),
            f"written for scenario format {version}; this pumpsim reads format {FORMAT}: "
            "update pumpsim (pip install -U pumpsim), or write format 1 (CHANGELOG.md)",
        )
    for key in ("name", "duration_days"):
        if key not in head:
            fail(where.table("scenario"), f"[scenario] needs {key}")
    mode = head.get("mode", "model")
    if mode not in ("model", "stack"):
        fail(where.key("scenario", "mode"), f"mode must be 'model' or 'stack', got {mode!r}")
    seed = head.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        fail(where.key("scenario", "seed"), f"seed must be a whole number, got {seed!r}")
    duration = (
        _number(
            head["duration_days"],
            lambda m: fail(where.key("scenario", "duration_days"), m),
            "duration_days",
        )
        * 86400.0
    )

    pump = data.get("pump", {})
    variant = pump.get("variant", "peristaltic")
    if variant not in {v.value for v in pumpsim.PumpVariant}:
        fail(
            where.key("pump", "variant"),
            f"variant must be peristaltic, valve_gated or constant_flow, got {variant!r}",
        )
    reservoir = pump.get("reservoir_ml", 40)
    if reservoir not in (20, 40):
        fail(where.key("pump", "reservoir_ml"), f"reservoir_ml must be 20 or 40, got {reservoir!r}")

    initial = data.get("initial", {})
    drug = initial.get("drug")
    if drug is not None and drug not in pumpsim.DEFAULT_LIBRARY:
        fail(
            where.key("initial", "drug"),
            f"unknown drug {drug!r}; one of {', '.join(pumpsim.DEFAULT_LIBRARY)}",
        )

    plan = None
    if "patient" in data:
        plan = patient.parse(
            data["patient"],
            (drug or "morphine") if initial else None,  # the runner's default drug
            lambda key, m: fail(where.key("patient", key) if key else where.table("patient"), m),
        )

    timeline = []
    for i, entry in enumerate(data.get("timeline", [])):
        line = where.table("timeline", i)
        if not isinstance(entry, dict) or "action" not in entry or "at_days" not in entry:
            fail(line, "each [[timeline]] entry needs at_days and action")
        kind = entry["action"]
        if kind not in ACTIONS:
            fail(
                where.key("timeline", "action", i),
                f"unknown action {kind!r}; one of {', '.join(sorted(ACTIONS))}",
            )
        if kind in STACK_ONLY and mode != "stack":
            fail(
                where.key("timeline", "action", i),
                f"action {kind!r} needs mode = 'stack' (it acts on the link or the firmware)",
            )
        if kind == "conditions" and not {"body_temperature_c", "ambient_pressure_kpa"} & set(entry):
            fail(
                where.key("timeline", "action", i),
                "a conditions action needs body_temperature_c or ambient_pressure_kpa",
            )
        if kind == "fault" and entry.get("fault") not in FAULTS:
            fail(
                where.key("timeline", "fault", i),
                f"fault must be one of {', '.join(sorted(FAULTS))}, got {entry.get('fault')!r}",
            )
        at = (
            _number(
                entry["at_days"],
                lambda m, i=i: fail(where.key("timeline", "at_days", i), m),
                "at_days",
            )
            * 86400.0
        )
        if at > duration:
            fail(
                where.key("timeline", "at_days", i),
                f"at_days {entry['at_days']} is after the scenario ends",
            )
        params = {k: v for k, v in entry.items() if k not in ("at_days", "action")}
        timeline.append(Action(at, kind, params, i))
    timeline.sort(key=lambda a: (a.at_s, a.index))

    expectations = []
    for i, entry in enumerate(data.get("expect", [])):
        if not isinstance(entry, dict) or entry.get("kind") not in EXPECTATIONS:
            fail(
                where.key("expect", "kind", i),
                f"each [[expect]] needs kind, one of {', '.join(sorted(EXPECTATIONS))}",
            )
        kind = entry["kind"]
        params = {k: v for k, v in entry.items() if k != "kind"}
        for key in EXPECT_REQUIRES[kind]:
            if key not in params:
                fail(where.table("expect", i), f"expect {kind!r} needs {key}")
        if kind in ("alarm", "no_alarm") and params["alarm"] not in {
            a.value for a in pumpsim.AlarmKind
        }:
            fail(
                where.key("expect", "alarm", i),
                f"unknown alarm {params['alarm']!r}; one of "
                f"{', '.join(a.value for a in pumpsim.AlarmKind)}",
            )
        if kind == "rejected" and not 0 <= int(params["timeline_index"]) < len(timeline):
            fail(
                where.key("expect", "timeline_index", i),
                f"timeline_index {params['timeline_index']} names no [[timeline]] entry",
            )
        if kind in PATIENT_EXPECTATIONS:
            _check_patient_expectation(
                kind, params, plan, lambda m, i=i: fail(where.table("expect", i), m)
            )
        if kind == "nothing_lost" and mode != "stack":
            fail(where.table("expect", i), "nothing_lost needs mode = 'stack' (a link to lose on)")
        expectations.append(Expectation(kind, params, i))

    return Scenario(
        path=name,
        name=str(head["name"]),
        description=str(head.get("description", "")),
        mode=mode,
        seed=int(seed),
        duration_s=duration,
        pump=dict(pump),
        initial=dict(initial),
        timeline=tuple(timeline),
        expectations=tuple(expectations),
        parameters=dict(combo),
        patient=plan,
    )


def _check_patient_expectation(
    kind: str, params: dict[str, Any], plan: PatientPlan | None, fail: Any
) -> None:
    if plan is None:
        fail(f"expect {kind!r} needs a [patient] table (who is at the end of the catheter)")
    for key in ("at_most", "at_least", "severity"):
        if key in params:
            try:
                HarmSeverity.named(str(params[key]))
            except ValueError as e:
                fail(str(e))
    if kind == "harm" and not {"at_most", "at_least", "harmed_at_most", "harmed_at_least"} & set(
        params
    ):
        fail("expect 'harm' needs at_most or at_least (a severity), or harmed_at_most/_at_least")
    if kind == "sign" and params["sign"] not in {str(k) for k in SignKind}:
        fail(f"unknown sign {params['sign']!r}; one of {', '.join(str(k) for k in SignKind)}")
    if "drug" in params and params["drug"] not in pumpsim.DEFAULT_LIBRARY:
        fail(f"unknown drug {params['drug']!r}; one of {', '.join(pumpsim.DEFAULT_LIBRARY)}")
    if kind == "exposure" and not {"min", "max"} & set(params):
        fail("expect 'exposure' needs min or max (relative to the patient's baseline, 1.0)")
