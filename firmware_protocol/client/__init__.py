"""The programmer's side: a typed client over any port (sync and asyncio), its channel to the
pump (handshake, sealed frames, the reliable link), what its calls can raise, and the exactly-once
recovery of a command whose reply was lost.

May import: `firmware_protocol.session`, `.line`, `.wire`, `pumpsim`. Never the device.

`from firmware_protocol.client import PumpClient` (the pre-0.2 module's names) still works: they
are loaded from `pump_client` on first use.
"""

import importlib
from typing import Any

_FROM_PUMP_CLIENT = {
    "PumpClient",
    "LogPage",
    "Trend",
    "AuthenticationError",
    "ClientError",
    "DeviceError",
    "LinkLostError",
    "OutcomeUncertainError",
    "RequestTooLargeError",
}


def __getattr__(name: str) -> Any:
    if name not in _FROM_PUMP_CLIENT:
        raise AttributeError(f"module 'firmware_protocol.client' has no attribute {name!r}")
    return getattr(importlib.import_module("firmware_protocol.client.pump_client"), name)
