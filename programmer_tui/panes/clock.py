"""Clock: the pump's time as it shows it, and setting it (after a replacement, a time-zone change).

The pump keeps running time; its clock is an offset added to it, and a flexible schedule is written
on that clock, so setting it moves the steps. Setting it is reviewed like any change and written as
a transaction; the pump logs it. The pump does not follow daylight saving by itself: a programmer
started with `--tz NAME` shows the zone's local time beside the pump's and offers to set it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

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


def local_time(zone: ZoneInfo, at_s: float) -> datetime:
    """The zone's local time at running second `at_s`, the simulated world's clock being UTC
    (a pump at offset 0 shows UTC)."""
    return (fmt.EPOCH.replace(tzinfo=UTC) + timedelta(seconds=at_s)).astimezone(zone)


class ClockPane(Pane, Vertical):
    def compose(self) -> ComposeResult:
        with Vertical(classes="card"):
            yield Static("Pump clock", classes="card-title")
            yield Static("—", id="clock-now")
        with Horizontal(classes="row"):
            yield Label("Set to (YYYY-MM-DD HH:MM)")
            yield Input("", placeholder="2026-03-29 02:00", id="clock-target", compact=True)
        yield Static("", id="clock-error")
        with Horizontal(classes="row"):
            yield Button("Review and set…", variant="primary", id="clock-review", compact=True)
            yield Button("Local time", id="clock-local", compact=True)

    def shown(self, view: PumpView) -> None:
        status = view.status
        if status is None:
            return
        text = (
            f"The pump shows {fmt.when(status.at_s, status.clock_offset_s)}  "
            f"(offset {offset_text(status.clock_offset_s)} from its running time)"
        )
        zone = getattr(self.app, "time_zone", None)
        self.query_one("#clock-local", Button).display = zone is not None
        if zone is not None:
            local = local_time(zone, status.at_s)
            pump = fmt.EPOCH + timedelta(seconds=status.at_s + status.clock_offset_s)
            behind = round((local.replace(tzinfo=None) - pump).total_seconds() / 60)
            text += f"\nLocal time in {zone.key}: {local:{FORMAT} %Z}"
            if behind:
                text += (
                    f"; the pump is {offset_text(abs(behind) * 60.0)[1:]} "
                    f"{'behind' if behind > 0 else 'ahead'} (it does not follow daylight "
                    "saving by itself: Local time fills it in)"
                )
        self.query_one("#clock-now", Static).update(text)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        status = self.view.status
        zone = getattr(self.app, "time_zone", None)
        if event.button.id == "clock-local" and status is not None and zone is not None:
            target = local_time(zone, status.at_s).strftime(FORMAT)
            self.query_one("#clock-target", Input).value = target
            return
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
        note = (
            "A schedule's steps follow the clock: from now they run at the new clock's times "
            "(the dose over a whole day or week is unchanged). Records already in the log keep "
            "the clock they were written under."
        )

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                done = lambda _: self.notify("The pump's clock is set (the pump logged it).")  # noqa: E731
                self.post_message(PumpCall(lambda pump: pump.set_clock(offset), done=done))

        self.app.push_screen(ReviewScreen("Set the pump's clock", rows, note=note), decided)
