"""What every pane shares: typed access to the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.widget import Widget

if TYPE_CHECKING:
    from programmer_tui.app import ProgrammerApp


def papp(widget: Widget) -> ProgrammerApp:
    return cast("ProgrammerApp", widget.app)
