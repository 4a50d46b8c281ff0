"""The `pumpsim` command as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pumpsim_cli.main import COMMANDS

PUMPSIM = str(Path(sys.executable).parent / "pumpsim")  # the installed entry point


def test_demo_tells_the_story() -> None:
    done = subprocess.run([PUMPSIM, "demo"], capture_output=True, text=True)
    assert done.returncode == 0
    out = done.stdout
    assert "not a medical device" in out
    assert "under_infusion_suspected" in out  # the partial occlusion shows at refill
    assert "motor_stall_recovery" in out  # MRI suspended and resumed
    assert "CRITICAL     empty_reservoir" in out


def test_console_script_is_installed_and_shows_help() -> None:
    out = subprocess.run([PUMPSIM, "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "demo" in out.stdout


def test_help_lists_every_command_and_a_command_loads_only_its_own_layers() -> None:
    out = subprocess.run([PUMPSIM, "--help"], capture_output=True, text=True).stdout
    for name in COMMANDS:
        assert f"    {name} " in out  # each listed with its help line
    # `pumpsim serve` (its help parsed, as a start parses its arguments) in a fresh interpreter.
    probe = (
        "import sys, contextlib, io\n"
        "from pumpsim_cli.main import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['serve', '--help'])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout
    assert "firmware_protocol" in loaded
    for layer in ("pumpsim_scenarios", "programmer_tui", "pumpsim_classroom", "textual", "numpy"):
        assert f"'{layer}'" not in loaded


def test_unknown_subcommand_fails_with_usage() -> None:
    out = subprocess.run([PUMPSIM, "frobnicate"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "usage" in out.stderr
