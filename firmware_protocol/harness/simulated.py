"""One way to build a simulated pump: keys, store, firmware and clients, on a clock of your choice.

Why one: the same start-up (pair keys, open a store, start a firmware, connect a client) was
written out by the CLI, the embedded demo pump, the scenario runner, the tests and the benches,
each a little differently. `simulated_pump()` builds it once, with keys and memory that never touch
a disk and everything random drawn from one seed, and one of two drivers:

- virtual time (the default): a simulated line and world (`virtual_time`), no thread, no sleep;
  the same seed and the same commands give the same bytes on the line;
- the wall clock (`realtime=True`): the firmware on its own thread behind an in-process link, for
  the demo and anything a person watches (its clock can be accelerated).

    sim = simulated_pump(seed=7)
    client = sim.client(Role.CLINICIAN)      # connected: mutual authentication done
    client.interrogate()
    sim.restart()                            # power cut: a new firmware on the same memory
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.device.firmware import Firmware
from firmware_protocol.device.store import NvStore
from firmware_protocol.line.fault_sites import OFF, FaultSites
from firmware_protocol.line.line_faults import LineFaults
from firmware_protocol.line.serial_port import VirtualSerial
from firmware_protocol.line.transport import PairPort, Port, RecordingPort, link_pair
from firmware_protocol.line.virtual_time import SimLine, SimPort, SimWorld, VirtualClock
from firmware_protocol.session.security import DeviceKey, PumpKeys, paired_in_memory
from firmware_protocol.wire.messages import Role
from pumpsim import Pump, PumpConfig


@dataclass
class SimulatedPump:
    pump_keys: PumpKeys
    device_keys: dict[Role, DeviceKey]
    store: NvStore
    config: PumpConfig
    simulator: bool
    paused: bool
    acceleration: float
    idle_timeout_s: float
    rng: random.Random
    monotonic: Callable[[], float]
    wall: Callable[[], float]
    pump_port: Port
    programmer_port: Port
    clock: VirtualClock | None = None  # virtual time only
    world: SimWorld | None = None
    line: SimLine | None = None
    restarts: int = 0
    sites: FaultSites = OFF  # fault sites, kept across power cuts (virtual time only)
    firmware: Firmware = field(init=False)
    _serial: Port | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.firmware = self._power_up()

    @property
    def realtime(self) -> bool:
        return self.world is None

    def _power_up(self) -> Firmware:
        firmware = Firmware(
            self.pump_port,
            self.pump_keys,
            self.store,
            config=self.config,
            simulator=self.simulator,
            acceleration=self.acceleration,
            paused=self.paused,
            wall=self.wall,
            monotonic=self.monotonic,
            idle_timeout_s=self.idle_timeout_s,
            rng=random.Random(self.rng.getrandbits(64)),
            sites=self.sites,
        )
        if self.world is not None:
            self.world.device = firmware
        else:
            firmware.start()
        return firmware

    @property
    def pump(self) -> Pump:
        """The model inside the firmware (ground truth for tests; a programmer never sees it)."""
        return self.firmware.pump

    @property
    def port(self) -> Port:
        """The programmer's end of the line: on virtual time a real pyserial port
        (`VirtualSerial`: flush, read_until, readline, in_waiting, `with`...)."""
        if self._serial is None:
            end = self.programmer_port
            self._serial = VirtualSerial(end) if isinstance(end, SimPort) else end
        return self._serial

    @property
    def keys(self) -> dict[Role, DeviceKey]:
        return self.device_keys

    def client(
        self,
        role: Role = Role.CLINICIAN,
        *,
        connect: bool = True,
        reply_timeout_s: float = 3.0,
        port: Port | None = None,
    ) -> PumpClient:
        client = PumpClient(
            port or self.programmer_port,
            self.device_keys[role],
            reply_timeout_s=reply_timeout_s,
            monotonic=self.monotonic,
            rng=random.Random(self.rng.getrandbits(64)),
        )
        if connect:
            client.connect()
        return client

    def kill(self) -> None:
        """The pump falls silent (power gone); its memory stays. `restart` brings it back."""
        if self.world is not None:
            self.world.device = None
        else:
            self.firmware.stop()

    def restart(self) -> Firmware:
        """The pump loses power and comes back: a new firmware on the same memory (as the power
        cut left it, where the memory is a simulated disk)."""
        self.kill()
        self.store.power_cycle()
        self.restarts += 1
        self.firmware = self._power_up()
        return self.firmware

    def advance(self, seconds: float) -> None:
        """Let time pass on the line (virtual time; on the wall clock, just wait)."""
        if self.world is not None:
            self.world.advance(seconds)
        else:
            time.sleep(seconds)

    def close(self) -> None:
        self.kill()
        self.programmer_port.close()


def simulated_pump(
    *,
    seed: int | None = 0,
    config: PumpConfig | None = None,
    simulator: bool = True,
    paused: bool = True,
    acceleration: float = 1.0,
    realtime: bool = False,
    baud: int = 115_200,
    latency_s: float = 0.002,
    faults: tuple[LineFaults, LineFaults] | None = None,
    pump_id: str | None = None,
    idle_timeout_s: float = 300.0,
    record: IO[str] | None = None,
    store: NvStore | None = None,
    sites: FaultSites = OFF,
) -> SimulatedPump:
    """A simulated pump, everything random drawn from `seed` (None: fresh keys every time).

    On virtual time (the default) `faults` are the line's (programmer to pump, pump to
    programmer): change their fields at any time. `record` receives both directions as JSON
    lines (what `pumpsim decode` reads). `store` is the pump's memory (default: in memory).
    `sites` are fault sites that fire in the firmware, its sessions and its link
    (`line.fault_sites`; virtual time only).
    """
    if realtime and sites is not OFF:
        raise ValueError("fault sites fire on virtual time only")
    rng = random.Random(seed) if seed is not None else random.Random()
    default_id = f"SIM-{seed & 0xFFFFFFFF:08X}" if seed is not None else None
    keys, devices = paired_in_memory(
        pump_id or default_id or f"SIM-{rng.getrandbits(32):08X}",
        rng if seed is not None else random.SystemRandom(),
    )
    common = {
        "pump_keys": keys,
        "device_keys": devices,
        "store": store if store is not None else NvStore(":memory:"),
        "config": config or PumpConfig(),
        "simulator": simulator,
        "paused": paused,
        "acceleration": acceleration,
        "idle_timeout_s": idle_timeout_s,
        "rng": rng,
        "sites": sites,
    }
    if realtime:
        programmer: PairPort
        programmer, pump_end = link_pair()
        port: Port = programmer
        if record is not None:
            port = RecordingPort(port, record)
        return SimulatedPump(
            **common,  # type: ignore[arg-type]
            monotonic=time.monotonic,
            wall=time.time,
            pump_port=pump_end,
            programmer_port=port,
        )
    clock = VirtualClock()
    line = SimLine(clock, baud=baud, latency_s=latency_s, seed=rng.getrandbits(32), faults=faults)
    port = line.programmer
    if record is not None:
        port = RecordingPort(port, record, clock=clock.monotonic)
    return SimulatedPump(
        **common,  # type: ignore[arg-type]
        monotonic=clock.monotonic,
        wall=clock.wall,
        pump_port=line.pump,
        programmer_port=port,
        clock=clock,
        world=SimWorld(clock, line),
        line=line,
    )
