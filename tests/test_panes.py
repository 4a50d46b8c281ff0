"""Panes on their own: what they show comes in through `show`, what they do goes out as a
`PumpCall` message. A bare Textual app hosts one pane and answers its calls from a real simulated
pump, as the programmer's app does; and in the programmer, a status poll repaints only the pane on
screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from firmware_protocol.client import PumpClient
from firmware_protocol.simulated import SimulatedPump, simulated_pump
from programmer_tui.checks import PumpRules
from programmer_tui.panes.common import PumpCall, PumpView
from programmer_tui.panes.program import ProgramPane
from programmer_tui.panes.refill import RefillPane
from programmer_tui.screens.review import ReviewScreen
from pumpsim import DEFAULT_LIBRARY, Continuous, DrugLibrary, Mix, TherapyProgram

from tui_helpers import click_button, demo_app, ready, until


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
        result = event.call(self.client)
        self.calls.append(result)
        if event.done is not None:
            event.done(result)


@pytest.fixture
def pump() -> Iterator[SimulatedPump]:
    pump = simulated_pump(seed=21)
    yield pump
    pump.close()


async def test_the_refill_pane_offers_the_connected_pumps_drugs(pump: SimulatedPump) -> None:
    ours = DrugLibrary([DEFAULT_LIBRARY["clonidine"], DEFAULT_LIBRARY["ziconotide"]])
    client = pump.client()
    app = Host(RefillPane(), client)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        assert isinstance(pane, RefillPane)
        pane.show(PumpView(client.read_status(), PumpRules(library=ours, reported=True)))
        await pilot.pause()
        select = pane.query_one("#fill-drug", Select)
        assert [str(label) for label, _ in select._options if _ is not Select.BLANK] == [
            "clonidine",
            "ziconotide",
        ]
        select.value = "ziconotide"
        await pilot.pause()
        assert "mcg/mL" in str(pane.query_one("#conc-label", Label).render())


async def test_a_program_is_staged_through_a_message_and_the_review_shown(
    pump: SimulatedPump,
) -> None:
    client = pump.client()
    client.refill_withdraw()
    client.refill_fill(20.0, Mix.of(morphine=10_000.0), TherapyProgram(Continuous(0.3)))
    app = Host(ProgramPane(), client)
    async with app.run_test(size=(120, 45)) as pilot:
        pane = app.pane
        assert isinstance(pane, ProgramPane)
        pane.show(PumpView(client.read_status(), PumpRules.of(client.read_description())))
        await pilot.pause()
        assert pane.query_one("#dose", Input).value == "3"  # 0.3 mL/day of 10 mg/mL
        pane.query_one("#dose", Input).value = "4"
        await until(
            pilot,
            app,
            lambda: "rules are met" in str(pane.query_one("#violations", Static).render()),
        )
        await click_button(pilot, app, "#review")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
        (review,) = app.calls
        assert review.accepted
        assert client.read_status().program.rate_ml_per_day == 0.3  # staged, not yet written


async def test_a_status_poll_repaints_only_the_pane_on_screen(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        backend = app.backend
        assert backend is not None
        await pilot.press("f10")  # the clock
        await until(pilot, app, lambda: "The pump shows" in text(app, "#clock-now"))
        clock_before = text(app, "#clock-now")
        await pilot.press("f2")  # the dashboard
        dashboard_before = text(app, "#identity")
        await backend.call(backend.sync.sim_advance, 3 * 3600.0)
        app.action_interrogate()
        await until(pilot, app, lambda: text(app, "#identity") != dashboard_before)
        assert text(app, "#clock-now") == clock_before  # hidden: not repainted
        await pilot.press("f10")
        await until(pilot, app, lambda: text(app, "#clock-now") != clock_before)


def text(app: App[None], selector: str) -> str:
    return str(app.query_one(selector, Static).render())
