"""Screenshots of the main screens at 80x24 and 120x40 (pytest-textual-snapshot).

The pump is the embedded simulator with a fixed identity and a paused clock, so a screen only
changes when the programmer does. Update on purpose with: ./run test --snapshot-update
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tui_helpers import demo_app, ready, settle

SIZES = [(80, 24), (120, 40)]


def _before(app: Any, keys: tuple[str, ...]) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await ready(pilot, app)
        for widget in app.query(Input):
            widget.cursor_blink = False
        for key in keys:
            await pilot.press(key)
            await settle(pilot, app)
        await settle(pilot, app)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    ("screen", "keys"),
    [("dashboard", ()), ("program", ("f3",)), ("refill", ("f5",)), ("help", ("f1",))],
)
def test_screens(
    snap_compare: Any, tmp_path: Path, size: tuple[int, int], screen: str, keys: tuple[str, ...]
) -> None:
    app = demo_app(tmp_path, seed=7)
    assert snap_compare(app, terminal_size=size, run_before=_before(app, keys))
