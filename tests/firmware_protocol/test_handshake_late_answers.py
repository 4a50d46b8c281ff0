"""A handshake meets the late answer to an earlier attempt: it is passed over, not taken as the
pump failing to prove its key (the livelock the swarm's healing phase found: every attempt read
the challenge meant for the one before, for ever). A pump that never proves its key is still
refused: tests/firmware_protocol/test_firmware.py, test_wrong_key_fails_and_repeated_failures.
"""

from __future__ import annotations

from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import Frame
from firmware_protocol.wire.messages import Role


def _stale_hello(sim, nonce: bytes) -> None:  # type: ignore[no-untyped-def]
    key = sim.keys[Role.CLINICIAN]
    hello = m.Hello(str(key.role), key.device_id, nonce, codec.CURRENT_VERSION)
    sim.port.write(Frame(0, 0, 0, 0, 0, m.SPECS[m.Hello].code, codec.encode(hello)).encode())


def test_a_challenge_meant_for_an_earlier_hello_is_passed_over() -> None:
    sim = simulated_pump(seed=9)
    _stale_hello(sim, bytes(range(16)))  # an attempt given up on: its answer is on its way
    client = sim.client(Role.CLINICIAN)  # connects all the same, on the challenge for its hello
    assert client.connected
    assert client.read_status().pump_id == sim.pump_keys.pump_id
