"""What the app and its panes say to each other.

A pane never reaches into the app. The app hands the pane on screen a `PumpView` (the latest
status, whether it is stale, the connected pump's rules) when something changes, and hands it to
a hidden pane when that pane is shown, so a status poll repaints one pane, not ten. A pane asks
for a pump call with a `PumpCall` message; the app runs it in a worker (the UI never waits on the
line), reports refusals and a lost link itself, and answers through the callbacks the message
carries. This is how Textual's own examples wire a widget to its app, and it lets a pane be read
without the app: everything it shows comes in through `show`.

Panes build their fields, selects and buttons with `compact=True` (borderless, one line high):
80x24 first, so that a form and its actions fit a small terminal without scrolling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from textual import events
from textual.message import Message

from firmware_protocol.client.pump_client import DeviceError, PumpClient
from firmware_protocol.wire import messages as m
from programmer_tui.checks import PumpRules


@dataclass(frozen=True)
class PumpView:
    """All a pane is told about the pump."""

    status: m.Status | None = None
    rules: PumpRules = field(default_factory=PumpRules)
    stale: bool = True


class PumpCall(Message):
    """Ask the app to make one client call: `call` is given the client, on a worker thread.

    `done` gets the result and `failed` the pump's refusal, both on the UI's thread (`failed`
    returns True when it has told the user itself; otherwise the app shows the refusal). With
    `refresh` the app reads the status afterwards (a call that changes nothing leaves it out)."""

    def __init__(
        self,
        call: Callable[[PumpClient], Any],
        *,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[DeviceError], bool] | None = None,
        refresh: bool = True,
    ) -> None:
        super().__init__()
        self.call = call
        self.done = done
        self.failed = failed
        self.refresh = refresh


class Pane:
    """Mixed into each pane's container: the view it was last given. A pane overrides `shown` to
    draw a new view, and posts a `PumpCall` to have the pump do something. A view given before
    the pane's widgets are mounted is drawn once they are."""

    view: PumpView = PumpView()
    _ready = False

    def show(self, view: PumpView) -> None:
        self.view = view
        if self._ready:
            self.shown(view)

    def shown(self, view: PumpView) -> None:
        """Draw `view` (called only when the pane is on screen, or about to be)."""

    def _on_mount(self, _event: events.Mount) -> None:
        # (Textual calls this as well as the pane's own on_mount, which runs first.)
        self._ready = True
        self.shown(self.view)
