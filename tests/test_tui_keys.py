"""Keys typed faster than the screen repaints land where the typist meant them (a terminal hands
the app a burst of keys in one read: a fast typist, a paste of keystrokes, a test harness)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

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
