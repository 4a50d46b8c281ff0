"""Keys typed faster than the screen repaints land where the typist meant them (a terminal hands
the app a burst of keys in one read: a fast typist, a paste of keystrokes, a test harness)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from programmer_tui.app import ProgrammerApp
from pumpsim import MriPhase

from tui_helpers import demo_app, ready, settle, until


def burst(app: App[None], keys: list[str]) -> None:
    """Queue all of `keys` before the app reads the first, as one read from a terminal can."""
    for key in keys:
        character = " " if key == "space" else key if len(key) == 1 else None
        app.post_message(events.Key(key, character))


async def on_tab(pilot: Pilot[None], app: ProgrammerApp, key: str) -> None:
    """The demo pump ready, and the app on the tab that `key` shows."""
    await ready(pilot, app)
    await pilot.press(key)
    await settle(pilot, app)


async def test_a_burst_of_keys_after_tab_reaches_the_next_field(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_tab(pilot, app, "f3")
        dose = app.query_one("#dose", Input)
        assert dose.value == "3"
        burst(app, ["tab", "tab", "1", "2"])  # to the mode, to the dose, "12"
        await until(pilot, app, lambda: app.focused is dose and dose.value == "12")
        assert app.tabs.active == "program"  # the digits were typed, not taken as tab shortcuts


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_tab_walks_each_form_in_reading_order(tmp_path: Path, size: tuple[int, int]) -> None:
    """Top to bottom, left to right: the order a person reads a form in and expects Tab to take."""
    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await ready(pilot, app)
        for tab in ("program", "bolus", "refill", "mri", "log", "telemetry", "simulator", "clock"):
            await app.action_show_tab(tab)
            await settle(pilot, app)
            places = [
                (w.region.y, w.region.x, w.id)
                for w in app.screen.focus_chain
                if w.region.height and w.id and not w.id.startswith("--")
            ]
            assert len(places) >= 2, tab
            assert places == sorted(places), tab


async def test_a_checklist_ticked_and_confirmed_in_one_burst(tmp_path: Path) -> None:
    """Tick the MRI checklist and press its button faster than the screen updates: the button
    is where Tab lands (not skipped as disabled), and it checks the list when pressed."""
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await on_tab(pilot, app, "f6")
        burst(app, ["tab", "space", "tab", "space", "tab", "space", "tab", "tab", "enter"])
        await until(pilot, app, lambda: pump.status().mri is MriPhase.SCANNING)


async def test_a_burst_that_skips_an_item_does_not_enter_mri_safe_mode(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await on_tab(pilot, app, "f6")
        burst(app, ["tab", "space", "tab", "tab", "space", "tab", "tab", "enter"])  # 2nd unticked
        await until(
            pilot, app, lambda: any("Before MRI-safe mode" in n.message for n in app._notifications)
        )
        assert pump.status().mri is MriPhase.OFF


async def test_editing_keys_in_a_burst_stay_in_their_field(tmp_path: Path) -> None:
    """Backspace is a binding of the field, looked up once the key comes back to the app: typed
    ahead of a Tab, it must still edit the field it was typed in (Textualize/textual#6605)."""
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_tab(pilot, app, "f5")
        conc, volume = app.query_one("#fill-conc", Input), app.query_one("#fill-volume", Input)
        conc.focus()
        conc.cursor_position = len(conc.value)  # "10", the cursor after it
        await settle(pilot, app)
        burst(app, ["backspace", "backspace", "2", "5", "tab", "3", "0"])
        await until(pilot, app, lambda: (conc.value, volume.value) == ("25", "30"))
