"""Kill -9 the firmware process at random points of a command stream; nothing acknowledged is lost.

The pump runs as `pumpsim serve` in a subprocess on a TCP port. A programmer streams commands
(advance the clock, patient bolus requests) and remembers every reply it got. At a random moment
the process is killed with SIGKILL and started again on the same state file. After each restart
every acknowledged transaction must be known to the pump with the very reply it gave, a command
whose reply was lost must resolve to applied-once or not-applied, and the pump's log must hold
exactly the boluses those replies granted.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import serial

from firmware_protocol.client.pump_client import (
    ClientError,
    LinkLostError,
    OutcomeUncertainError,
    PumpClient,
)
from firmware_protocol.line.transport import close_port
from firmware_protocol.session.security import DeviceKey
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.messages import Role
from pumpsim import Continuous, Mix, PatientBolusSettings, TherapyProgram

PROGRAM = TherapyProgram(Continuous(0.3), PatientBolusSettings(0.001, 60.0, 60.0, 24))


_drains: dict[int, threading.Thread] = {}


def _stop(proc: subprocess.Popen[str]) -> None:
    """Kill (if still running), reap, and close its pipe once the drain has read it out."""
    proc.kill()
    proc.wait()
    drain = _drains.pop(proc.pid, None)
    if drain is not None:
        drain.join(5)
    if proc.stdout is not None:
        proc.stdout.close()


def _start(keys: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "pumpsim_cli.main", "serve", "--tcp", "0", "--no-pacing"),
            *("--simulator", "--paused", "--keys", str(keys)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        found = re.search(r"serving on (socket://\S+)", line)
        if found:
            drain = threading.Thread(target=proc.stdout.read, daemon=True)
            drain.start()
            _drains[proc.pid] = drain
            return proc, found.group(1)
    raise AssertionError(f"server did not start: {proc.wait()}")


def _client(url: str, key: DeviceKey) -> PumpClient:
    port = serial.serial_for_url(url, timeout=0.01)
    client = PumpClient(port, key, reply_timeout_s=1.5, handshake_timeout_s=3.0)
    client.connect()
    return client


def test_acknowledged_commands_survive_kill_9(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    rng = random.Random(20261124)
    acknowledged: dict[int, object] = {}  # txn -> reply received
    uncertain: list[OutcomeUncertainError] = []
    proc, url = _start(keys_dir)
    key = DeviceKey.load(keys_dir / "simulator.key")
    try:
        client = _client(url, key)
        client.refill_withdraw()
        client.refill_fill(20.0, Mix.of(morphine=1000.0), PROGRAM)
        for _round in range(2):
            # The kill is armed once this round has four replies (so a slow machine still
            # meets it mid-stream with acknowledged commands behind it), at a random moment.
            kill = threading.Timer(rng.uniform(0.05, 0.2), os.kill, (proc.pid, signal.SIGKILL))
            replies = 0
            while True:
                try:
                    for msg in (
                        m.SimAdvance(client.new_txn(), 90.0),
                        m.PatientBolusRequest(client.new_txn()),
                    ):
                        acknowledged[msg.txn] = client.request(msg)
                        replies += 1
                        if replies == 4:
                            kill.start()
                except OutcomeUncertainError as e:
                    uncertain.append(e)
                    break
                except (LinkLostError, ClientError):
                    break
            assert proc.wait() == -signal.SIGKILL  # killed mid-stream, not ended
            _stop(proc)
            close_port(client.port)
            proc, url = _start(keys_dir)
            client = _client(url, key)
            for txn, reply in acknowledged.items():
                status = client.request(m.TxnQuery(txn))
                assert status.known, f"acknowledged txn {txn:016x} lost"
                stored = codec.decode(m.MESSAGES[status.response_type], status.response)
                assert stored == reply
        resolved = {e.txn: client.resolve(e) for e in uncertain}
        granted_replies = [
            r
            for r in [*acknowledged.values(), *resolved.values()]
            if isinstance(r, m.PatientBolusResult) and r.outcome == "granted"
        ]
        log = client.read_log()
        granted_in_log = [r for r in log.records if r.kind == "patient_bolus_granted"]
        assert len(granted_in_log) == len(granted_replies)
        client.close()
        close_port(client.port)
    finally:
        _stop(proc)


def test_a_new_state_file_is_a_new_pump_and_a_killed_one_comes_back(tmp_path: Path) -> None:
    key_file = tmp_path / "k" / f"{Role.CLINICIAN}.key"
    proc, url = _start(tmp_path / "k")
    try:
        client = _client(url, DeviceKey.load(key_file))
        status = client.interrogate()
        assert status.reservoir_ml == 0.0
        assert status.refill_in_progress
        client.refill_withdraw()
        client.refill_fill(10.0, Mix.of(morphine=1000.0), PROGRAM)
        client.close()
        close_port(client.port)
    finally:
        _stop(proc)
    proc, url = _start(tmp_path / "k")
    try:
        client = _client(url, DeviceKey.load(key_file))
        assert client.read_status().reservoir_ml == pytest.approx(10.0)
        client.close()
        close_port(client.port)
    finally:
        _stop(proc)
