"""The machine-readable protocol schema (`pumpsim spec --json`), generated from the code.

Everything a third party needs to encode and decode every message without reading this package:
the byte layout of each primitive, every record and message with its fields' types, the closed
sets of strings (vocabularies) the string fields draw from, every error code, the JSON carried
inside the two text fields that hold structure, and the key files. docs/protocol.md is rendered
from the same functions, and a test decodes every published vector with a decoder that knows
only this schema.

On the JSON-in-strings (`SimInjectFault.fault_json`, `LogRecordSpec.details_json`): they stay
JSON, with published JSON Schemas below, rather than becoming typed records. Both are open by
nature (a fault kind or a log detail is added with the model, and scenario files and the CLI pass
faults through as they are), both are simulator or diagnostic paths rather than therapy, and
typing them would change the layout of protocol version 1 under every existing client.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, get_args, get_origin

import pumpsim
from firmware_protocol.contract import error_catalogue
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.convert import FAULTS
from firmware_protocol.wire.frame import MAX_PAYLOAD
from firmware_protocol.wire.vocabulary import Role, WireError

SCHEMA_VERSION = 2  # 2: fields and messages say in which protocol version they appeared
EVOLUTION_RULES = (
    "A field is only ever appended at the end of a message, with a default, and names the "
    "protocol version it appeared in (`since`); a decoder ignores bytes after the fields it "
    "knows; a message that ends before an appended field means its default; a removal or a "
    "reordering is a new major version. The Hello says the newest version a programmer speaks "
    "(absent: 1); the session speaks the newest both know, confirmed in the sealed AuthOk."
)

PRIMITIVES: dict[str, dict[str, Any]] = {
    "u8": {
        "kind": "uint",
        "width": 1,
        "endianness": "big",
        "description": "unsigned integer, 1 byte, big-endian",
    },
    "u16": {
        "kind": "uint",
        "width": 2,
        "endianness": "big",
        "description": "unsigned integer, 2 bytes, big-endian",
    },
    "u32": {
        "kind": "uint",
        "width": 4,
        "endianness": "big",
        "description": "unsigned integer, 4 bytes, big-endian",
    },
    "u64": {
        "kind": "uint",
        "width": 8,
        "endianness": "big",
        "description": "unsigned integer, 8 bytes, big-endian",
    },
    "f64": {
        "kind": "float",
        "width": 8,
        "endianness": "big",
        "description": "IEEE 754 binary64, 8 bytes, big-endian; finite unless a field says "
        "otherwise",
    },
    "bool": {
        "kind": "bool",
        "width": 1,
        "description": "one byte: 0 false, 1 true; any other value makes the message malformed",
    },
    "str": {
        "kind": "string",
        "length_prefix": "u16",
        "encoding": "utf-8",
        "description": "a u16 count of bytes (not characters), then that many bytes of UTF-8 "
        "(invalid UTF-8 makes the message malformed)",
    },
    "bytes": {
        "kind": "bytes",
        "length_prefix": "u16",
        "description": "a u16 count of bytes, then the bytes",
    },
    "list": {
        "kind": "list",
        "count_prefix": "u16",
        "description": "list[X]: a u16 count of items, then each item laid out as X, in order",
    },
    "optional": {
        "kind": "optional",
        "presence_byte": {"0": "absent: nothing follows", "1": "present: the value follows"},
        "description": "optional[X]: one presence byte (0 or 1; any other value is malformed), "
        "then X if present",
    },
    "record": {
        "kind": "record",
        "description": "a record's fields one after the other, in order, with no prefix or padding",
    },
}

# Closed sets of strings, by name. A field that takes one names it; a string field not named here
# is free text (FREE_TEXT below), so a new string field cannot go unclassified (tested).
VOCABULARIES: dict[str, tuple[str, list[str]]] = {
    "role": ("who a device key speaks for", [str(r) for r in Role]),
    "error_code": (
        "ErrorReply.code and AuthFailed.code: wire errors and the model's errors",
        [str(c) for c in WireError] + [str(c) for c in pumpsim.ErrorCode],
    ),
    "violation_code": (
        "a hard limit a program breaks; an override error's violations carry warning codes",
        [str(c) for c in pumpsim.ViolationCode] + [str(c) for c in pumpsim.SoftLimitCode],
    ),
    "warning_code": ("a soft limit a program goes past", [str(c) for c in pumpsim.SoftLimitCode]),
    "program_mode": ("how the basal rate is given", ["stopped", "continuous", "flexible"]),
    "schedule_period": (
        "the period a flexible program repeats over (steps' start_s counts from midnight, or "
        "from Monday 00:00)",
        [str(p) for p in pumpsim.SchedulePeriod],
    ),
    "pump_variant": ("how the pump is built", [str(v) for v in pumpsim.PumpVariant]),
    "bolus_kind": ("which kind of bolus runs", [str(k) for k in pumpsim.BolusKind]),
    "bolus_kind_or_none": (
        "Status.bolus_kind: the running bolus, or empty when none",
        ["", *(str(k) for k in pumpsim.BolusKind)],
    ),
    "motor_state": ("the pump's motor", [str(s) for s in pumpsim.MotorState]),
    "mri_phase": ("where the pump is in an MRI", [str(s) for s in pumpsim.MriPhase]),
    "alarm_kind": ("an alarm", [str(a) for a in pumpsim.AlarmKind]),
    "alarm_severity": ("how urgent an alarm is", [str(s) for s in pumpsim.Severity]),
    "patient_bolus_outcome": (
        "the answer to a patient's bolus request",
        [str(o) for o in pumpsim.PatientBolusOutcome],
    ),
    "refill_verdict": (
        "the withdrawn volume against the pump's reckoning",
        [str(v) for v in pumpsim.RefillVerdict],
    ),
    "log_kind": ("an event log record", [str(k) for k in pumpsim.LogKind]),
    "mass_unit": ("the unit a drug is dosed in", [str(u) for u in pumpsim.MassUnit]),
    "sign_kind": ("what the virtual patient shows", [str(k) for k in pumpsim.SignKind]),
    "harm_severity": (
        "how bad a virtual patient's sign is (in the manner of ISO 14971's harm scale)",
        [s.label for s in pumpsim.HarmSeverity],
    ),
    "drug": (
        "drugs of the default library (a pump configured with another library may hold others)",
        list(pumpsim.DEFAULT_LIBRARY),
    ),
}

FIELD_VOCABULARY: dict[tuple[str, str], str] = {
    ("Hello", "role"): "role",
    ("AuthOk", "role"): "role",
    ("AuthFailed", "code"): "error_code",
    ("ErrorReply", "code"): "error_code",
    ("ViolationSpec", "code"): "violation_code",
    ("WarningSpec", "code"): "warning_code",
    ("WarningSpec", "drug"): "drug",
    ("ProgramSpec", "mode"): "program_mode",
    ("ProgramSpec", "period"): "schedule_period",
    ("DrugSpec", "drug"): "drug",
    ("DoseSpec", "drug"): "drug",
    ("AlarmSpec", "kind"): "alarm_kind",
    ("AlarmSpec", "severity"): "alarm_severity",
    ("LogRecordSpec", "kind"): "log_kind",
    ("Status", "variant"): "pump_variant",
    ("Status", "bolus_kind"): "bolus_kind_or_none",
    ("Status", "motor"): "motor_state",
    ("Status", "mri"): "mri_phase",
    ("TrendChunk", "drugs"): "drug",
    ("BolusStarted", "kind"): "bolus_kind",
    ("PatientBolusResult", "outcome"): "patient_bolus_outcome",
    ("WithdrawResult", "verdict"): "refill_verdict",
    ("AcknowledgeAlarms", "kinds"): "alarm_kind",
    ("PumpDescription", "variant"): "pump_variant",
    ("LibraryDrugSpec", "drug"): "drug",
    ("LibraryDrugSpec", "unit"): "mass_unit",
    ("PatientDrugSpec", "drug"): "drug",
    ("ExposureSpec", "drug"): "drug",
    ("SignSpec", "drug"): "drug",
    ("SignSpec", "sign"): "sign_kind",
    ("SignSpec", "severity"): "harm_severity",
    ("SignChangeSpec", "drug"): "drug",
    ("SignChangeSpec", "sign"): "sign_kind",
    ("SignChangeSpec", "severity"): "harm_severity",
    ("SimPatient", "worst"): "harm_severity",
}

FIELD_JSON: dict[tuple[str, str], str] = {
    ("SimInjectFault", "fault_json"): "fault",
    ("LogRecordSpec", "details_json"): "log_details",
}

FREE_TEXT: frozenset[tuple[str, str]] = frozenset(
    {
        ("Hello", "device_id"),
        ("Challenge", "pump_id"),
        ("Status", "pump_id"),
        ("AuthFailed", "message"),
        ("ErrorReply", "message"),
        ("ViolationSpec", "message"),
        ("ViolationSpec", "field"),
        ("WarningSpec", "message"),
        ("WarningSpec", "field"),
        ("ChangeSpec", "field"),
        ("ChangeSpec", "old"),
        ("ChangeSpec", "new"),
        ("Done", "detail"),
        ("PatientSpec", "label"),
        ("SimPatient", "label"),
        ("SignSpec", "words"),
    }
)


def type_name(annotation: Any) -> str:
    """A field's type as the schema writes it: a primitive, a record, list[X] or optional[X]."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return str(get_args(annotation)[1])
    if annotation in (float, bool, str, bytes):
        return {float: "f64", bool: "bool", str: "str", bytes: "bytes"}[annotation]
    if origin is tuple:
        return f"list[{type_name(get_args(annotation)[0])}]"
    args = set(get_args(annotation))
    if type(None) in args:
        (inner,) = args - {type(None)}
        return f"optional[{type_name(inner)}]"
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return annotation.__name__
    raise TypeError(f"no schema type for {annotation!r}")


