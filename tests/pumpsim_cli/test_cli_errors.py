"""A user's mistake on the command line: one line naming it, exit status 2, no traceback.

The mistakes are run through `pumpsim`'s own `main` (what its entry point calls), each in a thread
with a time limit (a mistake let through would start serving); the entry points themselves, as a
user runs them, by the tests after them.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from pumpsim_cli.main import main

BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("decode", "{tmp}/missing.jsonl", "--key", "{tmp}/missing.key"), "no such file"),
        (("scenario", "run", "{tmp}/missing.toml"), "no such file"),
        (("scenario", "report", "{tmp}/missing.json", "-o", "{tmp}/r.html"), "not a scenario"),
        (("serve", "--url", "/dev/no-such-port", "--keys", "{tmp}/k"), "cannot open the port"),
        (("serve", "--tcp", "99999", "--keys", "{tmp}/k"), "--tcp must be a port number"),
        (("serve", "--acceleration", "-5", "--keys", "{tmp}/k"), "acceleration must be"),
        (("swarm", "--seeds", "0"), "--seeds and --steps must be at least 1"),
    ],
)
def test_a_mistake_is_one_line_and_exit_2(
    args: tuple[str, ...], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exited: list[int | str | None] = []

    def run() -> None:
        try:
            exited.append(main([a.format(tmp=tmp_path) for a in args]))
        except SystemExit as e:  # argparse's way out
            exited.append(e.code)

    command = threading.Thread(target=run, daemon=True)
    command.start()
    command.join(30)
    assert exited, "the command did not refuse: it is still running"
    stderr = capsys.readouterr().err
    assert exited == [2], stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert says in lines[0]
    assert "Traceback" not in stderr
    assert not (tmp_path / "k").exists()  # no keys paired for a refused start


def test_versions() -> None:
    assert _run(str(BIN / "pumpsim"), "--version").stdout.startswith("pumpsim ")
    programmer = _run(str(BIN / "pump-programmer"), "--version")
    assert programmer.stdout.startswith("pump-programmer ")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    done = _run(str(BIN / "pumpsim"), "--debug", "scenario", "run", str(tmp_path / "x.toml"))
    assert done.returncode == 1
    assert "Traceback" in done.stderr


def _pumpsim_in(directory: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "pumpsim"), *args], capture_output=True, text=True, timeout=60, cwd=directory
        )

    return run


def test_the_library_works_from_an_empty_directory(tmp_path: Path) -> None:
    run = _pumpsim_in(tmp_path)
    listed = run("scenario", "list")
    assert listed.returncode == 0
    assert "motor-stall" in listed.stdout
    assert "stall" in listed.stdout.split("motor-stall", 1)[1].splitlines()[0]  # what it teaches
    assert run("scenario", "hazards").returncode == 0
    ran = run("scenario", "run", "motor-stall", "pocket-fill", "--workers", "1")
    assert ran.returncode == 0, ran.stderr
    assert "2 passed" in ran.stdout
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_a_new_scenario_is_written_once_and_runs(tmp_path: Path) -> None:
    run = _pumpsim_in(tmp_path)
    made = run("scenario", "new", "drill")
    assert made.returncode == 0
    assert (tmp_path / "drill.toml").read_text().splitlines()[1].startswith("# Teaches:")
    assert run("scenario", "run", "drill.toml", "--workers", "1").returncode == 0
    assert run("scenario", "new", "drill").returncode == 2  # never overwrites
    assert run("scenario", "run", "no-such-drill").returncode == 2
    left = sorted(p.name for p in tmp_path.iterdir())  # nothing else left behind
    assert left == ["drill.toml", "pumpsim-scenario.schema.json"]
