"""COBS, frames and the message codec: round trips, and no byte sequence can hurt the decoder."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_protocol.wire import cobs, codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import (
    MAX_ENCODED,
    MAX_PAYLOAD,
    Flags,
    Frame,
    FrameDecoder,
    crc16,
)


@given(st.binary(max_size=2000))
def test_cobs_round_trip_without_zeros(data: bytes) -> None:
    encoded = cobs.encode(data)
    assert 0 not in encoded
    assert len(encoded) <= len(data) + len(data) // 254 + 1
    assert cobs.decode(encoded) == data


@pytest.mark.parametrize("bad", [b"\x03\x11\x00", b"\x05\x11"])
def test_cobs_rejects_broken_blocks(bad: bytes) -> None:
    with pytest.raises(cobs.CobsError):
        cobs.decode(bad)


def test_crc_is_ccitt_false() -> None:
    assert crc16(b"123456789") == 0x29B1


frames = st.builds(
    Frame,
    flags=st.sampled_from([Flags(0), Flags.DATA | Flags.ACK, Flags.SECURE | Flags.ACK]),
    session=st.integers(0, 2**32 - 1),
    counter=st.integers(0, 2**32 - 1),
    seq=st.integers(0, 2**16 - 1),
    ack=st.integers(0, 2**16 - 1),
    msg_type=st.integers(0, 2**16 - 1),
    payload=st.binary(max_size=MAX_PAYLOAD),
)


@given(frames)
def test_frames_round_trip(frame: Frame) -> None:
    assert FrameDecoder().feed(frame.encode()) == [frame]


def test_oversized_payload_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        Frame(Flags(0), 0, 0, 0, 0, 1, bytes(MAX_PAYLOAD + 1)).encode()


@given(st.binary(max_size=3000), st.lists(st.integers(1, 50), max_size=30))
def test_decoder_never_raises_and_stays_bounded(garbage: bytes, cuts: list[int]) -> None:
    decoder = FrameDecoder()
    at = 0
    for cut in [*cuts, len(garbage)]:
        decoder.feed(garbage[at : at + cut])
        at += cut
        assert len(decoder._buf) <= MAX_ENCODED
    decoder.feed(garbage[at:])


@given(st.binary(max_size=500), frames, frames)
def test_decoder_resynchronises_after_garbage(garbage: bytes, first: Frame, second: Frame) -> None:
    decoder = FrameDecoder()
    stream = garbage + b"\x00" + first.encode() + second.encode()
    got = decoder.feed(stream)
    assert got[-2:] == [first, second]


@given(frames, frames, st.integers(0, 10_000), st.integers(1, 255))
def test_a_corrupted_frame_costs_only_itself(
    first: Frame, second: Frame, position: int, flip: int
) -> None:
    raw = bytearray(first.encode())
    i = position % (len(raw) - 1)  # leave the delimiter alone
    raw[i] ^= flip
    decoder = FrameDecoder()
    got = decoder.feed(bytes(raw) + second.encode())
    assert got[-1] == second
    if first not in got:
        stats = decoder.stats
        assert stats.crc_errors + stats.malformed >= 1


def test_unknown_flags_and_versions_are_rejected() -> None:
    good = Frame(Flags.DATA, 1, 1, 1, 1, 1, b"x")
    for bad in (dataclasses.replace(good, flags=Flags(0x80)), dataclasses.replace(good, version=2)):
        decoder = FrameDecoder()
        assert decoder.feed(bad.encode()) == []
        assert decoder.stats.malformed == 1


def test_endless_noise_without_a_delimiter_is_dropped_and_recovered_from() -> None:
    decoder = FrameDecoder()
    for _ in range(10):
        decoder.feed(b"\x55" * 1000)
    assert len(decoder._buf) <= MAX_ENCODED
    assert decoder.stats.oversize >= 1
    good = Frame(Flags.DATA, 1, 1, 1, 1, 1, b"ok")
    assert decoder.feed(b"\x00" + good.encode()) == [good]


def test_chunking_does_not_change_what_is_decoded() -> None:
    stream = b"".join(Frame(Flags.DATA, 1, i, i, 0, 7, bytes([i]) * i).encode() for i in range(50))
    whole = FrameDecoder().feed(stream)
    byte_by_byte: list[Frame] = []
    decoder = FrameDecoder()
    for b in stream:
        byte_by_byte += decoder.feed(bytes([b]))
    assert whole == byte_by_byte
    assert len(whole) == 50


# ------------------------------------------------------------------------------ codec


def strategy_for(annotation: Any) -> st.SearchStrategy[Any]:
    desc = codec.codec_for(annotation)[2]
    if desc in ("u8", "u16", "u32", "u64"):
        return st.integers(0, 2 ** {"u8": 8, "u16": 16, "u32": 32, "u64": 64}[desc] - 1)
    if desc == "f64":
        return st.floats(allow_nan=False)
    if desc == "f64?":
        return st.none() | st.floats(allow_nan=False)
    if desc == "bool":
        return st.booleans()
    if desc == "str":
        return st.text(max_size=20)
    if desc == "bytes":
        return st.binary(max_size=40)
    if desc.startswith("list["):
        item = typing.get_args(annotation)[0]
        return st.lists(strategy_for(item), max_size=3).map(tuple)
    return record(annotation)


@functools.cache  # one strategy per class: hypothesis validates a new one at every draw
def record(cls: type) -> st.SearchStrategy[Any]:
    return st.builds(cls, **{name: strategy_for(ann) for name, ann in codec.fields_of(cls)})


@pytest.mark.parametrize("cls", list(m.MESSAGES.values()), ids=lambda c: c.__name__)
@given(payload=st.binary(max_size=300))
def test_arbitrary_payloads_decode_or_raise_decode_error(cls: type, payload: bytes) -> None:
    with contextlib.suppress(codec.DecodeError):
        codec.decode(cls, payload)


def test_bytes_after_the_known_fields_are_a_newer_peers_and_ignored() -> None:
    payload = codec.encode(m.Ping(7))
    assert codec.decode(m.Ping, payload + b"\x00\x01") == m.Ping(7)
    with pytest.raises(codec.DecodeError):
        codec.decode(m.Ping, payload[:-1])  # cut inside a field every version has
    with pytest.raises(codec.EncodeError):
        codec.encode(m.Ping(2**32))
    with pytest.raises(codec.EncodeError):
        codec.encode(m.Ping(-1))


@pytest.mark.parametrize("cls", list(m.MESSAGES.values()), ids=lambda c: c.__name__)
@given(data=st.data())
def test_every_message_round_trips_at_every_version(cls: type, data: st.DataObject) -> None:
    """At version v the fields appended later are left out, and read back as their defaults;
    at the current version (what `encode` writes unless told) the message comes back whole."""
    message = data.draw(record(cls))
    assert codec.decode(cls, codec.encode(message)) == message
    for version in range(codec.OLDEST_VERSION, codec.CURRENT_VERSION + 1):
        expected = dataclasses.replace(
            message,
            **{f.name: f.default for f in dataclasses.fields(cls) if codec.since_of(f) > version},
        )
        assert codec.decode(cls, codec.encode(message, version)) == expected


def test_fields_are_only_ever_appended_with_a_default() -> None:
    for cls in m.MESSAGES.values():
        seen_appended = False
        for f in dataclasses.fields(cls):
            if codec.since_of(f) > codec.OLDEST_VERSION:
                seen_appended = True
                assert f.default is not dataclasses.MISSING, f"{cls.__name__}.{f.name}"
            else:
                assert not seen_appended, f"{cls.__name__}.{f.name} comes after an appended field"


def test_non_finite_floats_travel_as_they_are() -> None:
    back = codec.decode(m.Pong, codec.encode(m.Pong(1, math.inf)))
    assert back.sim_time_s == math.inf
