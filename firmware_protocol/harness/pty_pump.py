"""A simulated pump served on a pseudo-terminal in a background thread (the wall clock).

For code that wants a device path; `simulated_pump()` (virtual time) suits everything else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import serial

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.device.firmware import Firmware
from firmware_protocol.line.transport import PacedPort, open_pty
from firmware_protocol.session.security import DeviceKey, PumpKeys, provision
from firmware_protocol.wire.messages import Role
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
