"""The tamper-evident event log: every record chained and signed by the pump, checked by the
programmer on download and by `pumpsim verify-log` on a state file or an exported log.

"Edited" here means what someone with the state file and this code could do: decode the stored
snapshot, change a record, encode it again with a good checksum (or change a journal entry), and
put it back. Only the pump's signing key, which they lack, could make the seals agree.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_protocol.device.log_audit import verify_state_file
from firmware_protocol.device.store import NvStore
from firmware_protocol.harness.simulated import SimulatedPump, simulated_pump
from firmware_protocol.session import log_seal
from firmware_protocol.wire.messages import Role
from pumpsim import Continuous, Mix, PatientBolusSettings, Pump, TherapyProgram
from pumpsim_cli.main import main as cli

PROGRAM = TherapyProgram(Continuous(0.3), PatientBolusSettings(0.01, 600.0, 600.0, 8))


def _lived(path: Path | None = None, seed: int = 11) -> SimulatedPump:
    """A pump with a few days of history: a fill, boluses, a program change, an alarm."""
    sim = simulated_pump(seed=seed, store=NvStore(path) if path else None)
    client = sim.client(Role.SIMULATOR)
    client.refill_withdraw()
    client.refill_fill(20.0, Mix.of(morphine=1000.0), PROGRAM)
    for _ in range(3):
        client.sim_advance(3 * 3600.0)
        client.patient_bolus()
    review = client.stage_program(TherapyProgram(Continuous(0.25), PROGRAM.patient_bolus))
    client.confirm_program(review.stage_id)
    client.sim_advance(86_400.0)
    return sim


def test_a_downloaded_log_verifies_and_an_altered_one_does_not() -> None:
    sim = _lived()
    client = sim.client(Role.CLINICIAN)
    sealed = client.read_sealed_log()
    assert sealed.verdict is not None
    assert sealed.verdict.verified
    assert sealed.verdict.records == len(sealed.page.records) > 8
    assert sealed.seal is not None
    records = list(sealed.page.records)
    records[3] = dataclasses.replace(records[3], at_s=records[3].at_s + 1.0)
    public = client.key.pump_public_key
    verdict = log_seal.verify_page(records, sealed.seal, public, client.key.pump_id)
    assert not verdict.verified
    other = simulated_pump(seed=12).pump_keys.public_key  # another pump's key
    fake = log_seal.verify_page(sealed.page.records, sealed.seal, other, client.key.pump_id)
    assert not fake.verified
    assert "not signed by this pump" in fake.reason
    sim.close()


def test_seals_survive_a_power_cut_and_the_log_still_verifies(tmp_path: Path) -> None:
    sim = _lived(tmp_path / "pump.sqlite")
    sim.restart()
    client = sim.client(Role.CLINICIAN)
    client.interrogate()
    assert client.read_sealed_log().verdict == log_seal.LogVerdict(True, len(sim.pump.log))
    sim.kill()
    keys = sim.pump_keys
    verdict = verify_state_file(tmp_path / "pump.sqlite", keys.public_key, keys.pump_id)
    assert verdict.verified, verdict


def _edit_snapshot_record(path: Path, index: int) -> None:
    """Decode the stored snapshot, change record `index`'s time, write it back checksummed."""
    db = sqlite3.connect(path)
    journal_id, data = db.execute(
        "SELECT journal_id, data FROM snapshots ORDER BY journal_id DESC LIMIT 1"
    ).fetchone()
    pump = Pump.restore(data)
    log = pump._c.ledger.log
    log._thaw()
    rows = list(log._records)
    at = [r[0] for r in rows].index(index)
    i, t, kind, details = rows[at]
    rows[at] = (i, t + 0.5, kind, details)
    log._records.clear()
    log._records.extend(rows)
    db.execute("UPDATE snapshots SET data = ? WHERE journal_id = ?", (pump.snapshot(), journal_id))
    db.commit()
    db.close()


