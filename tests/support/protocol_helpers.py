"""Builders for protocol tests: a simulated pump (firmware, keys, memory) on virtual time.

Every test here runs the real firmware and client over a simulated line: no thread, no sleep, the
same bytes for the same seed. Tests of the wall-clock drivers (ptys, `pumpsim serve`) build
those themselves.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.device.firmware import Firmware
from firmware_protocol.harness.simulated import SimulatedPump, simulated_pump
from firmware_protocol.line.transport import FaultyPort, LineFaults, Port
from firmware_protocol.session.security import DeviceKey, PumpKeys
from firmware_protocol.wire.messages import Role
from pumpsim import PumpConfig


@dataclass
class Bench:
    sim: SimulatedPump
    programmer_port: Port  # the line's programmer end, or a FaultyPort around it

    @property
    def firmware(self) -> Firmware:
        return self.sim.firmware

    @property
    def keys(self) -> dict[Role, DeviceKey]:
        return self.sim.device_keys

    @property
    def pump_keys(self) -> PumpKeys:
        return self.sim.pump_keys

    def client(
        self,
        role: Role = Role.CLINICIAN,
        port: Port | None = None,
        *,
        key: DeviceKey | None = None,
        connect: bool = True,
        reply_timeout_s: float = 5.0,
        handshake_timeout_s: float = 3.0,
    ) -> PumpClient:
        """A client on virtual time (on `port`, the bench's programmer port unless given)."""
        client = PumpClient(
            port or self.programmer_port,
            key or self.keys[role],
            reply_timeout_s=reply_timeout_s,
            handshake_timeout_s=handshake_timeout_s,
            monotonic=self.sim.monotonic,
            rng=random.Random(self.sim.rng.getrandbits(64)),
        )
        if connect:
            client.connect()
        return client

    def restart(self) -> Firmware:
        """The pump loses power and comes back on the same memory."""
        return self.sim.restart()

    def advance(self, seconds: float) -> None:
        """Let virtual time pass (the firmware works meanwhile)."""
        self.sim.advance(seconds)


@contextlib.contextmanager
def bench(
    *,
    simulator: bool = True,
    config: PumpConfig | None = None,
    paused: bool = True,
    faults: tuple[LineFaults, LineFaults] | None = None,
    seed: int = 0,
    idle_timeout_s: float = 300.0,
) -> Iterator[Bench]:
    """A simulated pump (clock paused unless asked) and the programmer's end of its line."""
    sim = simulated_pump(
        seed=seed,
        config=config,
        simulator=simulator,
        paused=paused,
        idle_timeout_s=idle_timeout_s,
    )
    port: Port = sim.port
    if faults is not None:
        port = FaultyPort(sim.port, seed, outbound=faults[0], inbound=faults[1])
    yield Bench(sim, port)
