"""docs/protocol.md is the public contract: its generated part and test vectors must hold."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from firmware_protocol.contract import protocol_doc as spec
from firmware_protocol.contract import vectors
from firmware_protocol.session.security import SessionCipher, session_keys
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import Flags, FrameDecoder

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
FROZEN = sorted((DOC.parent / "vectors").glob("v*.json"))


def _doc_vectors() -> list[dict[str, object]]:
    text = DOC.read_text()
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.S)]


def test_generated_part_matches_the_code() -> None:
    text = DOC.read_text()
    start = text.index("<!-- BEGIN GENERATED")
    end = text.index("<!-- END GENERATED -->") + len("<!-- END GENERATED -->")
    assert text[start:end] == spec.render(), (
        "run: python -m firmware_protocol.contract.protocol_doc"
    )


def test_every_message_type_is_in_the_table() -> None:
    text = DOC.read_text()
    for code, cls in m.MESSAGES.items():
        assert f"| 0x{code:04x} | {cls.__name__}" in text


def _frozen_vectors() -> list[tuple[int, dict[str, object]]]:
    out = []
    for path in FROZEN:
        data = json.loads(path.read_text())
        out += [(int(data["protocol_version"]), v) for v in data["vectors"]]
    return out


def test_the_vectors_of_every_version_are_frozen_and_the_current_ones_unchanged() -> None:
    versions = [int(json.loads(p.read_text())["protocol_version"]) for p in FROZEN]
    assert versions == list(range(codec.OLDEST_VERSION, codec.CURRENT_VERSION + 1))
    current = json.loads(FROZEN[-1].read_text())
    assert current == vectors.frozen(), (
        "the current version's layout changed: append fields in a new version, then run "
        "python -m firmware_protocol.contract.vectors"
    )


@pytest.mark.parametrize(
    ("version", "vector"), _frozen_vectors(), ids=lambda x: str(x) if isinstance(x, int) else ""
)
def test_every_versions_vectors_decode_today_and_encode_back_at_their_version(
    version: int, vector: dict[str, object]
) -> None:
    decoded, payload = _open(vector)
    cls = type(decoded)
    assert decoded == vectors.from_jsonable(cls, vector["fields"])
    assert codec.encode(decoded, version) == payload  # byte for byte, as that version wrote it


@pytest.mark.parametrize("vector", _doc_vectors(), ids=lambda v: str(v["name"]))
def test_published_vectors_decode_to_the_documented_messages(vector: dict[str, object]) -> None:
    decoded, _ = _open(vector)
    assert decoded == vectors.from_jsonable(type(decoded), vector["fields"])


def _open(vector: dict[str, object]) -> tuple[object, bytes]:
    """The message a vector's frame carries, and its plaintext payload."""
    wire = bytes.fromhex(str(vector["wire"]))
    assert wire.endswith(b"\x00")
    assert wire.count(0) == 1
    frames = FrameDecoder().feed(wire)
    assert len(frames) == 1
    frame = frames[0]
    assert (int(frame.flags), frame.session, frame.counter, frame.seq, frame.ack) == (
        vector["flags"],
        vector["session"],
        vector["counter"],
        vector["seq"],
        vector["ack"],
    )
    cls = next(c for c in m.MESSAGES.values() if c.__name__ == vector["message"])
    assert frame.msg_type == m.SPECS[cls].code
    payload = frame.payload
    if frame.flags & Flags.SECURE:
        key = bytes.fromhex(str(vector["paired_key"]))
        nonce_p = bytes.fromhex(str(vector["programmer_nonce"]))
        nonce_q = bytes.fromhex(str(vector["pump_nonce"]))
        c2p, p2c = session_keys(key, frame.session, nonce_p, nonce_q)
        from_programmer = m.SPECS[cls].direction == "programmer->pump"
        receiver = (
            SessionCipher(frame.session, send_key=p2c, receive_key=c2p)
            if from_programmer
            else SessionCipher(frame.session, send_key=c2p, receive_key=p2c)
        )
        opened = receiver.open(frame)
        assert opened is not None, "the vector's tag does not verify"
        payload = opened.payload
    return codec.decode(cls, payload), payload
