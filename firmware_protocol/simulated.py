"""One way to build a simulated pump: keys, store, firmware and clients on one virtual clock.

Why one: the same start-up (pair keys, open a store, start a firmware, connect a client) was
written out by the CLI, the scenario runner, the tests and the benches, each a little differently.
`simulated_pump()` builds it once, on virtual time (`virtual_time`): no thread, no sleep, keys
and memory that never touch a disk, and everything random drawn from one seed, so the same seed
and the same commands give the same bytes on the line.

    sim = simulated_pump(seed=7)
    client = sim.client(Role.CLINICIAN)      # connected: mutual authentication done
    client.interrogate()
    sim.restart()                            # power cut: a new firmware on the same memory
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import IO

from firmware_protocol.client import PumpClient
from firmware_protocol.firmware import Firmware
from firmware_protocol.line_faults import LineFaults
from firmware_protocol.messages import Role
from firmware_protocol.security import DeviceKey, PumpKeys, paired_in_memory
from firmware_protocol.store import NvStore
from firmware_protocol.transport import Port, RecordingPort
from firmware_protocol.virtual_time import SimLine, SimWorld, VirtualClock
from pumpsim import Pump, PumpConfig


@dataclass
class SimulatedPump:
    clock: VirtualClock
    line: SimLine
    world: SimWorld
    pump_keys: PumpKeys
    device_keys: dict[Role, DeviceKey]
    store: NvStore
    config: PumpConfig
    simulator: bool
    paused: bool
    acceleration: float
    idle_timeout_s: float
    rng: random.Random
    record: IO[str] | None = None
    restarts: int = 0
    firmware: Firmware = field(init=False)
    _programmer_port: Port = field(init=False)

    def __post_init__(self) -> None:
        port: Port = self.line.programmer
        if self.record is not None:
            port = RecordingPort(port, self.record, clock=self.clock.monotonic)
        self._programmer_port = port
        self.firmware = self._power_up()

    def _power_up(self) -> Firmware:
        firmware = Firmware(
            self.line.pump,
            self.pump_keys,
            self.store,
            config=self.config,
            simulator=self.simulator,
            acceleration=self.acceleration,
            paused=self.paused,
            wall=self.clock.wall,
            monotonic=self.clock.monotonic,
            idle_timeout_s=self.idle_timeout_s,
            rng=random.Random(self.rng.getrandbits(64)),
        )
        self.world.device = firmware
        return firmware

    @property
    def pump(self) -> Pump:
        """The model inside the firmware (ground truth for tests; a programmer never sees it)."""
        return self.firmware.pump

    @property
    def port(self) -> Port:
        """The programmer's end of the line, shaped like a pyserial port."""
        return self._programmer_port

    def client(
        self, role: Role = Role.CLINICIAN, *, connect: bool = True, reply_timeout_s: float = 3.0
    ) -> PumpClient:
        client = PumpClient(
            self._programmer_port,
            self.device_keys[role],
            reply_timeout_s=reply_timeout_s,
            monotonic=self.clock.monotonic,
            rng=random.Random(self.rng.getrandbits(64)),
        )
        if connect:
            client.connect()
        return client

    def restart(self) -> Firmware:
        """The pump loses power and comes back: a new firmware on the same memory."""
        self.world.device = None
        self.restarts += 1
        self.firmware = self._power_up()
        return self.firmware

    def advance(self, seconds: float) -> None:
        """Let virtual time pass on the line (not the pump's clock when it is paused)."""
        self.world.advance(seconds)


def simulated_pump(
    *,
    seed: int = 0,
    config: PumpConfig | None = None,
    simulator: bool = True,
    paused: bool = True,
    acceleration: float = 1.0,
    baud: int = 115_200,
    latency_s: float = 0.002,
    faults: tuple[LineFaults, LineFaults] | None = None,
    pump_id: str | None = None,
    idle_timeout_s: float = 300.0,
    record: IO[str] | None = None,
) -> SimulatedPump:
    """A pump on a simulated line, on virtual time, everything drawn from `seed`.

    `faults` are (programmer to pump, pump to programmer); change their fields at any time.
    `record` receives both directions as JSON lines (what `pumpsim decode` reads).
    """
    rng = random.Random(seed)
    clock = VirtualClock()
    line = SimLine(clock, baud=baud, latency_s=latency_s, seed=rng.getrandbits(32), faults=faults)
    keys, devices = paired_in_memory(pump_id or f"SIM-{seed & 0xFFFFFFFF:08X}", rng)
    return SimulatedPump(
        clock=clock,
        line=line,
        world=SimWorld(clock, line),
        pump_keys=keys,
        device_keys=devices,
        store=NvStore(":memory:"),
        config=config or PumpConfig(),
        simulator=simulator,
        paused=paused,
        acceleration=acceleration,
        idle_timeout_s=idle_timeout_s,
        rng=rng,
        record=record,
    )
