"""A client on a simulated pump's test rig: the simulator role, in-process, beside the line.

Why: the classroom's instructor console must read and perturb every trainee's pump while the
trainee's programmer holds that pump's one telemetry session. A test rig reaches a real device
through a debug port beside its radio; here `Firmware.rig` is that port, and `rig_client`
puts the whole typed client on it (every request through the firmware's dispatch, replay guard
and journal, exactly as from the line), so the console and the scenario player use the calls
they use everywhere else.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any

from firmware_protocol.client.errors import LinkLostError
from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.device.firmware import Firmware
from firmware_protocol.harness.tcp_pump import NoLine
from firmware_protocol.line.link import LinkStats
from firmware_protocol.line.transport import Port
from firmware_protocol.session.security import DeviceKey
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m

__all__ = ["RigCarrier", "rig_client"]


class RigCarrier:
    """Requests handed to `firmware.rig`; its replies read back in order."""

    def __init__(self, firmware: Firmware, key: DeviceKey) -> None:
        self.firmware = firmware
        self.key = key
        self.port: Port = NoLine()
        self.session: m.AuthOk | None = None
        self._inbox: deque[Any] = deque()

    @property
    def link_stats(self) -> LinkStats | None:
        return None

    @property
    def connected(self) -> bool:
        return self.session is not None

    def connect(self) -> m.AuthOk:
        f = self.firmware
        self.session = m.AuthOk(
            0, m.Role.SIMULATOR, f.sessions.idle_timeout_s, f.sessions.max_session_s, True,
            codec.CURRENT_VERSION,
        )  # fmt: skip
        return self.session

    def close(self) -> None:
        self.session = None

    def send(self, msg: Any) -> None:
        if self.session is None:
            raise LinkLostError("not connected")
        self._inbox.clear()
        self._inbox.extend(self.firmware.rig(msg))

    def next_reply(self, timeout_s: float) -> Any:
        if not self._inbox:
            raise LinkLostError("the rig gave no reply")
        return self._inbox.popleft()


def rig_client(firmware: Firmware, key: DeviceKey, *, seed: int | None = None) -> PumpClient:
    """A connected client on `firmware`'s rig port (`key`: whose name its requests go under)."""
    rng = random.Random(seed) if seed is not None else None
    carrier = RigCarrier(firmware, key)
    client = PumpClient(carrier.port, key, rng=rng, carrier=carrier)
    client.connect()
    return client
