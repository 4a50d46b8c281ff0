"""The programmer's one door to a pump: the firmware_protocol client, made awaitable.

Every call runs the synchronous client on a worker thread (one at a time), so the UI never blocks
on the line. The UI sees protocol messages and typed errors, nothing else of the pump.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import serial

from firmware_protocol.client.async_client import AsyncPumpClient
from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.line.transport import Port, close_port, open_port
from firmware_protocol.session.security import DeviceKey

P = ParamSpec("P")
R = TypeVar("R")


class Backend:
    def __init__(self, client: PumpClient) -> None:
        self.sync = client
        self._async = AsyncPumpClient(client)

    @classmethod
    def open(
        cls, url: str, key: DeviceKey, baud: int = 115200, handshake_timeout_s: float = 3.0
    ) -> Backend:
        """Open a pyserial URL or device path; raises OSError/SerialException if absent/busy."""
        port: Port = open_port(url, baud, timeout=0.01)
        return cls(PumpClient(port, key, handshake_timeout_s=handshake_timeout_s))

    async def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        return await self._async.call(fn, *args, **kwargs)

    def close_port(self) -> None:
        with contextlib.suppress(OSError, serial.SerialException):
            close_port(self.sync.port)
