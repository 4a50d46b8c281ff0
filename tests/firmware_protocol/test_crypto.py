"""Replay windows, sealed frames and handshake proofs: what the security layer promises."""

from __future__ import annotations

import dataclasses
import os
import secrets
import stat
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from firmware_protocol.session.security import (
    REPLAY_WINDOW,
    DeviceKey,
    PumpKeys,
    ReplayWindow,
    SessionCipher,
    proof,
    proofs_equal,
    provision,
    session_keys,
)
from firmware_protocol.wire.frame import Flags, Frame
from firmware_protocol.wire.messages import Role


@given(st.lists(st.integers(0, 300), max_size=200))
def test_replay_window_accepts_each_recent_counter_once(counters: list[int]) -> None:
    window = ReplayWindow()
    accepted: set[int] = set()
    for c in counters:
        expected = c > 0 and c not in accepted and c > window.highest - REPLAY_WINDOW
        assert window.fresh(c) == expected
        if expected:
            window.accept(c)
            accepted.add(c)


def _pair() -> tuple[SessionCipher, SessionCipher]:
    key = secrets.token_bytes(32)
    nonce_p, nonce_q = os.urandom(16), os.urandom(16)
    c2p, p2c = session_keys(key, 9, nonce_p, nonce_q)
    programmer = SessionCipher(9, send_key=c2p, receive_key=p2c)
    pump = SessionCipher(9, send_key=p2c, receive_key=c2p)
    return programmer, pump


FRAME = Frame(Flags.DATA | Flags.ACK, 0, 0, 3, 2, 0x0210, b"bolus please")


def test_seal_and_open_with_fresh_counters() -> None:
    programmer, pump = _pair()
    first, again = programmer.seal(FRAME), programmer.seal(FRAME)
    assert first.counter == 1
    assert again.counter == 2
    assert first.payload != again.payload
    assert FRAME.payload not in first.payload
    opened = pump.open(first)
    assert opened is not None
    assert opened.payload == FRAME.payload
    assert pump.open(first) is None  # replayed
    assert pump.stats.replayed == 1
    assert pump.open(again) is not None


@given(position=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_any_flipped_bit_is_caught_and_does_not_advance_the_window(position: int, bit: int) -> None:
    programmer, pump = _pair()
    sealed = programmer.seal(FRAME)
    raw = bytearray(sealed.header() + sealed.payload)
    raw[position % len(raw)] ^= 1 << bit
    header = raw[:18]
    forged = Frame(
        Flags(header[1] & 0x07),
        int.from_bytes(header[2:6], "big"),
        int.from_bytes(header[6:10], "big"),
        int.from_bytes(header[10:12], "big"),
        int.from_bytes(header[12:14], "big"),
        int.from_bytes(header[14:16], "big"),
        bytes(raw[18:]),
    )
    if forged == sealed:  # a flip in an ignored length or flag bit: nothing changed
        return
    assert pump.open(forged) is None
    stats = pump.stats
    assert stats.forged + stats.wrong_session + stats.replayed == 1
    assert pump.open(sealed) is not None  # the genuine frame still gets through


def test_a_frame_from_another_session_is_rejected() -> None:
    programmer, _ = _pair()
    _, other_pump = _pair()
    assert other_pump.open(programmer.seal(FRAME)) is None
    assert other_pump.stats.forged == 1


def test_proofs_bind_role_side_nonces_and_session() -> None:
    key = bytes(32)
    p, q = bytes(16), bytes([1]) * 16
    base = proof(key, "pump", 1, p, q)
    assert proofs_equal(base, proof(key, "pump", 1, p, q))
    for other in (
        proof(key, "programmer", 1, p, q),
        proof(key, "pump", 2, p, q),
        proof(key, "pump", 1, q, p),
        proof(bytes([1]) * 32, "pump", 1, p, q),
    ):
        assert not proofs_equal(base, other)


def test_key_files_round_trip_privately(tmp_path: Path) -> None:
    pump_file, device_files = provision(tmp_path)
    keys = PumpKeys.load(pump_file)
    assert set(device_files) == set(Role)
    for role, path in device_files.items():
        device = DeviceKey.load(path)
        assert device.role is role
        assert device.pump_id == keys.pump_id
        assert keys.devices[device.device_id] == device
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(pump_file.stat().st_mode) == 0o600
    paired, tablet = keys.pair("tablet-9", Role.CLINICIAN)
    paired.save(tmp_path / "again.keys")
    assert PumpKeys.load(tmp_path / "again.keys").devices["tablet-9"] == tablet
    assert dataclasses.replace(tablet, key=bytes(32)) != tablet
