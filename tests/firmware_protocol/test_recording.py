"""Session recordings: decoded for people, and replayed against a fresh firmware as a regression."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.device.firmware import Firmware
from firmware_protocol.harness import recording
from firmware_protocol.line.transport import RecordingPort, link_pair
from firmware_protocol.session.security import DeviceKey, PumpKeys, provision
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.messages import Role
from pumpsim import Continuous, TherapyProgram
from pumpsim_cli.main import main as cli

from builders import MORPHINE_10, patient_bolus

SEED = 99


def _recorded_session(tmp_path: Path) -> tuple[Path, PumpKeys, DeviceKey]:
    pump_file, device_files = provision(tmp_path / "keys")
    keys = PumpKeys.load(pump_file)
    key = DeviceKey.load(device_files[Role.CLINICIAN])
    programmer, pump_end = link_pair()
    firmware = Firmware(pump_end, keys, tmp_path / "a.sqlite", paused=True, rng=random.Random(SEED))
    firmware.start()
    path = tmp_path / "session.jsonl"
    with path.open("w") as sink:
        client = PumpClient(RecordingPort(programmer, sink), key)
        client.connect()
        client.refill_withdraw()
        client.refill_fill(20.0, MORPHINE_10, TherapyProgram(Continuous(0.4), patient_bolus()))
        review = client.stage_program(TherapyProgram(Continuous(0.5), patient_bolus()))
        client.confirm_program(review.stage_id)
        client.patient_bolus()
        client.interrogate()
        client.read_log()
        client.close()
    firmware.stop()
    return path, keys, key


def test_decoding_with_the_device_key_shows_every_message(tmp_path: Path) -> None:
    path, _, key = _recorded_session(tmp_path)
    frames = list(recording.decode_chunks(recording.load(path), key))
    sent = recording.application_messages(frames, "out")
    names = [type(x).__name__ for x in sent]
    assert names[:2] == ["Hello", "Auth"]
    for name in ["RefillWithdraw", "RefillFill", "StageProgram", "ConfirmProgram", "Interrogate"]:
        assert name in names
    replies = recording.application_messages(frames, "in")
    assert any(isinstance(r, m.ProgramReview) and r.accepted for r in replies)
    # Without the key only the handshake is readable.
    blind = recording.application_messages(recording.decode_chunks(recording.load(path)), "out")
    assert [type(x).__name__ for x in blind] == ["Hello", "Auth"]


def test_a_recording_replays_identically_against_a_fresh_firmware(tmp_path: Path) -> None:
    path, keys, key = _recorded_session(tmp_path)
    chunks = recording.load(path)
    result = recording.replay(chunks, keys, key, tmp_path / "b.sqlite", SEED, simulator=False)
    assert len(result.recorded) > 8
    assert result.replayed == result.recorded
    # The same session against a firmware configured differently is caught.
    differs = recording.replay(chunks, keys, key, tmp_path / "b2.sqlite", SEED, simulator=True)
    assert not differs.same


def test_replay_notices_a_firmware_that_answers_differently(tmp_path: Path) -> None:
    path, keys, key = _recorded_session(tmp_path)
    chunks = recording.load(path)
    other = recording.replay(chunks, keys, key, tmp_path / "c.sqlite", SEED + 1, simulator=False)
    assert not other.same  # another seed: another challenge, so the recorded session fails


def test_pumpsim_decode_prints_the_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, _ = _recorded_session(tmp_path)
    assert cli(["decode", str(path), "--key", str(tmp_path / "keys" / "clinician.key")]) == 0
    out = capsys.readouterr().out
    assert "Hello(role='clinician'" in out
    assert "ConfirmProgram(" in out
    assert "->" in out
    assert "<-" in out
    assert io.StringIO(out).readline().strip()
