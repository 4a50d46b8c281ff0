"""Debrief: at the end of a training scenario, what the trainee did against what was expected."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from programmer_tui import format as fmt
from programmer_tui.training import Debrief


class DebriefScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "close", "Close")
    ]

    def __init__(self, name: str, debrief: Debrief) -> None:
        super().__init__()
        self.scenario_name = name
        self.debrief = debrief

    def compose(self) -> ComposeResult:
        d = self.debrief
        with VerticalScroll(id="review-box"):
            verdict = "all expectations met" if d.passed else "some expectations not met"
            yield Static(
                f"Training debrief: {self.scenario_name} — {verdict}", classes="card-title"
            )
            for ok, text in d.lines:
                yield Static(f"{'✓' if ok else '✗'} {text}", classes="" if ok else "critical")
            seen = ", ".join(d.alarms_seen) or "none"
            acked = ", ".join(d.alarms_acknowledged) or "none"
            yield Static(f"Alarms raised: {seen}\nAlarms acknowledged: {acked}")
            yield Static(f"Refill verdicts: {', '.join(d.verdicts) or 'no refill done'}")
            doses = ", ".join(f"{drug} {fmt.dose(drug, mcg)}" for drug, mcg in d.delivered.items())
            yield Static(f"Delivered to the spine: {doses or 'nothing'}")
            if d.patient:
                yield Static(
                    "Virtual patient (illustrative, vs its own baseline; not dosing advice): "
                    + d.patient[0],
                    classes="card-title",
                )
                for line in d.patient[1:]:
                    yield Static(f"  {line}")
            yield Button("Close (esc)", id="close")

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
