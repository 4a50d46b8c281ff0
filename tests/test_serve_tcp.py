"""`pumpsim serve --tcp`: one pump for every connection in turn, one programmer at a time.

A wall-clock driver's test: real sockets, a real server process.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import serial

from firmware_protocol import codec
from firmware_protocol import messages as m
from firmware_protocol.client import PumpClient
from firmware_protocol.frame import FrameDecoder
from firmware_protocol.security import DeviceKey


def _serve(keys: Path) -> tuple[subprocess.Popen[str], int, list[str]]:
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "pumpsim_cli.main", "serve", "--tcp", "0", "--no-pacing"),
            *("--idle-timeout", "1", "--keys", str(keys)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    log: list[str] = []
    for line in proc.stdout:
        log.append(line)
        found = re.search(r"socket://127\.0\.0\.1:(\d+)", line)
        if found:

            def drain() -> None:
                assert proc.stdout is not None
                log.extend(proc.stdout)

            threading.Thread(target=drain, daemon=True).start()
            return proc, int(found.group(1)), log
    raise AssertionError(f"no server: {log}")


def test_a_second_programmer_is_refused_and_a_silent_one_dropped(tmp_path: Path) -> None:
    proc, port, log = _serve(tmp_path / "k")
    try:
        silent = socket.create_connection(("127.0.0.1", port))
        time.sleep(0.2)  # the server takes the first connection
        second = socket.create_connection(("127.0.0.1", port))
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
        client = PumpClient(serial.serial_for_url(url, timeout=0.01), key)
        client.connect()  # the next one is served, by the same pump
        assert client.interrogate().pump_id == key.pump_id
        client.close()
        time.sleep(0.1)
        text = "".join(log)
        assert "refused" in text
        assert "dropped: silent" in text
        assert text.count("connection from") == 2
    finally:
        proc.kill()
        proc.wait()
