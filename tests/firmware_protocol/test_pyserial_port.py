"""The simulated line's programmer end is a real pyserial port: a programmer that uses only
pyserial's API runs on `pumpsim://` URLs and on the plugin's `virtual_pump.port` alike."""

from __future__ import annotations

import socket
import struct
from pathlib import Path
from typing import Any

import pytest
import serial
from pyserial_programmer import PyserialProgrammer

import firmware_protocol  # noqa: F401  (registers pumpsim:// with pyserial)
from firmware_protocol.harness.simulated import SimulatedPump
from firmware_protocol.line.transport import PacedPort, close_port, open_port
from firmware_protocol.session.security import DeviceKey
from firmware_protocol.wire import messages as m


def _session(port: Any, key: DeviceKey) -> m.Status:
    programmer = PyserialProgrammer(port, key)
    ok = programmer.handshake()
    assert ok.role == "clinician"
    status = programmer.request(m.ReadStatus())
    assert isinstance(status, m.Status)
    assert port.in_waiting == 0
    port.timeout = 0.5
    assert port.readline() == b""  # nothing more: half a second of virtual time, no wall time
    return status


def test_a_pyserial_programmer_on_a_pumpsim_url(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    with serial.serial_for_url(f"pumpsim://?seed=7&keys={keys}", timeout=2.0) as port:
        assert isinstance(port, serial.SerialBase)
        assert port.is_open
        port.baudrate = 115200
        port.reset_output_buffer()
        assert port.out_waiting == 0
        status = _session(port, DeviceKey.load(keys / "clinician.key"))
        assert status.pump_id == "SIM-00000007"
        assert port.pump is not None  # type: ignore[attr-defined]
        assert port.pump.firmware.pump.status().at_s == status.at_s  # type: ignore[attr-defined]
    assert not port.is_open
    assert sorted(p.name for p in keys.iterdir()) == [
        "clinician.key",
        "patient.key",
        "pump.keys",
        "simulator.key",
    ]


def test_a_pyserial_programmer_on_the_plugins_virtual_pump(virtual_pump: SimulatedPump) -> None:
    port = virtual_pump.port
    assert isinstance(port, serial.SerialBase)
    with port:
        status = _session(port, virtual_pump.keys[m.Role.CLINICIAN])
        assert status.pump_id == virtual_pump.pump_keys.pump_id


def test_a_bad_pumpsim_url_is_a_serial_exception() -> None:
    with pytest.raises(serial.SerialException, match="simulator must be 0 or 1"):
        serial.serial_for_url("pumpsim://?simulator=yes")
    with pytest.raises(serial.SerialException, match="seed must be a whole number"):
        serial.serial_for_url("pumpsim://?seed=x")


def _read_until_reset(port: Any) -> None:
    while True:
        port.read(1)


@pytest.mark.parametrize("paced", [False, True])
def test_a_socket_port_whose_pump_has_gone_is_closed_for_good(paced: bool) -> None:
    """A pump that resets the connection (refused, restarted): pyserial's own close of a
    `socket://` port would keep its descriptor open (its shutdown fails first); the programmer's
    close lets it go, directly or through a wrapper."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = open_port(f"socket://127.0.0.1:{server.getsockname()[1]}", timeout=0.01)
        accepted, _ = server.accept()
        accepted.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        accepted.close()  # a reset, not a goodbye
        sock = getattr(port, "_socket")  # noqa: B009
        with pytest.raises(serial.SerialException):
            _read_until_reset(port)
        close_port(PacedPort(port, 115200) if paced else port)
        assert sock.fileno() == -1
        assert not getattr(port, "is_open")  # noqa: B009
