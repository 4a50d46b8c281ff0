"""Keys typed faster than the screen repaints land where the typist meant them (a terminal hands
the app a burst of keys in one read: a fast typist, a paste of keystrokes, a test harness)."""

from __future__ import annotations

from pathlib import Path

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
