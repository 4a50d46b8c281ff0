"""Review before write: old and new side by side, every change highlighted, then an explicit yes.

Past a soft limit (a titration step too steep, a dose above the usual range) the pump accepts the
program only with an override: the warnings are shown apart from the changes, each with its code
and a plain sentence, and the confirm button stays off until the clinician ticks the override.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Static


class ReviewScreen(ModalScreen[bool]):
    """Rows are (what, in force, new); rows whose values differ are highlighted."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+y", "confirm", "Confirm"),
    ]

    def __init__(
        self,
        title: str,
        rows: list[tuple[str, str, str]],
        note: str = "",
        warnings: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.review_title = title
        self.rows = rows
        self.note = note
        self.warnings = warnings or []

    def compose(self) -> ComposeResult:
        with Vertical(id="review-box"):
            yield Static(self.review_title, classes="card-title")
            yield DataTable(id="review-table", cursor_type="none", zebra_stripes=True)
            if self.note:
                yield Static(self.note, id="review-note")
            if self.warnings:
                lines = "\n".join(f"• {w}" for w in self.warnings)
                yield Static(f"Soft limits passed:\n{lines}", id="review-warnings")
                yield Checkbox(
                    "I have weighed these warnings and override the soft limits", id="override"
                )
            with Horizontal(classes="buttons"):
                label = (
                    "Override and write to pump (ctrl+y)"
                    if self.warnings
                    else ("Confirm and write to pump (ctrl+y)")
                )
                yield Button(label, variant="success", id="confirm", disabled=bool(self.warnings))
                yield Button("Cancel (esc)", variant="default", id="cancel")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "in force", "new")
        for what, old, new in self.rows:
            if old != new:
                table.add_row(
                    Text(what, style="bold"), Text(old), Text(new, style="bold black on yellow")
                )
            else:
                table.add_row(what, old, new)
        self.query_one("#cancel", Button).focus()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.query_one("#confirm", Button).disabled = not event.value

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        if not self.query_one("#confirm", Button).disabled:
            self.dismiss(True)
