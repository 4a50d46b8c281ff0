"""The classroom's server over HTTP, as browsers and the console use it (aiohttp's test client:
each client is one browser, with its own cookies), on real seats: their pumps, keys and lines."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.line.transport import open_port
from firmware_protocol.session.security import DeviceKey
from pumpsim import CatheterOcclusion
from pumpsim_classroom import server as server_module
from pumpsim_classroom.access import ClassAccess
from pumpsim_classroom.seats import Seat, open_seat
from pumpsim_classroom.server import ClassroomServer
from pumpsim_scenarios.files import library, spec

CODE = "K7MQ4X"
TOKEN = "console-token-for-tests"


@pytest.fixture
def seats(tmp_path: Path) -> Iterator[list[Seat]]:
    scenario = spec.load(library.resolve("free-play"))[0]
    opened = [open_seat(n, tmp_path, scenario, 3600.0, paused=True) for n in (1, 2)]
    yield opened
    for seat in opened:
        seat.close()


@pytest.fixture
async def server(seats: list[Seat]) -> AsyncIterator[ClassroomServer]:
    classroom = ClassroomServer(seats, ClassAccess(CODE, TOKEN), "free-play")
    test_server = TestServer(await classroom._make_app(), host="127.0.0.1")
    await test_server.start_server()
    classroom.test_server = test_server  # type: ignore[attr-defined]
    yield classroom
    await test_server.close()


async def _browser(server: ClassroomServer) -> TestClient[Any, Any]:
    client = TestClient(server.test_server)  # type: ignore[attr-defined]
    await client.start_server()
    return client


async def _glances(server: ClassroomServer) -> None:
    for _ in range(100):
        if len(server.glances) == len(server.seats):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the class loop never looked at the seats")


async def test_a_wrong_code_gets_a_plain_page_and_takes_nothing(server: ClassroomServer) -> None:
    browser = await _browser(server)
    door = await browser.get("/")
    assert door.status == 200
    assert "Class code" in await door.text()
    for path in ("/join?code=WRONG1", "/seat/1/WRONG1", "/seat/1/WRONG1/ws"):
        refused = await browser.get(path, allow_redirects=False)
        assert refused.status == 403, path
        assert "does not open this class" in await refused.text()
    assert server.claims.holders == {}
    assert server._services == set()
    await browser.close()


async def test_the_code_seats_each_browser_at_the_next_free_seat(server: ClassroomServer) -> None:
    first, second, third = [await _browser(server) for _ in range(3)]
    page = await first.get("/join?code=k7m-q4x")  # as a person types it
    assert page.status == 200
    assert str(page.url).endswith(f"/seat/1/{CODE}")
    assert "data-session-websocket-url" in await page.text()
    assert f"/seat/1/{CODE}/ws" in await page.text()
    page = await second.get(f"/join?code={CODE}")
    assert str(page.url).endswith(f"/seat/2/{CODE}")
    full = await third.get(f"/join?code={CODE}")
    assert full.status == 409
    assert "Every seat" in await full.text()
    taken = await third.get(f"/seat/1/{CODE}")
    assert taken.status == 409
    assert "Seat 1 is taken" in await taken.text()
    again = await first.get(f"/seat/1/{CODE}")  # the same browser reloading
    assert again.status == 200
    forged = await first.get(f"/seat/1/{CODE}", headers={"Host": 'x"><script>alert(1)</script>'})
    assert "<script>alert" not in await forged.text()
    missing = await first.get(f"/seat/9/{CODE}")
    assert missing.status == 404
    for browser in (first, second, third):
        await browser.close()


async def test_a_seat_socket_needs_the_browser_that_took_the_seat(server: ClassroomServer) -> None:
    owner, other = await _browser(server), await _browser(server)
    await owner.get(f"/seat/1/{CODE}")
    refused = await other.get(f"/seat/1/{CODE}/ws")
    assert refused.status == 409
    assert server._services == set()
    await owner.close()
    await other.close()


async def test_the_console_needs_its_token(server: ClassroomServer) -> None:
    browser = await _browser(server)
    for path in (f"/console/{CODE}", "/console/x/state", "/console/x/debrief"):
        assert (await browser.get(path)).status == 403, path
    assert (await browser.post("/console/x/action", json={"clock": "pause"})).status == 403
    page = await browser.get(f"/console/{TOKEN}")
    assert page.status == 200
    assert "K7M-Q4X" in await page.text()
    await browser.close()


async def test_the_console_sees_every_seat_and_injects_into_one_or_all(
    server: ClassroomServer, seats: list[Seat]
) -> None:
    console = await _browser(server)
    await _glances(server)
    state = await (await console.get(f"/console/{TOKEN}/state")).json()
    assert [s["number"] for s in state["seats"]] == [1, 2]
    assert state["seats"][0]["program"].startswith("continuous 0.3 mL/day of morphine")
    assert "baseline" in state["seats"][0]["patient"]
    reply = await console.post(
        f"/console/{TOKEN}/action", json={"inject": "total occlusion", "seat": "2"}
    )
    assert (await reply.json())["ok"]
    assert [type(f) for f in seats[1].firmware.pump.faults] == [CatheterOcclusion]
    assert seats[0].firmware.pump.faults == ()
    await console.post(f"/console/{TOKEN}/action", json={"inject": "total occlusion"})
    assert len(seats[0].firmware.pump.faults) == 1
    assert len(seats[1].firmware.pump.faults) == 2
    unknown = await console.post(f"/console/{TOKEN}/action", json={"inject": "rm -rf"})
    assert unknown.status == 400
    assert len(seats[0].firmware.pump.faults) == 1
    await console.close()


async def test_the_class_clock_stops_runs_and_steps_every_seat(
    server: ClassroomServer, seats: list[Seat]
) -> None:
    console = await _browser(server)
    act = f"/console/{TOKEN}/action"
    await console.post(act, json={"clock": "speed", "acceleration": 60})
    assert all(not s.firmware.clock.paused and s.firmware.clock.acceleration == 60 for s in seats)
    await console.post(act, json={"clock": "pause"})
    assert all(s.firmware.clock.paused for s in seats)
    before = [s.rig.read_status().at_s for s in seats]
    await console.post(act, json={"clock": "step", "seconds": 86400})
    after = [s.rig.read_status().at_s for s in seats]
    assert [b - a for a, b in zip(before, after, strict=True)] == pytest.approx([86400, 86400])
    await console.close()


@pytest.fixture
def _one_class_loop_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """The class loop turns once (its first glance) and then not for an hour: whatever the
    console sees after that, an action made it so."""
    monkeypatch.setattr(server_module, "CONDUCT_EVERY_S", 3600.0)


@pytest.mark.usefixtures("_one_class_loop_turn")  # (before the server, which starts the loop)
async def test_the_console_sees_what_its_action_did_at_once(server: ClassroomServer) -> None:
    console = await _browser(server)
    await _glances(server)
    act, state = f"/console/{TOKEN}/action", f"/console/{TOKEN}/state"
    before = (await (await console.get(state)).json())["seats"]
    assert all(s["paused"] for s in before)
    await console.post(act, json={"clock": "speed", "acceleration": 60})
    running = (await (await console.get(state)).json())["seats"]
    assert [(s["paused"], s["acceleration"]) for s in running] == [(False, 60), (False, 60)]
    await console.post(act, json={"clock": "pause"})
    stopped = (await (await console.get(state)).json())["seats"]
    assert all(s["paused"] for s in stopped)
    await console.post(act, json={"clock": "step", "seconds": 86400})
    stepped = (await (await console.get(state)).json())["seats"]
    moved = [b["at_s"] - a["at_s"] for a, b in zip(stopped, stepped, strict=True)]
    assert moved == [pytest.approx(86400)] * 2
    await console.close()


async def test_ending_the_session_writes_the_class_debrief(
    server: ClassroomServer, seats: list[Seat]
) -> None:
    console = await _browser(server)
    early = await console.get(f"/console/{TOKEN}/debrief")
    assert early.status == 409
    await console.post(f"/console/{TOKEN}/action", json={"inject": "catheter dislodgement"})
    await console.post(f"/console/{TOKEN}/action", json={"clock": "step", "seconds": 3 * 86400})
    ended = await (await console.post(f"/console/{TOKEN}/action", json={"end": True})).json()
    assert ended["ok"]
    assert all(s.finished and s.firmware.clock.paused for s in seats)
    page = await console.get(f"/console/{TOKEN}/debrief")
    html = await page.text()
    assert page.status == 200
    assert re.findall(r"id='seat-(\d+)'", html) == ["1", "2"]
    assert "instructor injected: catheter dislodgement" in html
    assert "withdrawal" in html  # three days without morphine at the spine: the patient tells
    assert "<script" not in html
    assert "http" not in html
    late = await console.post(f"/console/{TOKEN}/action", json={"clock": "run"})
    assert late.status == 400
    await console.close()


def test_a_seats_line_takes_its_clinician_key_beside_the_console(seats: list[Seat]) -> None:
    seat = seats[0]
    line = open_port(seat.url, 115200)
    try:
        trainee = PumpClient(line, DeviceKey.load(seat.directory / "clinician.key"))
        trainee.connect()
        assert trainee.session is not None
        assert trainee.session.role == "clinician"
        assert trainee.read_status().pump_id == "CLASS-SEAT-01"
        seat.rig.sim_advance(3600.0)  # the console meanwhile, on the rig port
        assert trainee.read_status().at_s >= 3600.0
        trainee.close()
    finally:
        line.close()
