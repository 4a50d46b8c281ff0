"""A simulated pump served inside the programmer's own process, for the demo and the tests.

The firmware runs on its own thread behind an in-process link pair; the programmer reaches it
through the same client and the same encrypted protocol as any pump on a serial line. Keys are
paired fresh into a private directory; nothing is hard-coded.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from firmware_protocol.firmware import Firmware
from firmware_protocol.messages import Role
from firmware_protocol.security import DeviceKey, PumpKeys, provision
from firmware_protocol.transport import PairPort, link_pair
from pumpsim import PumpConfig


@dataclass
class EmbeddedPump:
    firmware: Firmware
    programmer_port: PairPort
    keys: dict[Role, DeviceKey]
    directory: Path

    @classmethod
    def start(
        cls,
        directory: Path | None = None,
        *,
        acceleration: float = 1.0,
        paused: bool = False,
        config: PumpConfig | None = None,
        seed: int | None = None,
    ) -> EmbeddedPump:
        where = directory or Path(tempfile.mkdtemp(prefix="pump-programmer-"))
        # A seed fixes the identity too, for screenshots that do not change from run to run.
        pump_id = f"SIM-{seed:08d}" if seed is not None else None
        pump_file, device_files = provision(where, pump_id=pump_id)
        keys = PumpKeys.load(pump_file)
        programmer, pump_end = link_pair()
        firmware = Firmware(
            pump_end,
            keys,
            where / "pump.sqlite",
            config=config,
            simulator=True,
            acceleration=acceleration,
            paused=paused,
            rng=random.Random(seed) if seed is not None else None,
        )
        firmware.start()
        return cls(
            firmware,
            programmer,
            {role: DeviceKey.load(path) for role, path in device_files.items()},
            where,
        )

    def stop(self) -> None:
        self.firmware.stop()
        self.programmer_port.close()
