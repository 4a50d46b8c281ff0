"""A pytest plugin: simulated pumps ready for your programmer's tests.

Installed with pumpsim (entry point `pytest11`), so in any project that has pumpsim installed:

    def test_my_programmer_logic(virtual_pump):         # on virtual time: fast, reproducible
        my_code.use_port(virtual_pump.port, key=virtual_pump.keys[Role.CLINICIAN])

    def test_my_programmer_program(simulated_pump):     # a real pty, for code that wants a path
        my_code.connect(simulated_pump.url, key_file=simulated_pump.key_file("clinician"))

`virtual_pump` is the one to reach for: a `firmware_protocol.simulated` pump whose `port` behaves
like a pyserial port (read, write, timeout) on a simulated line; while your code waits on a read,
virtual time moves and the firmware answers, so timeouts and retries take no wall time and every
run is the same. `simulated_pump` pairs fresh keys, starts the firmware on a pty in a background
thread (the wall clock) and stops it after the test. Both give `client(role)`, a connected
`PumpClient` for arranging state or checking results, and `firmware.pump`, the model behind it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import serial

from firmware_protocol.client import PumpClient
from firmware_protocol.firmware import Firmware
from firmware_protocol.messages import Role
from firmware_protocol.security import DeviceKey, PumpKeys, provision
from firmware_protocol.simulated import SimulatedPump as VirtualPump
from firmware_protocol.simulated import simulated_pump as virtual_simulated_pump
from firmware_protocol.transport import PacedPort, open_pty
from pumpsim import PumpConfig


@dataclass
class SimulatedPump:
    url: str
    keys_dir: Path
    pump_keys_file: Path
    device_key_files: dict[Role, Path]
    firmware: Firmware
    baud: int
    _clients: list[PumpClient] = field(default_factory=list)

    def key_file(self, role: Role | str = Role.CLINICIAN) -> Path:
        return self.device_key_files[Role(role)]

    def client(self, role: Role | str = Role.CLINICIAN) -> PumpClient:
        port = serial.serial_for_url(self.url, baudrate=self.baud, timeout=0.01)
        client = PumpClient(port, DeviceKey.load(self.key_file(role)))
        client.connect()
        self._clients.append(client)
        return client

    def close(self) -> None:
        for c in self._clients:
            with contextlib.suppress(Exception):
                c.close()
                c.port.close()
        self.firmware.stop()


@contextlib.contextmanager
def serve_on_pty(
    directory: Path,
    *,
    config: PumpConfig | None = None,
    simulator: bool = True,
    acceleration: float = 1.0,
    baud: int = 115200,
    paced: bool = False,
) -> Iterator[SimulatedPump]:
    """Start a simulated pump on a new pty; stop it on exit."""
    pump_file, device_files = provision(directory)
    port, path = open_pty()
    firmware = Firmware(
        PacedPort(port, baud) if paced else port,
        PumpKeys.load(pump_file),
        directory / "pump.sqlite",
        config=config,
        simulator=simulator,
        acceleration=acceleration,
    )
    firmware.start()
    pump = SimulatedPump(path, directory, pump_file, device_files, firmware, baud)
    try:
        yield pump
    finally:
        pump.close()
        port.close()


@pytest.fixture
def virtual_pump() -> Iterator[VirtualPump]:
    """A simulated pump on virtual time (seed 0) for the duration of one test."""
    pump = virtual_simulated_pump(seed=0)
    try:
        yield pump
    finally:
        pump.close()


@pytest.fixture
def simulated_pump(tmp_path: Path) -> Iterator[SimulatedPump]:
    """A simulated pump served on a pty for the duration of one test."""
    with serve_on_pty(tmp_path / "simulated-pump") as pump:
        yield pump
