"""Builders for programmer UI tests: the real app against an embedded simulated pump."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from textual import on
from textual.app import App, ComposeResult
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import WorkerCancelled

from firmware_protocol.client.pump_client import DeviceError, PumpClient
from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.wire.messages import Role
from programmer_tui.app import ProgrammerApp
from programmer_tui.backend import Backend
from programmer_tui.panes.common import PumpCall
from programmer_tui.screens.review import ReviewScreen
from pumpsim import FlexibleSchedule, Pump


def demo_app(
    tmp_path: Path, *, role: Role = Role.SIMULATOR, seed: int = 7, time_zone: ZoneInfo | None = None
) -> ProgrammerApp:
    """The app as `pump-programmer --demo` starts it, but its pump on virtual time, paused."""
    pump = simulated_pump(seed=seed, paused=True)
    backend = Backend(pump.client(role, connect=False, reply_timeout_s=10.0))
    return ProgrammerApp(
        backend,
        embedded=pump,
        demo_setup=True,
        poll_s=0.25,
        export_dir=tmp_path,
        time_zone=time_zone,
    )


async def _workers_done(app: App[Any]) -> None:
    # An exclusive status poll may be cancelled by a newer one: that is not a failure.
    with contextlib.suppress(WorkerCancelled):
        await app.workers.wait_for_complete()


def text_of(node: DOMNode, selector: str) -> str:
    """What a Static under `node` (the app, a screen) shows, as text."""
    return str(node.query_one(selector, Static).render())


async def settle(pilot: Pilot[None], app: ProgrammerApp, rounds: int = 2) -> None:
    """Let workers finish and the screen catch up."""
    for _ in range(rounds):
        await _workers_done(app)
        await pilot.pause()  # until the screen has processed its messages and the CPU is idle


def _holds(check: Callable[[], bool]) -> bool:
    """A condition on widgets not yet mounted (a view composed after the first status) is not
    reached yet, rather than an error: under load the status can arrive a frame before them."""
    try:
        return check()
    except NoMatches:
        return False


async def until(
    pilot: Pilot[None], app: App[Any], check: Callable[[], bool], timeout: float = 15.0
) -> None:
    deadline = time.monotonic() + timeout
    while not _holds(check):
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await _workers_done(app)
        await pilot.pause(0.02)


async def ready(pilot: Pilot[None], app: ProgrammerApp) -> None:
    """Connected, demo pump implanted, its priming bolus over (the clock is paused). A tab's pane
    is built when the tab is first shown (the keys after it wait for it)."""
    await until(pilot, app, lambda: app.status is not None)
    backend = app.backend
    assert backend is not None
    if app.role == "simulator":
        await backend.call(backend.sync.sim_advance, 3600.0)
        app.action_interrogate()
        await until(pilot, app, lambda: app.status is not None and not app.status.bolus_kind)


async def set_up_by_client(
    pilot: Pilot[None], app: ProgrammerApp, set_up: Callable[[PumpClient], object]
) -> Pump:
    """The demo pump ready, then `set_up` done to it through the programmer's own client (what
    another test proves through the screens), the status read again; the pump's model."""
    await ready(pilot, app)
    backend = app.backend
    assert backend is not None
    await backend.call(set_up, backend.sync)
    app.action_interrogate()
    return app.embedded.firmware.pump  # type: ignore[union-attr]


async def open_review(
    pilot: Pilot[None], app: ProgrammerApp, tab_key: str, values: dict[str, str], button: str
) -> None:
    """Go to a tab, fill its fields (selector: value), press its review button, await the review."""
    from programmer_tui.screens.review import ReviewScreen

    await pilot.press(tab_key)
    await settle(pilot, app)
    for selector, value in values.items():
        app.query_one(selector).value = value  # type: ignore[attr-defined]
    await settle(pilot, app)
    await pilot.click(button)
    await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))


async def click_button(pilot: Pilot[None], app: App[Any], selector: str) -> None:
    """Click a button as a person would: not again while it still shows the last press (a
    Textual button ignores a press for the 0.2 s it shows the previous one)."""
    from textual.widgets import Button

    button = app.screen.query_one(selector, Button)
    await until(pilot, app, lambda: not button.has_class("-active"))
    await pilot.click(selector)


class Host(App[None]):
    """One pane, its calls made at once against `client` (the programmer runs them in a worker)."""

    def __init__(self, pane: Widget, client: PumpClient) -> None:
        super().__init__()
        self.pane = pane
        self.client = client
        self.calls: list[Any] = []

    def compose(self) -> ComposeResult:
        yield self.pane

    @on(PumpCall)
    def _call(self, event: PumpCall) -> None:
        try:
            result = event.call(self.client)
        except DeviceError as e:
            self.calls.append(e)
            if event.failed is not None:
                event.failed(e)
            return
        self.calls.append(result)
        if event.done is not None:
            event.done(result)


async def add_steps(
    pilot: Pilot[None], app: ProgrammerApp, steps: list[tuple[str, str, str]]
) -> None:
    """Type each (from, to, dose) step into the Program tab and add it, as a clinician would."""
    table = app.query_one("#steps", DataTable)
    for start, end, dose in steps:
        rows = table.row_count
        app.query_one("#step-from", Input).value = start
        app.query_one("#step-to", Input).value = end
        app.query_one("#step-dose", Input).value = dose
        await click_button(pilot, app, "#add-step")
        await until(pilot, app, lambda rows=rows: table.row_count == rows + 1)  # type: ignore[misc]


async def program_in_mode(pilot: Pilot[None], app: ProgrammerApp, mode: str) -> Pump:
    """The demo pump ready, the Program tab on screen in `mode`; the pump's model."""
    await ready(pilot, app)
    await pilot.press("f3")
    await until(pilot, app, lambda: app.tabs.active == "program")
    app.query_one("#mode", Select).value = mode
    return app.embedded.firmware.pump  # type: ignore[union-attr]


async def write_schedule(pilot: Pilot[None], app: ProgrammerApp, pump: Pump) -> FlexibleSchedule:
    """Review the Program tab's schedule, confirm it, and wait until the pump runs it."""
    await until(
        pilot, app, lambda: "rules are met" in str(app.query_one("#violations", Static).render())
    )
    await click_button(pilot, app, "#review")
    await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
    await click_button(pilot, app, "#confirm")
    await until(pilot, app, lambda: isinstance(pump.program.basal, FlexibleSchedule))
    basal = pump.program.basal
    assert isinstance(basal, FlexibleSchedule)
    return basal
