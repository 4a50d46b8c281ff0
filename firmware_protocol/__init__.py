"""firmware_protocol: the pump's telemetry wire, its firmware, and the client a programmer uses.

The folders are the layers, bottom up: `wire` (frames, messages, one codec), `line` (transports,
the line's fault model, the reliable link, virtual time), `session` (keys, handshake, encryption),
then `device` (the firmware behind a port) beside `client` (what a programmer calls), and on top
`contract` (schema, generated spec, frozen vectors) and `harness` (simulated pumps, the pty pump,
recordings, the pytest plugin). The layers are declared as import-linter contracts in
pyproject.toml. The wire format is specified in docs/protocol.md.

The names a user needs are importable from here (`from firmware_protocol import PumpClient`); they
are loaded on first use, so importing one layer does not pull in the others. Modules imported by
their pre-0.2 paths (`firmware_protocol.security`) still load, with a DeprecationWarning.
"""

import importlib
import logging
from typing import Any

import serial

from pumpsim.moved import alias_moved_modules

# A library logs, its user decides where to: without this, Python's last-resort handler printed
# every refused command of a swarm's million to stderr. `pumpsim serve` installs a real handler.
logging.getLogger("pumpsim").addHandler(logging.NullHandler())

# pyserial finds `pumpsim://` URLs here (harness/protocol_pumpsim.py).
if "firmware_protocol.harness" not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append("firmware_protocol.harness")

alias_moved_modules(
    __name__,
    {
        **{m: f"wire.{m}" for m in ("cobs", "frame", "codec", "records", "messages", "convert")},
        "vocabulary": "wire.vocabulary",
        **{m: f"line.{m}" for m in ("transport", "line_faults", "field_faults", "link")},
        "virtual_time": "line.virtual_time",
        **{m: f"session.{m}" for m in ("security", "handshake")},
        **{m: f"device.{m}" for m in ("firmware", "handlers", "journal", "store", "bulk")},
        **{m: f"device.{m}" for m in ("reject", "clock")},
        "commands": "device.dispatch",
        "async_client": "client.async_client",
        "client_errors": "client.errors",
        "recovery": "client.recovery",
        **{m: f"contract.{m}" for m in ("schema", "vectors", "error_catalogue")},
        "spec": "contract.protocol_doc",
        **{m: f"harness.{m}" for m in ("simulated", "pty_pump", "recording", "pytest_plugin")},
    },
)

_EXPORTS = {
    "PumpClient": "firmware_protocol.client.pump_client",
    "AsyncPumpClient": "firmware_protocol.client.async_client",
    "ClientError": "firmware_protocol.client.errors",
    "DeviceError": "firmware_protocol.client.errors",
    "LinkLostError": "firmware_protocol.client.errors",
    "OutcomeUncertainError": "firmware_protocol.client.errors",
    "AuthenticationError": "firmware_protocol.client.errors",
    "Firmware": "firmware_protocol.device.firmware",
    "SimulatedPump": "firmware_protocol.harness.simulated",
    "simulated_pump": "firmware_protocol.harness.simulated",
    "serve_on_pty": "firmware_protocol.harness.pty_pump",
    "LineFaults": "firmware_protocol.line.line_faults",
    "VirtualSerial": "firmware_protocol.line.serial_port",
    "FaultyPort": "firmware_protocol.line.transport",
    "RecordingPort": "firmware_protocol.line.transport",
    "DeviceKey": "firmware_protocol.session.security",
    "PumpKeys": "firmware_protocol.session.security",
    "Role": "firmware_protocol.wire.messages",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load a public name from the module that holds it, on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'firmware_protocol' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