def _fields(cls: type) -> list[dict[str, Any]]:
    out = []
    since = {f.name: codec.since_of(f) for f in dataclasses.fields(cls)}
    for name, annotation in codec.fields_of(cls):
        entry: dict[str, Any] = {"name": name, "type": type_name(annotation), "since": since[name]}
        default = next(f.default for f in dataclasses.fields(cls) if f.name == name)
        if since[name] > codec.OLDEST_VERSION:
            entry["default"] = list(default) if isinstance(default, tuple) else default
        vocabulary = FIELD_VOCABULARY.get((cls.__name__, name))
        if vocabulary is not None:
            entry["vocabulary"] = vocabulary
        json_schema = FIELD_JSON.get((cls.__name__, name))
        if json_schema is not None:
            entry["json_schema"] = json_schema
        out.append(entry)
    return out


def record_types() -> list[type]:
    """Every record a message contains, at any depth, in order of first use."""
    seen: list[type] = []

    def visit(annotation: Any) -> None:
        for arg in get_args(annotation):
            visit(arg)
        if dataclasses.is_dataclass(annotation) and annotation not in seen:
            assert isinstance(annotation, type)
            for _, inner in codec.fields_of(annotation):
                visit(inner)
            seen.append(annotation)

    for code in sorted(m.MESSAGES):
        for _, annotation in codec.fields_of(m.MESSAGES[code]):
            visit(annotation)
    return seen


