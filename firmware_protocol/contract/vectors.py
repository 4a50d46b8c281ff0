"""Test vectors: frames exactly as they go on the wire, for docs/protocol.md.

A few are written by hand to tell the protocol's story (the handshake, a staged program, a
soft-limit override); the rest are generated so that every message type, every primitive, both
states of an optional and every vocabulary field appear in at least one. All are deterministic:
fixed key, nonces and session, counters and sequence numbers counted per direction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from firmware_protocol.contract.schema import FIELD_JSON, FIELD_VOCABULARY, VOCABULARIES, type_name
from firmware_protocol.session.security import SessionCipher, proof, session_keys
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import ACK, DATA, Frame


@dataclass(frozen=True)
class Vector:
    name: str
    message: Any
    frame: Frame  # as sent (sealed frames: ciphertext payload)
    wire: bytes
    key: bytes = b""
    programmer_nonce: bytes = b""
    pump_nonce: bytes = b""

    def as_json(self) -> str:
        fields = {
            "name": self.name,
            "message": type(self.message).__name__,
            "fields": jsonable(self.message),
            "flags": int(self.frame.flags),
            "session": self.frame.session,
            "counter": self.frame.counter,
            "seq": self.frame.seq,
            "ack": self.frame.ack,
            "wire": self.wire.hex(),
        }
        if self.key:
            fields["paired_key"] = self.key.hex()
            fields["programmer_nonce"] = self.programmer_nonce.hex()
            fields["pump_nonce"] = self.pump_nonce.hex()
        # The story's vectors are laid out to be read; the generated ones take a line each.
        return json.dumps(fields, indent=None if "generated" in self.name else 1)


def jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def from_jsonable(cls: type, data: Any) -> Any:
    """Rebuild a message or record from `jsonable` output, guided by the annotations (a field
    appended after the version the output was written in takes its default)."""
    values = {}
    for name, ann in codec.fields_of(cls):
        if name in data:
            values[name] = _field_from_json(ann, data[name])
    return cls(**values)


def _field_from_json(ann: Any, value: Any) -> Any:
    desc = codec.codec_for(ann)[2]
    if desc == "bytes":
        return bytes.fromhex(value["hex"])
    if desc.startswith("list["):
        item = ann.__args__[0]
        return tuple(_field_from_json(item, v) for v in value)
    if hasattr(ann, "__dataclass_fields__"):
        return from_jsonable(ann, value)
    return value


FIXED_KEY = bytes(range(32))
PROGRAMMER_NONCE = bytes(range(0x10, 0x20))
PUMP_NONCE = bytes(range(0x20, 0x30))
SESSION = 0x0A0B0C0D


def vectors() -> list[Vector]:
    """Deterministic frames covering handshake, a plain reply, and sealed commands."""
    out = []

    def plain(name: str, msg: Any) -> None:
        frame = Frame(0, 0, 0, 0, 0, m.SPECS[type(msg)].code, codec.encode(msg))
        out.append(Vector(name, msg, frame, frame.encode()))

    plain("hello (handshake, clear text)", m.Hello("clinician", "clinician-1", PROGRAMMER_NONCE))
    pump_proof = proof(FIXED_KEY, "pump", SESSION, PROGRAMMER_NONCE, PUMP_NONCE)
    plain("challenge", m.Challenge(SESSION, "SIM-00000001", PUMP_NONCE, pump_proof))
    programmer_proof = proof(FIXED_KEY, "programmer", SESSION, PROGRAMMER_NONCE, PUMP_NONCE)
    plain("auth", m.Auth(SESSION, programmer_proof))
    plain(
        "error in clear text (a frame before any session)",
        m.ErrorReply(0x0210, 0, "NOT_AUTHENTICATED", "authenticate first", ()),
    )
    c2p, p2c = session_keys(FIXED_KEY, SESSION, PROGRAMMER_NONCE, PUMP_NONCE)
    programmer = SessionCipher(SESSION, send_key=c2p, receive_key=p2c)
    pump = SessionCipher(SESSION, send_key=p2c, receive_key=c2p)

    def sealed(name: str, cipher: SessionCipher, msg: Any, seq: int, ack: int) -> None:
        frame = Frame(DATA | ACK, 0, 0, seq, ack, m.SPECS[type(msg)].code, codec.encode(msg))
        sealed_frame = cipher.seal(frame)
        out.append(
            Vector(
                name,
                msg,
                sealed_frame,
                sealed_frame.encode(),
                FIXED_KEY,
                PROGRAMMER_NONCE,
                PUMP_NONCE,
            )
        )

    sealed("interrogate (sealed, programmer to pump)", programmer, m.Interrogate(), 0, 0)
    spec = m.ProgramSpec(
        "flexible",
        0.0,
        "daily",
        (m.StepSpec(0.0, 28800.0, 0.3), m.StepSpec(28800.0, 57600.0, 0.6)),
        (m.PatientBolusSpec(0.02, 600.0, 10800.0, 4),),
        2.0,
    )
    sealed("stage a flexible program (sealed)", programmer, m.StageProgram(spec), 1, 0)
    sealed(
        "clinician bolus with transaction id (sealed)",
        programmer,
        m.ClinicianBolus(0x0123456789ABCDEF, 0.1, 3600.0),
        2,
        1,
    )
    sealed(
        "bolus started (sealed, pump to programmer)",
        pump,
        m.BolusStarted(0x0123456789ABCDEF, "clinician", 0.1, 2.4, 3600.0),
        0,
        3,
    )
    warning = m.WarningSpec(
        "INCREASE_ABOVE_LIMIT",
        "ziconotide: raising from 2.4 mcg/day to 7.2 mcg/day is more than the 2.4 mcg/day "
        "allowed in one change",
        "ziconotide",
        "basal",
    )
    sealed(
        "review with a soft-limit warning (sealed, pump to programmer)",
        pump,
        m.ProgramReview(
            77,
            True,
            (),
            (m.ChangeSpec("basal.rate_ml_per_day", "0.096", "0.288"),),
            (m.DoseSpec("ziconotide", 2.4),),
            (m.DoseSpec("ziconotide", 7.2),),
            (warning,),
        ),
        1,
        3,
    )
    sealed(
        "confirm with a soft-limit override (sealed)",
        programmer,
        m.ConfirmProgram(0x0123456789ABCDF0, 77, True),
        3,
        2,
    )
    # One generated example of every message the story above leaves out.
    shown = {type(v.message) for v in out}
    seq = {"programmer->pump": 4, "pump->programmer": 2}
    for code in sorted(m.MESSAGES):
        cls = m.MESSAGES[code]
        if cls in shown:
            continue
        about = m.SPECS[cls]
        name = f"{about.name} (generated example)"
        if about.handshake and cls is not m.AuthOk:
            plain(name, example(cls))
            continue
        ours = about.direction == "programmer->pump"
        ack = seq["pump->programmer"] if ours else seq["programmer->pump"]
        sealed(name, programmer if ours else pump, example(cls), seq[about.direction], ack)
        seq[about.direction] += 1
    return out


def example(cls: type, index: int = 0) -> Any:
    """A message or record with a deterministic, valid-looking value in every field."""
    values = {}
    for n, (name, annotation) in enumerate(codec.fields_of(cls)):
        values[name] = _example_value(cls.__name__, name, annotation, index + n)
    return cls(**values)


_FAULT = '{"kind": "MotorStall", "in_s": 60.0, "duration_s": 3600.0}'
_DETAILS = '{"volume_ml": 0.1, "kind": "clinician"}'
_INTS = {"u8": 4, "u16": 0x0102, "u32": 0x01020304, "u64": 0x0102030405060708}


def _example_value(owner: str, name: str, annotation: Any, index: int) -> Any:
    kind = type_name(annotation)
    json_schema = FIELD_JSON.get((owner, name))
    if json_schema is not None:
        return _FAULT if json_schema == "fault" else _DETAILS
    vocabulary = FIELD_VOCABULARY.get((owner, name))
    if kind in _INTS:
        return _INTS[kind]
    if kind == "f64":
        return 0.25 * (index + 1)
    if kind.startswith("optional["):
        return None if index % 2 else 3600.0  # both presence bytes appear
    if kind == "bool":
        return index % 2 == 0
    if kind == "str":
        return VOCABULARIES[vocabulary][1][-1] if vocabulary else f"{name} text"
    if kind == "bytes":
        return bytes(range(1, 9))
    if get_origin(annotation) is tuple:
        item = get_args(annotation)[0]
        return (_example_value(owner, name, item, index),)
    return example(annotation, index)


def frozen(version: int = codec.CURRENT_VERSION) -> dict[str, Any]:
    """This version's vectors as they are frozen in docs/vectors/v<version>.json."""
    return {
        "protocol_version": version,
        "source": "python -m firmware_protocol.contract.vectors (docs/protocol.md, section 8)",
        "vectors": [json.loads(v.as_json()) for v in vectors()],
    }


if __name__ == "__main__":  # freeze the current version's vectors, once its layout is final
    import pathlib

    target = pathlib.Path("docs/vectors") / f"v{codec.CURRENT_VERSION}.json"
    target.write_text(json.dumps(frozen(), indent=1) + "\n")
    print(f"wrote {target}")
