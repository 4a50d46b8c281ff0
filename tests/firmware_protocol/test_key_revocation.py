"""Revoking a lost device's key and rotating a device's key: the pump's state stays, the old key
is refused at its first word with KEY_REVOKED, and the pump's event log says what happened."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware_protocol.client.errors import AuthenticationError
from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.device.store import NvStore
from firmware_protocol.harness.simulated import SimulatedPump, simulated_pump
from firmware_protocol.session.security import DeviceKey, PumpKeys, provision
from firmware_protocol.wire.messages import Role
from pumpsim import Continuous, LogKind, Mix, TherapyProgram
from pumpsim_cli.main import main as cli


def _implanted(path: Path) -> SimulatedPump:
    sim = simulated_pump(seed=31, store=NvStore(path))
    client = sim.client(Role.CLINICIAN)
    client.refill_withdraw()
    client.refill_fill(20.0, Mix.of(morphine=1000.0), TherapyProgram(Continuous(0.3)))
    return sim


def _connect(sim: SimulatedPump, key: DeviceKey) -> PumpClient:
    client = PumpClient(sim.programmer_port, key, monotonic=sim.monotonic)
    client.connect()
    return client


def test_a_revoked_key_is_refused_with_its_own_code_and_logged(tmp_path: Path) -> None:
    sim = _implanted(tmp_path / "pump.sqlite")
    lost = sim.device_keys[Role.PATIENT]
    sim.pump_keys = sim.pump_keys.revoke(lost.device_id)
    sim.restart()
    with pytest.raises(AuthenticationError) as refused:
        _connect(sim, lost)
    assert refused.value.code == "KEY_REVOKED"
    clinic = _connect(sim, sim.device_keys[Role.CLINICIAN])
    assert clinic.read_status().program.rate_ml_per_day == 0.3  # the pump's state is its own
    logged = sim.pump.log.of_kind(LogKind.KEY_REVOKED)
    assert [dict(r.details) for r in logged] == [{"device": lost.device_id}]
    sim.restart()  # logged once, not at every start
    assert len(sim.pump.log.of_kind(LogKind.KEY_REVOKED)) == 1
    clinic.connect()  # (a new session after the power cut)
    verdict = clinic.read_sealed_log().verdict
    assert verdict is not None
    assert verdict.verified  # the key change is in the signed log like any record


def test_a_rotated_key_replaces_the_old_one(tmp_path: Path) -> None:
    sim = _implanted(tmp_path / "pump.sqlite")
    old = sim.device_keys[Role.CLINICIAN]
    sim.pump_keys, new = sim.pump_keys.rotate(old.device_id)
    sim.restart()
    assert new.device_id == f"{old.device_id}#2"
    with pytest.raises(AuthenticationError) as refused:
        _connect(sim, old)
    assert refused.value.code == "KEY_REVOKED"
    assert _connect(sim, new).read_status().reservoir_ml > 0
    assert sim.pump.log.of_kind(LogKind.KEY_ROTATED)[0].details == {"device": old.device_id}
    again, newer = sim.pump_keys.rotate(new.device_id)
    assert newer.device_id == f"{old.device_id}#3"
    assert again.retired == {old.device_id: "rotated", new.device_id: "rotated"}


def test_pumpsim_pair_revokes_and_rotates_in_the_key_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    provision(keys)
    before = DeviceKey.load(keys / "clinician.key")
    assert cli(["pair", "--keys", str(keys), "--rotate", before.device_id]) == 0
    after = DeviceKey.load(keys / "clinician.key")
    assert after.device_id == f"{before.device_id}#2"
    assert after.key != before.key
    assert after.pump_public_key == PumpKeys.load(keys / "pump.keys").public_key
    assert cli(["pair", "--keys", str(keys), "--revoke", "patient-1"]) == 0
    assert not (keys / "patient.key").exists()
    pump = PumpKeys.load(keys / "pump.keys")
    assert pump.retired == {before.device_id: "rotated", "patient-1": "revoked"}
    assert set(pump.devices) == {after.device_id, "simulator-1"}
    capsys.readouterr()
    assert cli(["pair", "--keys", str(keys), "--revoke", "nobody"]) == 2
    assert "no device 'nobody'" in capsys.readouterr().err
