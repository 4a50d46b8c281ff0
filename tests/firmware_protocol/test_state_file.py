"""A state file whose snapshot cannot be read: refused unread, and the pump says it lost its memory.

The planted snapshots are 0.1's exploit (a pickle that reaches `os.system` through `getattr`) in
0.1's format and dressed up as today's, and a torn one. Whichever the firmware meets at power-up,
it runs nothing, starts stopped with its memory-error alarm latched and the reset logged, as a
device does whose memory failed its check, and goes on from there.
"""

from __future__ import annotations

import contextlib
import logging
import zlib
from pathlib import Path

import pytest
import serial

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.device.store import NvStore
from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.session.security import DeviceKey
from firmware_protocol.wire.messages import Role
from pumpsim import AlarmKind, Continuous, LogKind, Mix, Stopped, TherapyProgram
from pumpsim.engine.snapshot import FORMAT_VERSION, MAGIC

from exploits import getattr_chain_exploit
from serving import pumpsim_serve


def _plant(path: Path, snapshot: bytes) -> None:
    store = NvStore(path)
    try:
        stored = store.latest_snapshot()
        sim_s = stored.sim_s if stored is not None else 0.0
        store.commit(sim_s=sim_s, op="interrogate", args={}, snapshot=snapshot)
    finally:
        store.close()


def _framed(body: bytes) -> bytes:
    return MAGIC + FORMAT_VERSION.to_bytes(2, "big") + zlib.crc32(body).to_bytes(4, "big") + body


def _plants(marker: Path) -> dict[str, bytes]:
    exploit = getattr_chain_exploit(marker)
    return {
        "format-1 exploit": MAGIC + (1).to_bytes(2, "big") + exploit,
        "exploit as format 2": _framed(exploit),
        "torn": _framed(b"\x0f\x00\x07"),
    }


@pytest.mark.parametrize("kind", ["format-1 exploit", "exploit as format 2", "torn"])
def test_an_unreadable_snapshot_at_power_up_is_a_memory_reset_not_code(
    tmp_path: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "pump.sqlite"
    sim = simulated_pump(seed=3, store=NvStore(path))
    client = sim.client(Role.CLINICIAN)
    client.refill_withdraw()
    client.refill_fill(20.0, Mix.of(morphine=1000.0), TherapyProgram(Continuous(0.3)))
    sim.kill()
    sim.store.close()
    _plant(path, _plants(marker)[kind])
    with caplog.at_level(logging.ERROR, logger="pumpsim.firmware"):
        again = simulated_pump(seed=3, store=NvStore(path))
    pump = again.firmware.pump
    assert not marker.exists()
    assert isinstance(pump.program.basal, Stopped)
    assert AlarmKind.MEMORY_ERROR in {a.kind for a in pump.alarms}
    assert pump.log.of_kind(LogKind.PUMP_RESET)
    code = "SNAPSHOT_FORMAT_OUTDATED" if kind.startswith("format-1") else "SNAPSHOT_INVALID"
    assert code in caplog.text
    # And it goes on: the clinician reprograms, and that survives the next power-up.
    again.client(connect=False)  # (the first run's programmer drew these transaction ids)
    fresh = again.client(Role.CLINICIAN)
    fresh.acknowledge_alarms()
    review = fresh.stage_program(TherapyProgram(Continuous(0.2)))
    fresh.confirm_program(review.stage_id)
    again.restart()
    assert again.firmware.pump.program.basal == Continuous(0.2)
    again.close()


def test_pumpsim_serve_on_a_planted_state_file_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    keys = tmp_path / "keys"
    with pumpsim_serve("--tcp", "0", "--no-pacing", "--paused", "--keys", str(keys)):
        pass  # made the keys and the state file
    _plant(keys / "pump.sqlite", _plants(marker)["format-1 exploit"])
    serve = pumpsim_serve("--tcp", "0", "--no-pacing", "--paused", "--keys", str(keys))
    with serve as served, contextlib.closing(serial.serial_for_url(served.address)) as line:
        line.timeout = 0.01
        client = PumpClient(line, DeviceKey.load(keys / "clinician.key"))
        client.connect()
        status = client.interrogate()
        client.close()
    assert not marker.exists()
    assert "memory_error" in {a.kind for a in status.alarms}
    assert status.program.mode == "stopped"
