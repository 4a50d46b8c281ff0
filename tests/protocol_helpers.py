"""Builders for protocol tests: a firmware and a client joined by an in-process link."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from firmware_protocol.client import PumpClient
from firmware_protocol.firmware import Firmware
from firmware_protocol.messages import Role
from firmware_protocol.security import DeviceKey, PumpKeys, provision
from firmware_protocol.transport import FaultyPort, LineFaults, Port, link_pair
from pumpsim import PumpConfig


@dataclass
class Bench:
    directory: Path
    firmware: Firmware
    pump_port: Port
    programmer_port: Port
    keys: dict[Role, DeviceKey]
    pump_keys: PumpKeys

    def client(self, role: Role = Role.CLINICIAN, port: Port | None = None) -> PumpClient:
        client = PumpClient(port or self.programmer_port, self.keys[role], reply_timeout_s=5.0)
        client.connect()
        return client

    def restart(self) -> Firmware:
        """Stop the firmware (as a crash would) and start a new one on the same memory."""
        self.firmware.stop()
        self.firmware = Firmware(
            self.pump_port, self.pump_keys, self.directory / "pump.sqlite", simulator=True
        )
        self.firmware.start()
        return self.firmware


@contextlib.contextmanager
def bench(
    directory: Path,
    *,
    simulator: bool = True,
    config: PumpConfig | None = None,
    paused: bool = True,
    faults: tuple[LineFaults, LineFaults] | None = None,
    seed: int = 0,
) -> Iterator[Bench]:
    """A running firmware (clock paused unless asked) and the programmer's end of its link."""
    pump_file, device_files = provision(directory)
    programmer_end, pump_end = link_pair()
    programmer_port: Port = programmer_end
    if faults is not None:
        programmer_port = FaultyPort(programmer_end, seed, outbound=faults[0], inbound=faults[1])
    pump_keys = PumpKeys.load(pump_file)
    firmware = Firmware(
        pump_end,
        pump_keys,
        directory / "pump.sqlite",
        config=config,
        simulator=simulator,
        paused=paused,
    )
    firmware.start()
    keys = {role: DeviceKey.load(path) for role, path in device_files.items()}
    b = Bench(directory, firmware, pump_end, programmer_port, keys, pump_keys)
    try:
        yield b
    finally:
        b.firmware.stop()
        programmer_end.close()
