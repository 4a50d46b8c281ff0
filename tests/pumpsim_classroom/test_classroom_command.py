"""`pumpsim classroom` as a trainer starts and stops it: refusals in one line, and Ctrl-C ends
every seat's programmer process and removes the class's keys and memory."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import aiohttp
import pytest

from pumpsim_cli.main import main

from serving import pumpsim_classroom


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--seats", "0"], "--seats must be from 1 to 60, got 0"),
        (["--seats", "61"], "--seats must be from 1 to 60, got 61"),
        (["--scenario", "no-such-lesson"], "no-such-lesson"),
        (["--acceleration", "0"], "acceleration"),
    ],
)
def test_a_class_that_cannot_be_served_exits_2_with_one_line(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["classroom", *args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert said in err


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc: parent ids)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _running(pid: int) -> bool:
    """Alive: not gone and not a zombie (ended, waiting only for its parent to be reaped; in a
    container whose first process reaps no orphans it stays listed)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return "(gone)"


async def _open_a_seat(port: int, code: str) -> None:
    """A browser takes seat 1 and opens its terminal: the seat's programmer process starts."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        base = f"http://127.0.0.1:{port}"
        async with browser.get(f"{base}/join?code={code}") as page:
            assert page.status == 200
        ws = await browser.ws_connect(f"ws://127.0.0.1:{port}/seat/1/{code}/ws?width=80&height=24")
        await ws.receive(timeout=30)  # the programmer's first bytes
        await ws.close()


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for the processes left behind")
def test_ctrl_c_ends_the_class_and_leaves_no_process_and_no_keys_behind() -> None:
    earlier = set(Path(tempfile.gettempdir()).glob("pumpsim-class-*"))
    with pumpsim_classroom("--seats", "2") as served:
        ours = set(Path(tempfile.gettempdir()).glob("pumpsim-class-*")) - earlier
        assert len(ours) == 1  # the class's keys and memory, while it runs
        asyncio.run(_open_a_seat(served.port, served.code.replace("-", "")))
        spawned = _descendants(served.proc.pid)
        assert served.stop() == 0  # Ctrl-C
    alive = {p: _command(p) for p in spawned if _running(p)}
    assert alive == {}, f"left behind: {alive}"
    assert not any(p.exists() for p in ours)
