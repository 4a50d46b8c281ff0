"""Key and state files at rest: private when the pump makes them, and refused when shared."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from firmware_protocol.device.store import NvStore
from firmware_protocol.session.security import provision
from pumpsim_cli.main import main as cli

from serving import pumpsim_serve


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _pump_files(keys: Path) -> None:
    """What a first `pumpsim serve` leaves behind, made in-process (the same functions)."""
    provision(keys)
    NvStore(keys / "pump.sqlite").close()


def test_the_pump_makes_its_files_private(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    with pumpsim_serve("--tcp", "0", "--no-pacing", "--paused", "--keys", str(keys)):
        pass
    assert _mode(keys) == 0o700
    made = sorted(p.name for p in keys.iterdir())
    assert {"pump.keys", "clinician.key", "patient.key", "pump.sqlite"} <= set(made)
    assert {p.name: _mode(p) for p in keys.iterdir()} == dict.fromkeys(made, 0o600)


def test_pairing_writes_a_private_key_in_a_private_folder(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    assert cli(["pair", "--keys", str(folder), "--role", "clinician", "--device-id", "t2"]) == 0
    assert _mode(folder) == 0o700
    assert _mode(folder / "t2.key") == 0o600
    assert _mode(folder / "pump.keys") == 0o600


@pytest.mark.parametrize("shared", ["clinician.key", "pump.keys", "pump.sqlite", "."])
def test_serve_refuses_a_file_others_can_read_in_one_line(
    tmp_path: Path, shared: str, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    _pump_files(keys)
    target = keys / shared
    target.chmod(0o755 if target.is_dir() else 0o644)
    capsys.readouterr()
    assert cli(["serve", "--tcp", "0", "--keys", str(keys)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert f" {target} is " in lines[0]  # (Path drops a trailing ".": the folder itself)
    assert "others can reach it" in lines[0]


def test_serve_starts_on_shared_files_when_told_to(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    _pump_files(keys)
    (keys / "pump.sqlite").chmod(0o644)
    with pumpsim_serve("--tcp", "0", "--paused", "--keys", str(keys), "--allow-shared-files") as s:
        assert s.address.startswith("socket://")
