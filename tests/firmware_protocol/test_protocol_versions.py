"""A programmer written against version 1 of the protocol (docs/protocol.md at 58d2842) still
works against today's pump, and every byte it meets is laid out as version 1 has it.

The session is the one the issue names: handshake, status, stage and confirm without the override
field, a bolus. Every payload either way is captured and checked to be exactly its version-1
layout (`encode(decode(payload), 1) == payload`: no field version 2 appended), so a version-1
decoder, which knows nothing of trailing fields, reads them all.
"""

from __future__ import annotations

from typing import Any

import pytest

from firmware_protocol.client.errors import AuthenticationError, DeviceError
from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import FrameDecoder
from pumpsim import Continuous, Mix, TherapyProgram

from protocol_helpers import Bench, bench


class Captured:
    """Every plaintext payload of a client's session, by message type, both ways."""

    def __init__(self, client: PumpClient) -> None:
        self.sent: list[tuple[int, bytes]] = []
        self.received: list[tuple[int, bytes]] = []
        self.clear: list[tuple[int, bytes]] = []
        port = client.channel.port
        write, decoder = port.write, FrameDecoder()

        def tapped(data: bytes) -> int:
            self.clear += [(f.msg_type, f.payload) for f in decoder.feed(data) if not f.flags]
            write(data)
            return len(data)

        port.write = tapped  # type: ignore[method-assign]

    def follow(self, client: PumpClient) -> None:
        """Tap the session's link (made at connect)."""
        link = client.channel.link
        assert link is not None
        send, receive = link.send, link.receive

        def sending(msg_type: int, payload: bytes) -> None:
            self.sent.append((msg_type, payload))
            send(msg_type, payload)

        def receiving(frame: Any, now: float) -> list[tuple[int, bytes]]:
            got = receive(frame, now)
            self.received += got
            return got

        link.send = sending  # type: ignore[method-assign]
        link.receive = receiving  # type: ignore[method-assign]


def _v1_client(b: Bench) -> tuple[PumpClient, Captured]:
    client = b.client(connect=False)
    client = PumpClient(
        client.port, client.key, monotonic=b.sim.monotonic, reply_timeout_s=5.0, protocol_version=1
    )
    captured = Captured(client)
    client.connect()
    captured.follow(client)
    return client, captured


def _all_version_1(payloads: list[tuple[int, bytes]]) -> None:
    for msg_type, payload in payloads:
        cls = m.MESSAGES[msg_type]
        assert m.SPECS[cls].since == 1, cls.__name__
        assert codec.encode(codec.decode(cls, payload), 1) == payload, cls.__name__


def test_a_version_1_session_against_todays_pump() -> None:
    with bench() as b:
        client, captured = _v1_client(b)
        assert client.session is not None
        assert client.session.protocol_version == 1
        assert client.channel.version == 1
        hello = next(p for t, p in captured.clear if t == m.SPECS[m.Hello].code)
        assert codec.encode(codec.decode(m.Hello, hello), 1) == hello  # no version field at all
        status = client.read_status()
        assert status.patient_boluses_left_24h == 0  # not sent: its default
        client.refill_withdraw()
        client.refill_fill(20.0, Mix.of(morphine=10_000.0), TherapyProgram(Continuous(0.3)))
        review = client.stage_program(TherapyProgram(Continuous(0.4)))
        assert review.accepted
        assert review.warnings == ()  # version 1 has no warnings field
        client.confirm_program(review.stage_id)  # no override_soft_limits on the wire
        assert b.firmware.pump.program.basal == Continuous(0.4)
        bolus = client.clinician_bolus(0.05, 3600.0)
        assert bolus.kind == "clinician"
        assert b.firmware.pump.status().active_bolus is not None
        _all_version_1(captured.sent)
        _all_version_1(captured.received)
        confirm = [p for t, p in captured.sent if t == m.SPECS[m.ConfirmProgram].code]
        assert [len(p) for p in confirm] == [12]  # txn u64 + stage_id u32, as version 1 has it


def test_a_version_1_confirm_means_no_override() -> None:
    """Past a soft limit a version-1 programmer (which cannot say override) is refused, as a
    version-2 one that does not tick the override is."""
    with bench() as b:
        client, _ = _v1_client(b)
        client.refill_withdraw()
        program = TherapyProgram(Continuous(0.05))
        client.refill_fill(20.0, Mix.of(ziconotide=25.0), program)
        review = client.stage_program(TherapyProgram(Continuous(0.5)))  # 12.5 mcg/day
        with pytest.raises(DeviceError) as refused:
            client.confirm_program(review.stage_id)
        assert refused.value.code == "SOFT_LIMIT_OVERRIDE_REQUIRED"
        assert b.firmware.pump.program.basal == Continuous(0.05)


def test_a_version_1_session_cannot_use_version_2_messages() -> None:
    with bench() as b:
        client, _ = _v1_client(b)
        with pytest.raises(DeviceError) as refused:
            client.read_description()
        assert refused.value.code == "UNKNOWN_MESSAGE"


def test_todays_programmer_speaks_version_4_and_a_too_old_one_is_refused() -> None:
    with bench() as b:
        client = b.client()
        assert client.session is not None
        assert client.session.protocol_version == codec.CURRENT_VERSION == 4
        assert client.read_status().patient_boluses_left_24h >= 0
        ancient = PumpClient(client.port, client.key, monotonic=b.sim.monotonic, protocol_version=0)
        with pytest.raises(AuthenticationError) as refused:
            ancient.connect()
        assert refused.value.code == "PROTOCOL_VERSION_UNSUPPORTED"


def test_a_newer_programmer_gets_the_newest_version_the_pump_speaks() -> None:
    with bench() as b:
        base = b.client(connect=False)
        future = PumpClient(base.port, base.key, monotonic=b.sim.monotonic, protocol_version=9)
        ok = future.connect()
        assert ok.protocol_version == 4
        assert future.read_status().pump_id == base.key.pump_id