def message_entry(code: int) -> dict[str, Any]:
    cls = m.MESSAGES[code]
    spec = m.SPECS[cls]
    reply = spec.direction == "pump->programmer"
    return {
        "name": spec.name,
        "type": code,
        "direction": spec.direction,
        "roles": [] if reply else sorted(str(r) for r in spec.roles),
        "before_session": spec.handshake,
        "sealed": not spec.handshake,
        "transaction": spec.mutating,
        "since": spec.since,
        "fields": _fields(cls),
    }


def fault_schema() -> dict[str, Any]:
    kinds = []
    for name, cls in sorted(FAULTS.items()):
        properties: dict[str, Any] = {"kind": {"const": name}}
        required = ["kind"]
        for f in dataclasses.fields(cls):
            properties[f.name] = {"type": "integer" if f.type in (int, "int") else "number"}
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
        kind: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "required": [r for r in required if r != "onset_s"],
            "additionalProperties": False,
            "description": (cls.__doc__ or name).strip().splitlines()[0],
        }
        if "onset_s" in required:  # when it starts: on the pump's clock, or from now
            properties["in_s"] = {"type": "number", "description": "seconds from receipt"}
            kind["oneOf"] = [{"required": ["onset_s"]}, {"required": ["in_s"]}]
        kinds.append(kind)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "SimInjectFault.fault_json: one simulated fault",
        "oneOf": kinds,
    }


def log_details_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "LogRecordSpec.details_json: what else the pump recorded with an event",
        "description": "An object of named values, different for each log kind; a reader shows "
        "what it knows and keeps the rest.",
        "type": "object",
        "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
    }


KEY_FILES: dict[str, Any] = {
    "device": {
        "description": "what a programmer or patient device holds (`<device>.key`, mode 0600): "
        "UTF-8 JSON",
        "fields": {
            "pump_id": "the pump it is paired with",
            "device_id": "the name it gives in Hello",
            "role": "its role (vocabulary role)",
            "key": "the 32-byte paired key K, 64 lowercase hex digits",
        },
    },
    "pump": {
        "description": "what the pump holds (`pump.keys`, mode 0600): UTF-8 JSON",
        "fields": {
            "pump_id": "the pump's identity, as in Challenge.pump_id",
            "devices": "an object: device_id -> {role, key (64 hex digits)}",
        },
    },
    "provisioning": "`pumpsim pair --keys DIR --role ROLE --device-id ID` adds a device to "
    "DIR/pump.keys and writes DIR/<device-id>.key; `pumpsim serve --keys DIR` pairs one device "
    "of each role when DIR holds no pump yet.",
}


def build() -> dict[str, Any]:
    """The whole schema as plain JSON values."""
    return {
        "protocol_version": codec.CURRENT_VERSION,
        "protocol_versions": list(range(codec.OLDEST_VERSION, codec.CURRENT_VERSION + 1)),
        "evolution": EVOLUTION_RULES,
        "schema_version": SCHEMA_VERSION,
        "max_payload_bytes": MAX_PAYLOAD,
        "primitives": PRIMITIVES,
        "records": [{"name": r.__name__, "fields": _fields(r)} for r in record_types()],
        "messages": [message_entry(code) for code in sorted(m.MESSAGES)],
        "vocabularies": {
            name: {"description": text, "values": values}
            for name, (text, values) in VOCABULARIES.items()
        },
        "errors": [dataclasses.asdict(e) for e in error_catalogue.entries()],
        "json_schemas": {"fault": fault_schema(), "log_details": log_details_schema()},
        "key_files": KEY_FILES,
    }
