"""The programmer against a constant-flow pump, as a clinician uses it: the refill fills it with
no program (the dose follows the concentration at the factory rate), the Program tab says so
instead of offering an editor, and the dashboard shows no battery and no alarm to wait for."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Input, Select

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.wire.messages import Role
from programmer_tui.app import ProgrammerApp
from programmer_tui.backend import Backend
from programmer_tui.screens.review import ReviewScreen
from pumpsim import Mix, constant_flow_config

from tui_helpers import click_button, set_up_by_client, text_of, until


def _app(tmp_path: Path) -> ProgrammerApp:
    pump = simulated_pump(seed=3, paused=True, config=constant_flow_config())
    backend = Backend(pump.client(Role.SIMULATOR, connect=False, reply_timeout_s=10.0))
    return ProgrammerApp(backend, embedded=pump, poll_s=0.25, export_dir=tmp_path)


async def test_a_constant_flow_pump_is_filled_without_a_program(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, app, lambda: app.status is not None)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await pilot.press("4")  # Refill
        await until(pilot, app, lambda: app.tabs.active == "refill")
        assert not app.query_one("#fill-dose").display  # no program to give a dose to
        await click_button(pilot, app, "#withdraw")
        # What the clinician waits for: the withdrawn volume shown (the pump is done before the
        # pane hears of it, and the pane's layout moves when it does: a click then can miss).
        await until(pilot, app, lambda: app.query_one("#withdrawn", Input).value != "")
        assert pump.status().refill_in_progress
        app.query_one("#fill-conc", Input).value = "2"  # morphine 2 mg/mL
        app.query_one("#fill-volume", Input).value = "18"
        await click_button(pilot, app, "#fill")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("ctrl+y")
        await until(pilot, app, lambda: not pump.status().refill_in_progress)
        assert pump.status().mix.concentration_mcg_per_ml("morphine") == 2000.0
        assert pump.program.basal.rate_ml_per_day == 1.0  # type: ignore[union-attr]


def _fill_morphine_2(client: PumpClient) -> None:
    client.refill_withdraw()
    client.refill_fill(18.0, Mix.of(morphine=2000.0))  # no program: the factory rate gives it


async def test_a_filled_constant_flow_pump_is_shown_without_a_program(tmp_path: Path) -> None:
    """Filled as the test above fills it through the screens; each tab then says what a
    constant-flow pump does instead of offering what it cannot."""
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await set_up_by_client(pilot, app, _fill_morphine_2)
        await until(pilot, app, lambda: app.status is not None and "morphine" in str(app.status))
        await pilot.press("2")  # Program
        await until(pilot, app, lambda: app.tabs.active == "program")
        await until(
            pilot, app, lambda: "factory rate of 1 mL/day" in text_of(app, "#constant-flow")
        )
        view = text_of(app, "#constant-flow")
        assert "morphine: 2 mg/day" in view
        assert "refill with another concentration" in view
        assert not app.query_one("#prog-form").display

        await pilot.press("1")  # Dashboard
        await until(pilot, app, lambda: "factory rate 1 mL/day" in text_of(app, "#therapy"))
        assert "none: a propellant drives it" in text_of(app, "#battery")
        assert not app.query_one("#battery-bar").display
        assert "it has no alarm" in text_of(app, "#alarms")
        assert app.query_one("#alarms").region.bottom <= 23  # still on screen at 80x24

        await pilot.press("3")  # Bolus: none to give
        await until(pilot, app, lambda: "gives no bolus" in text_of(app, "#bolus-summary"))
        assert app.query_one("#bolus-review", Button).disabled
        await pilot.press("5")  # MRI: nothing to do
        await until(pilot, app, lambda: "MRI leaves its flow alone" in text_of(app, "#mri-state"))
        assert app.query_one("#mri-enter", Button).disabled


async def test_the_simulator_tab_sets_the_world_at_the_pump(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, app, lambda: app.status is not None)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await pilot.press("8")  # Simulator
        await until(pilot, app, lambda: app.tabs.active == "simulator")
        app.query_one("#sim-world", Select).value = "flight cabin 75 kPa"
        await click_button(pilot, app, "#sim-set-world")
        await until(pilot, app, lambda: pump.conditions.ambient_pressure_kpa == 75.0)
        assert pump.conditions.body_temperature_c == 37.0
