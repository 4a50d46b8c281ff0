"""Served to a browser, the footer names the tab keys a browser leaves alone (1-9); in a terminal
it does not (the function keys work there, and the footer has no room to spare at 80x24)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets._footer import FooterKey

from programmer_tui.app import ProgrammerApp

from tui_helpers import demo_app, ready, settle


def _footer_keys(app: ProgrammerApp) -> list[str]:
    return [k.key_display for k in app.screen.query(FooterKey)]


@pytest.mark.parametrize("served", [True, False])
async def test_the_footer_names_the_tab_keys_when_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: bool
) -> None:
    monkeypatch.setattr(ProgrammerApp, "is_web", property(lambda self: served))
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await settle(pilot, app)
        assert ("1-9" in _footer_keys(app)) is served
        assert "i" in _footer_keys(app)  # the rest of the footer as before
        if served:  # and the mouse takes it too: back to the dashboard
            await pilot.press("3")
            await settle(pilot, app)
            assert app.tabs.active != "dashboard"
            await pilot.click(".served-tab-keys")
            await settle(pilot, app)
            assert app.tabs.active == "dashboard"
