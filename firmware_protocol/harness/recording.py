"""Recorded sessions: decode them for people, and replay them against a fresh firmware.

A recording (made by `transport.RecordingPort` on the programmer's side) holds raw bytes with
timestamps, "out" towards the pump and "in" from it. With the programmer's device key, the
handshake in the recording yields the session keys, so every frame can be shown decrypted.
Replaying feeds the recorded programmer bytes to a new firmware started with the same seed and
keys; a firmware that still behaves the same answers with the same messages.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware_protocol.line.transport import link_pair
from firmware_protocol.session.security import DeviceKey, PumpKeys, SessionCipher, session_keys
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import Flags, Frame, FrameDecoder


@dataclass(frozen=True)
class Chunk:
    t: float
    direction: str  # "out": programmer to pump; "in": pump to programmer
    data: bytes


@dataclass(frozen=True)
class DecodedFrame:
    t: float
    direction: str
    frame: Frame
    message: Any | None  # None when it cannot be read (encrypted without keys, or malformed)
    note: str = ""

    def describe(self) -> str:
        arrow = "->" if self.direction == "out" else "<-"
        f = self.frame
        flags = "|".join(flag.name or "" for flag in Flags if f.flags & flag) or "-"
        head = (
            f"{self.t:10.6f} {arrow} {flags:<15} session={f.session:08x} ctr={f.counter:<5} "
            f"seq={f.seq:<5} ack={f.ack:<5}"
        )
        if self.message is not None:
            return f"{head} {self.message!r}"
        if f.msg_type == 0 and not f.flags & Flags.DATA:
            return f"{head} (ack)"
        name = m.MESSAGES[f.msg_type].__name__ if f.msg_type in m.MESSAGES else hex(f.msg_type)
        return f"{head} {name} [{len(f.payload)} bytes{', ' + self.note if self.note else ''}]"


def read_recording(lines: Iterable[str]) -> list[Chunk]:
    out = []
    for line in lines:
        if line.strip():
            d = json.loads(line)
            out.append(Chunk(float(d["t"]), d["dir"], bytes.fromhex(d["hex"])))
    return out


def load(path: Path) -> list[Chunk]:
    with Path(path).open() as f:
        return read_recording(f)


def decode_chunks(chunks: Iterable[Chunk], key: DeviceKey | None = None) -> Iterator[DecodedFrame]:
    decoders = {"out": FrameDecoder(), "in": FrameDecoder()}
    hello: m.Hello | None = None
    ciphers: dict[str, SessionCipher] = {}
    for chunk in chunks:
        for frame in decoders[chunk.direction].feed(chunk.data):
            message: Any | None = None
            note = ""
            if frame.flags & Flags.SECURE:
                cipher = ciphers.get(chunk.direction)
                opened = cipher.open(frame) if cipher and frame.session == cipher.session else None
                if opened is None:
                    note = "encrypted" if key is None else "not decryptable"
                elif opened.msg_type in m.MESSAGES and opened.payload:
                    message = _decode(opened)
                elif opened.msg_type in m.MESSAGES:
                    message = _decode(opened) if opened.flags & Flags.DATA else None
            elif frame.msg_type in m.MESSAGES:
                message = _decode(frame)
            if isinstance(message, m.Hello):
                hello = message
            elif isinstance(message, m.Challenge) and hello is not None and key is not None:
                c2p, p2c = session_keys(key.key, message.session, hello.nonce, message.nonce)
                ciphers = {
                    "out": SessionCipher(message.session, send_key=p2c, receive_key=c2p),
                    "in": SessionCipher(message.session, send_key=c2p, receive_key=p2c),
                }
            yield DecodedFrame(chunk.t, chunk.direction, frame, message, note)


def _decode(frame: Frame) -> Any | None:
    try:
        return codec.decode(m.MESSAGES[frame.msg_type], frame.payload)
    except codec.DecodeError:
        return None


def application_messages(frames: Iterable[DecodedFrame], direction: str) -> list[Any]:
    """The messages one side delivered, once each (retransmissions and acks left out)."""
    seen: set[tuple[int, int]] = set()
    out = []
    for d in frames:
        if d.direction != direction or d.message is None:
            continue
        if d.frame.flags & Flags.DATA:
            key = (d.frame.session, d.frame.seq)
            if key in seen:
                continue
            seen.add(key)
        out.append(d.message)
    return out


@dataclass(frozen=True)
class ReplayResult:
    recorded: list[Any]
    replayed: list[Any]

    @property
    def same(self) -> bool:
        return self.recorded == self.replayed


def replay(
    chunks: list[Chunk],
    pump_keys: PumpKeys,
    key: DeviceKey,
    state_path: Path,
    seed: int,
    *,
    simulator: bool = True,
) -> ReplayResult:
    """Feed the recorded programmer bytes to a fresh firmware (same seed, clock paused)."""
    from firmware_protocol.device.firmware import Firmware

    programmer, pump_end = link_pair(timeout=0.0)
    firmware = Firmware(
        pump_end,
        pump_keys,
        state_path,
        simulator=simulator,
        paused=True,
        rng=random.Random(seed),
        poll_s=0.0,
    )
    replayed: list[Chunk] = []

    def settle() -> None:
        for _ in range(20):
            firmware.step()
            data = programmer.read(1 << 20)
            if data:
                replayed.append(Chunk(0.0, "in", data))

    for chunk in chunks:
        if chunk.direction == "out":
            programmer.write(chunk.data)
            settle()
    firmware.store.close()
    out_chunks = [c for c in chunks if c.direction == "out"]
    recorded = application_messages(decode_chunks(chunks, key), "in")
    # The replayed replies carry no timestamps; for one session, every programmer byte first
    # (the Hello) and then the replies (the Challenge) is order enough to derive the keys.
    replies = application_messages(decode_chunks([*out_chunks, *replayed], key), "in")
    return ReplayResult(recorded, replies)
