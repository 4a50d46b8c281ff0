"""`pumpsim serve --tcp`: one pump for every connection in turn, one programmer at a time.

A wall-clock driver's test: real sockets, a real server process.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from pathlib import Path

import serial

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.line.transport import close_port
from firmware_protocol.session.security import DeviceKey
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import FrameDecoder

from serving import pumpsim_serve


def test_a_second_programmer_is_refused_and_a_silent_one_dropped(tmp_path: Path) -> None:
    options = ("--tcp", "0", "--no-pacing", "--idle-timeout", "1", "--keys", str(tmp_path / "k"))
    with pumpsim_serve(*options) as served, contextlib.ExitStack() as cleanup:
        port = int(served.address.rsplit(":", 1)[1])
        silent = socket.create_connection(("127.0.0.1", port))
        cleanup.callback(silent.close)
        time.sleep(0.2)  # the server takes the first connection
        second = socket.create_connection(("127.0.0.1", port))
        cleanup.callback(second.close)
        second.settimeout(2.0)
        started = time.monotonic()
        received = b""
        while chunk := second.recv(4096):  # the refusal, then the server closes it
            received += chunk
        assert time.monotonic() - started < 2.0
        (frame,) = FrameDecoder().feed(received)
        refusal = codec.decode(m.ErrorReply, frame.payload)
        assert refusal.code == m.WireError.PUMP_BUSY
        silent.settimeout(3.0)
        assert silent.recv(4096) == b""  # dropped after the idle timeout
        url = f"socket://127.0.0.1:{port}"
        key = DeviceKey.load(tmp_path / "k" / "clinician.key")
        line = serial.serial_for_url(url, timeout=0.01)
        cleanup.callback(close_port, line)
        client = PumpClient(line, key)
        client.connect()  # the next one is served, by the same pump
        assert client.interrogate().pump_id == key.pump_id
        client.close()
        time.sleep(0.1)
        text = served.text
        assert "refused: the pump is busy" in text
        assert "dropped: silent" in text
        served_lines = [
            x for x in text.splitlines() if "connection from" in x and "refused" not in x
        ]
        assert len(served_lines) == 2
        assert "opened by clinician-1 as clinician" in text  # the firmware's own record


def test_the_log_is_json_lines_on_request(tmp_path: Path) -> None:
    with pumpsim_serve("--keys", str(tmp_path / "k"), "--log-json") as served:
        port = serial.Serial(served.address, 115200, timeout=0.01)
        client = PumpClient(port, DeviceKey.load(tmp_path / "k" / "clinician.key"))
        client.connect()
        client.close()
        port.close()
        deadline = time.monotonic() + 5  # the server's lines arrive through a pipe
        opened: list[dict[str, str]] = []
        while not opened and time.monotonic() < deadline:
            records = [json.loads(x) for x in list(served.lines) if x.startswith("{")]
            opened = [r for r in records if "opened by clinician-1" in r["message"]]
            time.sleep(0.02)
    assert opened
    assert opened[0]["logger"] == "pumpsim.firmware"
    assert opened[0]["level"] == "info"
