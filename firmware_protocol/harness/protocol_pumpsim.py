"""`pumpsim://` for pyserial: `serial.serial_for_url("pumpsim://?seed=7&keys=DIR")` is a port with a
simulated pump of its own behind it, on virtual time.

Why a URL handler: pyserial's own way to add a transport (`loop://`, `socket://`, `rfc2217://`),
so an engineer's programmer that takes a URL runs against a pump unchanged. pyserial finds this
module as `<package>.protocol_pumpsim` once `firmware_protocol.harness` is in
`serial.protocol_handler_packages` (importing `firmware_protocol` or loading its pytest plugin
puts it there).

Query parameters: `seed` (default 0: the same pump and keys every time), `keys` (a folder the
pump's key files are written to, as `pumpsim serve` writes them: `pump.keys`, `clinician.key`,
`patient.key`, `simulator.key`), `simulator` (0 to serve without the simulator role),
`paused` (0 to let the pump's clock run with virtual time). The port's `pump` attribute is the
`SimulatedPump` behind it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import serial

from firmware_protocol.harness.simulated import SimulatedPump, simulated_pump
from firmware_protocol.line.serial_port import VirtualSerial
from firmware_protocol.line.virtual_time import SimPort
from firmware_protocol.session.private_files import private_dir


def _flag(params: dict[str, list[str]], name: str, default: bool) -> bool:
    values = params.get(name)
    if not values:
        return default
    if values[-1] not in ("0", "1"):
        raise ValueError(f"pumpsim:// {name} must be 0 or 1, got {values[-1]!r}")
    return values[-1] == "1"


class Serial(VirtualSerial):
    """pyserial's class for `pumpsim://` URLs."""

    pump: SimulatedPump | None = None

    def open(self) -> None:
        if self.port is None:
            raise serial.SerialException("a pumpsim:// URL is needed to open this port")
        url = urlsplit(str(self.port))
        if url.scheme != "pumpsim":
            raise serial.SerialException(f"not a pumpsim:// URL: {self.port}")
        params = parse_qs(url.query)
        try:
            seed = int(params.get("seed", ["0"])[-1])
        except ValueError:
            raise serial.SerialException(
                f"pumpsim:// seed must be a whole number: {url.query}"
            ) from None
        try:
            simulator = _flag(params, "simulator", True)
            paused = _flag(params, "paused", True)
        except ValueError as e:
            raise serial.SerialException(str(e)) from None
        self.pump = simulated_pump(seed=seed, simulator=simulator, paused=paused)
        if params.get("keys"):
            folder = private_dir(Path(params["keys"][-1]))
            self.pump.pump_keys.save(folder / "pump.keys")
            for role, key in self.pump.device_keys.items():
                key.save(folder / f"{role}.key")
        end = self.pump.programmer_port
        assert isinstance(end, SimPort)
        self._end = end
        super().open()

    def close(self) -> None:
        super().close()
        if self.pump is not None:
            self.pump.close()
            self.pump = None