def _snapshotted(tmp_path: Path) -> tuple[Path, SimulatedPump]:
    path = tmp_path / "pump.sqlite"
    sim = _lived(path)
    sim.firmware.snapshot_every = 1
    sim.client(Role.CLINICIAN).interrogate()  # a command, so a snapshot holds the whole log
    sim.kill()
    sim.store.close()
    return path, sim


@settings(max_examples=10, deadline=None)
@given(which=st.integers(0, 1000))
def test_editing_any_record_in_a_state_file_is_named(
    tmp_path_factory: pytest.TempPathFactory, which: int
) -> None:
    tmp_path = tmp_path_factory.mktemp("edit")
    path, sim = _snapshotted(tmp_path)
    store = NvStore.read_only_copy(path)
    held = sorted(store.seals())
    store.close()
    index = held[which % len(held)]
    _edit_snapshot_record(path, index)
    keys = sim.pump_keys
    verdict = verify_state_file(path, keys.public_key, keys.pump_id)
    assert not verdict.verified
    assert verdict.first_bad_index == index


def test_a_changed_journal_entry_or_a_lost_seal_is_named(tmp_path: Path) -> None:
    path = tmp_path / "pump.sqlite"
    sim = _lived(path)
    sim.kill()
    sim.store.close()
    keys = sim.pump_keys
    db = sqlite3.connect(path)
    first = db.execute("SELECT MIN(idx) FROM log_chain").fetchone()[0]
    db.execute("DELETE FROM log_chain WHERE idx = ?", (first + 2,))
    db.commit()
    db.close()
    lost = verify_state_file(path, keys.public_key, keys.pump_id)
    assert (lost.verified, lost.first_bad_index) == (False, first + 2)
    assert "no seal" in lost.reason


def test_an_exported_log_verifies_and_names_an_edited_record(tmp_path: Path) -> None:
    sim = _lived()
    client = sim.client(Role.CLINICIAN)
    sealed = client.read_sealed_log()
    assert sealed.seal is not None
    data = log_seal.export(client.key.pump_id, sealed.page.records, sealed.seal)
    public = client.key.pump_public_key
    assert log_seal.verify_export(data, public).verified
    edited = json.loads(json.dumps(data))
    edited["records"][4]["details_json"] = "{}"
    verdict = log_seal.verify_export(edited, public)
    assert (verdict.verified, verdict.first_bad_index) == (False, sealed.page.records[4].index)
    # Rewriting the chain values too does not help: the end is not what the pump signed.
    values = log_seal.chain(
        bytes.fromhex(edited["anchor"]),
        [
            dataclasses.replace(r, details_json=e["details_json"])
            for r, e in zip(sealed.page.records, edited["records"], strict=True)
        ],
    )
    for e, v in zip(edited["records"], values, strict=True):
        e["chain"] = v.hex()
    forged = log_seal.verify_export(edited, public)
    assert not forged.verified
    assert "not those the pump chained" in forged.reason
    # The command line says the same, with exit status 0 and 1.
    good, bad = tmp_path / "log.json", tmp_path / "edited.json"
    good.write_text(json.dumps(data))
    bad.write_text(json.dumps(edited))
    key = tmp_path / "clinician.key"
    client.key.save(key)
    assert cli(["verify-log", str(good), "--key", str(key)]) == 0
    assert cli(["verify-log", str(bad), "--key", str(key)]) == 1
    sim.close()


def test_verify_log_on_a_state_file_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, sim = _snapshotted(tmp_path)
    sim.pump_keys.save(tmp_path / "pump.keys")
    assert cli(["verify-log", str(path)]) == 0
    assert "verified" in capsys.readouterr().out
    store = NvStore.read_only_copy(path)
    index = sorted(store.seals())[3]
    store.close()
    _edit_snapshot_record(path, index)
    assert cli(["verify-log", str(path)]) == 1
    assert f"DOES NOT VERIFY: record {index}" in capsys.readouterr().out
    assert cli(["verify-log", str(tmp_path / "nothing.sqlite")]) == 2
