"""Keys typed faster than the screen repaints land where the typist meant them (a terminal hands
the app a burst of keys in one read: a fast typist, a paste of keystrokes, a test harness)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

from pumpsim import MriPhase

from tui_helpers import demo_app, ready, settle, until


async def test_a_burst_of_keys_after_tab_reaches_the_next_field(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        dose = app.query_one("#dose", Input)
        assert dose.value == "3"
        # All queued before the app reads the first: tab to the mode, tab to the dose, "12".
        for key, character in (("tab", None), ("tab", None), ("1", "1"), ("2", "2")):
            app.post_message(events.Key(key, character))
        await until(pilot, app, lambda: app.focused is dose and dose.value == "12")
        assert app.tabs.active == "program"  # the digits were typed, not taken as tab shortcuts


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_tab_walks_each_form_in_reading_order(tmp_path: Path, size: tuple[int, int]) -> None:
    """Top to bottom, left to right: the order a person reads a form in and expects Tab to take."""
    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await ready(pilot, app)
        for tab in ("program", "bolus", "refill", "mri", "log", "telemetry", "simulator", "clock"):
            app.action_show_tab(tab)
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
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await pilot.press("f6")
        await settle(pilot, app)
        keys = ["tab", "space", "tab", "space", "tab", "space", "tab", "tab", "enter"]
        for key in keys:
            app.post_message(events.Key(key, " " if key == "space" else None))
        await until(pilot, app, lambda: pump.status().mri is MriPhase.SCANNING)


async def test_a_burst_that_skips_an_item_does_not_enter_mri_safe_mode(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        pump = app.embedded.firmware.pump  # type: ignore[union-attr]
        await pilot.press("f6")
        await settle(pilot, app)
        keys = ["tab", "space", "tab", "tab", "space", "tab", "tab", "enter"]  # the 2nd unticked
        for key in keys:
            app.post_message(events.Key(key, " " if key == "space" else None))
        await until(
            pilot, app, lambda: any("Before MRI-safe mode" in n.message for n in app._notifications)
        )
        assert pump.status().mri is MriPhase.OFF


async def test_editing_keys_in_a_burst_stay_in_their_field(tmp_path: Path) -> None:
    """Backspace is a binding of the field, looked up once the key comes back to the app: typed
    ahead of a Tab, it must still edit the field it was typed in (Textualize/textual#6605)."""
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("f5")
        await settle(pilot, app)
        conc, volume = app.query_one("#fill-conc", Input), app.query_one("#fill-volume", Input)
        conc.focus()
        conc.cursor_position = len(conc.value)  # "10", the cursor after it
        await settle(pilot, app)
        keys = ["backspace", "backspace", "2", "5", "tab", "3", "0"]
        for key in keys:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await until(pilot, app, lambda: (conc.value, volume.value) == ("25", "30"))
