"""The generated parts of docs/protocol.md: message table, error codes and test vectors.

`python -m firmware_protocol.spec` prints them; the tests check that the document holds exactly
what this prints, so the published contract cannot drift from the code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pumpsim
from firmware_protocol import codec
from firmware_protocol import messages as m
from firmware_protocol.frame import Flags, Frame
from firmware_protocol.security import SessionCipher, proof, session_keys


def message_table() -> str:
    lines = [
        "| code | message | direction | roles | txn | fields |",
        "|---|---|---|---|---|---|",
    ]
    for code in sorted(m.MESSAGES):
        cls = m.MESSAGES[code]
        spec = m.SPECS[cls]
        roles = "any (before a session)" if spec.handshake else ", ".join(sorted(spec.roles))
        if spec.direction == "pump->programmer":
            roles = "-"
        fields = ", ".join(f"{n}: {codec.codec_for(a)[2]}" for n, a in codec.fields_of(cls))
        lines.append(
            f"| 0x{code:04x} | {spec.name} | {spec.direction} | {roles} | "
            f"{'yes' if spec.mutating else ''} | {fields or '-'} |"
        )
    return "\n".join(lines)


def record_table() -> str:
    records = [
        m.StepSpec,
        m.PatientBolusSpec,
        m.ProgramSpec,
        m.DrugSpec,
        m.AlarmSpec,
        m.ViolationSpec,
        m.ChangeSpec,
        m.DoseSpec,
        m.LogRecordSpec,
        m.BridgeSpec,
    ]
    lines = ["| record | fields |", "|---|---|"]
    for cls in records:
        fields = ", ".join(f"{n}: {codec.codec_for(a)[2]}" for n, a in codec.fields_of(cls))
        lines.append(f"| {cls.__name__} | {fields} |")
    return "\n".join(lines)


def error_table() -> str:
    lines = ["| code | from |", "|---|---|"]
    lines += [f"| {c} | wire |" for c in m.WireError]
    lines += [f"| {c} | model (`pumpsim.ErrorCode`) |" for c in pumpsim.ErrorCode]
    lines += [f"| {c} | violation (`pumpsim.ViolationCode`) |" for c in pumpsim.ViolationCode]
    return "\n".join(lines)


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
            "fields": _jsonable(self.message),
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
        return json.dumps(fields, indent=1)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def from_jsonable(cls: type, data: Any) -> Any:
    """Rebuild a message or record from `_jsonable` output, guided by the annotations."""
    values = {}
    for name, ann in codec.fields_of(cls):
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
        frame = Frame(Flags(0), 0, 0, 0, 0, m.SPECS[type(msg)].code, codec.encode(msg))
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
        frame = Frame(
            Flags.DATA | Flags.ACK, 0, 0, seq, ack, m.SPECS[type(msg)].code, codec.encode(msg)
        )
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
    return out


def render() -> str:
    parts = [
        "<!-- BEGIN GENERATED: python -m firmware_protocol.spec -->",
        "### Messages",
        "",
        message_table(),
        "",
        "### Records (laid out inline, fields in order)",
        "",
        record_table(),
        "",
        "### Error codes",
        "",
        error_table(),
        "",
        "### Test vectors",
        "",
        "Each vector is a frame exactly as it goes on the wire (COBS, delimiter included). Sealed",
        "vectors give the paired key and both nonces: derive the session keys as in",
        "[Sessions](#sessions), open the frame with counter 1, 2, ... of its direction.",
        "",
    ]
    for v in vectors():
        parts += [f"#### {v.name}", "", "```json", v.as_json(), "```", ""]
    parts.append("<!-- END GENERATED -->")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render())
