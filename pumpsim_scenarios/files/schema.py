"""The scenario file format as a JSON Schema (draft 2020-12), for editors that check TOML while
it is typed (Taplo, Tombi: a file's `#:schema` line names it) and for QA's own tools.

Why generated: it comes from the very tables the parser checks against (actions, expectations
and the keys each needs, faults, alarms, drugs, variants), so the schema and `spec.load` cannot
disagree about what a file may say; a test holds them together on every shipped scenario.
The parser stays the judge of what the schema cannot say (an action after the scenario's end,
a timeline index that names no entry).
"""

from __future__ import annotations

from typing import Any

import pumpsim
from firmware_protocol.wire.convert import FAULTS
from pumpsim.patient.profile import MAX_COHORT
from pumpsim_scenarios.files.spec import (
    ACTIONS,
    EXPECT_REQUIRES,
    EXPECTATIONS,
    FORMAT,
    STACK_ONLY,
)

SCHEMA_ID = "https://pumpsim.invalid/scenario-format-1.schema.json"
FILE_NAME = "pumpsim-scenario.schema.json"  # what `pumpsim scenario new` writes beside a file

_NUMBER = {"type": "number", "minimum": 0}
_POSITIVE = {"type": "number", "exclusiveMinimum": 0}
_SEVERITIES = [s.label for s in pumpsim.HarmSeverity]


def _timeline_item() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["at_days", "action"],
        "properties": {
            "at_days": _NUMBER,
            "action": {
                "enum": sorted(ACTIONS),
                "description": f"in mode 'stack' also: {', '.join(sorted(STACK_ONLY))}",
            },
            "fault": {"enum": sorted(FAULTS)},
        },
        "allOf": [
            {
                "if": {"properties": {"action": {"const": "fault"}}},
                "then": {"required": ["fault"]},
            }
        ],
    }


def _expect_item() -> dict[str, Any]:
    alarms = sorted(a.value for a in pumpsim.AlarmKind)
    return {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": {"enum": sorted(EXPECTATIONS)},
            "alarm": {"enum": alarms},
            "timeline_index": {"type": "integer", "minimum": 0},
            "at_most": {"enum": _SEVERITIES},
            "at_least": {"enum": _SEVERITIES},
            "severity": {"enum": _SEVERITIES},
            "sign": {"enum": sorted(str(k) for k in pumpsim.SignKind)},
            "harmed_at_most": {"type": "integer", "minimum": 0},
            "harmed_at_least": {"type": "integer", "minimum": 0},
        },
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": kind}}},
                "then": {"required": list(keys)},
            }
            for kind, keys in sorted(EXPECT_REQUIRES.items())
            if keys
        ],
    }


def build() -> dict[str, Any]:
    """The JSON Schema of scenario format `FORMAT`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "pumpsim scenario file",
        "description": (
            "A scenario for the pumpsim simulator (engineering, testing and training; not a "
            "medical device): a pump, its first fill and program, a timeline, expectations."
        ),
        "type": "object",
        "required": ["scenario"],
        "additionalProperties": False,
        "properties": {
            "scenario": {
                "type": "object",
                "required": ["name", "duration_days"],
                "properties": {
                    "name": {"type": "string"},
                    "description": {"type": "string"},
                    "duration_days": _NUMBER,
                    "mode": {"enum": ["model", "stack"]},
                    "seed": {"type": "integer"},
                    "format": {"type": "integer", "minimum": 1, "maximum": FORMAT},
                },
            },
            "pump": {
                "type": "object",
                "properties": {
                    "variant": {"enum": [v.value for v in pumpsim.PumpVariant]},
                    "reservoir_ml": {"enum": [20, 40]},
                    "mri_recovery_lag_hours": {"type": "number", "minimum": 0, "maximum": 24},
                    "factory_rate_ml_per_day": {"type": "number", "minimum": 0.1, "maximum": 6},
                },
            },
            "initial": {
                "type": "object",
                "properties": {"drug": {"enum": list(pumpsim.DEFAULT_LIBRARY)}},
            },
            "patient": {
                "type": "object",
                "description": (
                    "the virtual patient (illustrative, relative to its own baseline; not "
                    "dosing advice): one typical patient, or a cohort drawn from the seed"
                ),
                "additionalProperties": False,
                "properties": {
                    "baseline_mcg_per_day": _POSITIVE,
                    "baselines": {
                        "type": "object",
                        "propertyNames": {"enum": list(pumpsim.DEFAULT_LIBRARY)},
                        "additionalProperties": _POSITIVE,
                    },
                    "sensitivity": _POSITIVE,
                    "cohort": {"type": "integer", "minimum": 1, "maximum": MAX_COHORT},
                },
            },
            "timeline": {"type": "array", "items": _timeline_item()},
            "expect": {"type": "array", "items": _expect_item()},
            "matrix": {
                "type": "object",
                "additionalProperties": {"type": "array", "minItems": 1},
            },
        },
    }
