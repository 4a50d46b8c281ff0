"""Panes on their own: what they show comes in through `show`, what they do goes out as a
`PumpCall` message. A bare Textual app hosts one pane and answers its calls from a real simulated
pump, as the programmer's app does; and in the programmer, a status poll repaints only the pane on
screen, and a pane is built the first time its tab is shown, by key or by mouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from firmware_protocol.client.pump_client import DeviceError, PumpClient
from firmware_protocol.harness.simulated import SimulatedPump, simulated_pump
from programmer_tui.checks import PumpRules
from programmer_tui.panes.common import PumpView
from programmer_tui.panes.program import ProgramPane
from programmer_tui.panes.refill import RefillPane
from programmer_tui.screens.review import ReviewScreen
from pumpsim import DEFAULT_LIBRARY, Continuous, DrugLibrary, Mix, TherapyProgram

from tui_helpers import Host, click_button, demo_app, ready, until


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


def _morphine_pump(pump: SimulatedPump) -> PumpClient:
    client = pump.client()
    client.refill_withdraw()
    client.refill_fill(20.0, Mix.of(morphine=10_000.0), TherapyProgram(Continuous(0.3)))
    return client


async def _fill_ziconotide(pilot: Pilot[None], app: Host, dose: str) -> None:
    """Withdraw, then fill 20 mL of 25 mcg/mL ziconotide (a drug change), with `dose` a day."""
    pane = app.pane
    assert isinstance(pane, RefillPane)
    pane.show(PumpView(app.client.read_status(), PumpRules.of(app.client.read_description())))
    await click_button(pilot, app, "#withdraw")
    pane.show(PumpView(app.client.read_status(), pane.view.rules))
    pane.query_one("#fill-drug", Select).value = "ziconotide"
    pane.query_one("#fill-conc", Input).value = "25"
    pane.query_one("#fill-dose", Input).value = dose
    await click_button(pilot, app, "#fill")
    await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))


async def test_a_drug_change_past_a_soft_limit_is_filled_only_with_an_override(
    pump: SimulatedPump,
) -> None:
    """The morphine program's 0.3 mL/day would start ziconotide at 7.5 mcg/day (limit 2.4)."""
    app = Host(RefillPane(), _morphine_pump(pump))
    async with app.run_test(size=(100, 40)) as pilot:
        await _fill_ziconotide(pilot, app, dose="")
        review = app.screen
        assert isinstance(review, ReviewScreen)
        assert ("dose a day", "morphine 3 mg", "ziconotide 7.5 mcg") in review.rows
        assert "keeps its rate" in review.note
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: "STARTING_DOSE_ABOVE_LIMIT" in _warnings(app))
        assert isinstance(app.calls[-1], DeviceError)
        assert app.client.read_status().refill_in_progress  # nothing filled yet
        confirm = app.screen.query_one("#confirm", Button)
        assert confirm.disabled
        await pilot.click("#override")
        await until(pilot, app, lambda: not confirm.disabled)
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: not app.client.read_status().refill_in_progress)
        status = app.client.read_status()
        assert [(d.drug, d.mcg_per_ml) for d in status.mix] == [("ziconotide", 25.0)]
        kinds = [r.kind for r in app.client.read_log().records]
        assert "soft_limit_overridden" in kinds


async def test_a_drug_change_with_its_own_starting_dose(pump: SimulatedPump) -> None:
    app = Host(RefillPane(), _morphine_pump(pump))
    async with app.run_test(size=(100, 40)) as pilot:
        await _fill_ziconotide(pilot, app, dose="2.4")
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: not app.client.read_status().refill_in_progress)
        program = app.client.read_status().program
        assert (program.mode, program.rate_ml_per_day) == ("continuous", 0.096)  # 2.4 / 25
        assert program.patient_bolus == ()


def _warnings(app: App[None]) -> str:
    found = app.screen.query("#review-warnings")
    return str(found.first(Static).render()) if found else ""


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


async def test_a_pane_is_built_when_its_tab_is_first_shown_by_key_or_by_mouse(
    tmp_path: Path,
) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        assert set(app.panes) == {"dashboard"}  # start-up built only the first screen
        await pilot.click("#--content-tab-refill")  # the tab's label, clicked
        await until(pilot, app, lambda: app.tabs.active == "refill" and "refill" in app.panes)
        assert app.panes["refill"].view is app.view  # shown the pump as it is now
        assert app.query_one("#withdraw", Button).region.height > 0  # on screen
        await pilot.press("f3")
        await until(pilot, app, lambda: app.tabs.active == "program")
        assert set(app.panes) == {"dashboard", "refill", "program"}
        program = app.panes["program"]
        await pilot.press("f5", "f3")  # back and forth: the same panes, not built again
        await until(pilot, app, lambda: app.tabs.active == "program")
        assert app.panes["program"] is program
        assert len(app.query(ProgramPane)) == 1


def text(node: App[None] | Widget, selector: str) -> str:
    return str(node.query_one(selector, Static).render())
