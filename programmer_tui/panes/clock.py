"""Clock: the pump's time as it shows it, and setting it (after a replacement, a time-zone change).

The pump keeps simulated time; its clock is an offset added for display and for the log's dates.
Setting it is reviewed like any change and written as a transaction; the pump logs it.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from programmer_tui import format as fmt
from programmer_tui.panes.common import Pane, PumpCall, PumpView
from programmer_tui.screens.review import ReviewScreen

FORMAT = "%Y-%m-%d %H:%M"


def offset_text(offset_s: float) -> str:
    sign = "-" if offset_s < 0 else "+"
    minutes = round(abs(offset_s) / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{sign}{days} d {hours:02d}:{mins:02d}" if days else f"{sign}{hours:02d}:{mins:02d}"


def offset_for(target: str, at_s: float) -> float:
    """The offset that makes simulated second `at_s` read as `target` (YYYY-MM-DD HH:MM)."""
    when = datetime.strptime(target.strip(), FORMAT)
    return (when - fmt.EPOCH).total_seconds() - at_s


class ClockPane(Pane, Vertical):
    def compose(self) -> ComposeResult:
        with Vertical(classes="card"):
            yield Static("Pump clock", classes="card-title")
            yield Static("—", id="clock-now")
        with Horizontal(classes="row"):
            yield Label("Set to (YYYY-MM-DD HH:MM)")
            yield Input("", placeholder="2026-03-29 02:00", id="clock-target", compact=True)
        yield Static("", id="clock-error")
        yield Button("Review and set…", variant="primary", id="clock-review", compact=True)

    def shown(self, view: PumpView) -> None:
        status = view.status
        if status is None:
            return
        self.query_one("#clock-now", Static).update(
            f"The pump shows {fmt.when(status.at_s, status.clock_offset_s)}  "
            f"(offset {offset_text(status.clock_offset_s)} from its running time)"
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        status = self.view.status
        if event.button.id != "clock-review" or status is None:
            return
        error = self.query_one("#clock-error", Static)
        try:
            offset = offset_for(self.query_one("#clock-target", Input).value, status.at_s)
        except ValueError:
            error.update("✗ write the date and time as YYYY-MM-DD HH:MM")
            return
        error.update("")
        rows = [
            (
                "pump time",
                fmt.when(status.at_s, status.clock_offset_s),
                fmt.when(status.at_s, offset),
            ),
            ("offset", offset_text(status.clock_offset_s), offset_text(offset)),
        ]
        note = "Log dates and the refill date are shown on the new clock; therapy is unchanged."

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                done = lambda _: self.notify("The pump's clock is set (the pump logged it).")  # noqa: E731
                self.post_message(PumpCall(lambda pump: pump.set_clock(offset), done=done))

        self.app.push_screen(ReviewScreen("Set the pump's clock", rows, note=note), decided)
