"""Clinician, priming and bridge boluses, each reviewed before it is given."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from firmware_protocol.wire import messages as m
from programmer_tui import format as fmt
from programmer_tui.constant_flow import is_constant_flow
from programmer_tui.panes.common import Pane, PumpCall, PumpView
from programmer_tui.screens.review import ReviewScreen


class BolusPane(Pane, VerticalScroll):
    can_focus = False  # tab goes straight to the fields; they scroll into view

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("Kind")
            yield Select(
                [
                    ("clinician bolus", "clinician"),
                    ("priming bolus", "priming"),
                    ("bridge bolus", "bridge"),
                ],
                value="clinician",
                allow_blank=False,
                id="bolus-kind",
                compact=True,
            )
        with Horizontal(classes="row", id="bolus-dose-row"):
            yield Label("Dose", id="bolus-dose-label")
            yield Input("", placeholder="dose", id="bolus-dose", compact=True)
            yield Label("over (min)")
            yield Input("60", id="bolus-minutes", compact=True)
        yield Static("", id="bolus-summary")
        with Horizontal(classes="buttons"):
            yield Button("Review and give…", variant="primary", id="bolus-review", compact=True)
            yield Button("Cancel running bolus", variant="error", id="bolus-cancel", compact=True)

    def shown(self, view: PumpView) -> None:
        self.summarise()

    def summarise(self) -> tuple[str, float | None, float | None]:
        """(what will happen, volume mL, duration s) for the form as it stands."""
        status = self.view.status
        kind = str(self.query_one("#bolus-kind", Select).value)
        self.query_one("#bolus-dose-row").display = kind == "clinician"
        summary = self.query_one("#bolus-summary", Static)
        if status is None:
            return "", None, None
        flat = is_constant_flow(status)
        self.query_one("#bolus-review", Button).disabled = flat
        if flat:
            text = "A constant-flow pump gives no bolus: it flows at its factory rate."
            summary.update(text)
            return text, None, None
        ends = fmt.when(status.bolus_ends_at_s, status.clock_offset_s)
        running = f"Running: {status.bolus_kind} bolus until {ends}\n" if status.bolus_kind else ""
        if kind == "priming":
            text = (
                "Fills tubing and catheter at the pump's fastest rate (after implant or revision)."
            )
            summary.update(running + text)
            return text, None, None
        if kind == "bridge":
            text = (
                "Pushes the old drug out of tubing and catheter at the old rate "
                "(offered after a refill with a new concentration)."
            )
            summary.update(running + text)
            return text, None, None
        if not status.mix:
            summary.update(running + "The reservoir is empty.")
            return "", None, None
        drug = status.mix[0]
        self.query_one("#bolus-dose-label", Label).update(
            f"Dose ({fmt.dose(drug.drug, 0).split()[1]})"
        )
        try:
            dose = float(self.query_one("#bolus-dose", Input).value)
            minutes = float(self.query_one("#bolus-minutes", Input).value)
        except ValueError:
            summary.update(running + "Enter the dose and the duration.")
            return "", None, None
        unit_mcg = self.view.rules.unit_mcg(drug.drug)
        volume = dose * unit_mcg / drug.mcg_per_ml
        text = (
            f"{fmt.dose(drug.drug, dose * unit_mcg)} = {volume:.4g} mL "
            f"over {minutes:g} min "
            f"({volume * 1440 / minutes if minutes else 0:.3g} mL/day), then back to the program"
        )
        summary.update(running + text)
        return text, volume, minutes * 60

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.summarise()

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.summarise()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "bolus-cancel":
            self.post_message(PumpCall(lambda pump: pump.cancel_bolus()))
            return
        kind = str(self.query_one("#bolus-kind", Select).value)
        text, volume, duration = self.summarise()
        if kind == "clinician" and (volume is None or duration is None):
            self.notify("Enter a dose and a duration first.", severity="error")
            return
        status = self.view.status

        def decided(confirmed: bool | None) -> None:
            if not confirmed:
                return

            def done(b: m.BolusStarted) -> None:
                ends = fmt.when(b.ends_at_s, status.clock_offset_s if status else 0.0)
                self.notify(f"{b.kind} bolus: {b.volume_ml:.4g} mL until {ends}")

            if kind == "clinician" and volume is not None and duration is not None:
                self.post_message(
                    PumpCall(lambda pump: pump.clinician_bolus(volume, duration), done=done)
                )
            elif kind == "priming":
                self.post_message(PumpCall(lambda pump: pump.priming_bolus(None), done=done))
            else:
                self.post_message(PumpCall(lambda pump: pump.bridge_bolus(), done=done))

        # Short rows, so that the review fits 80 columns; what a kind of bolus does in the note.
        rows = [("bolus", "none", f"{kind} bolus")]
        note = text
        if kind == "clinician" and volume is not None and duration is not None and status:
            drug = status.mix[0]
            rows += [
                ("dose", "", fmt.dose(drug.drug, volume * drug.mcg_per_ml)),
                ("volume", "", f"{volume:.4g} mL"),
                ("over", "", f"{duration / 60:g} min ({volume * 86400 / duration:.3g} mL/day)"),
            ]
            note = "Then back to the program in force."
        if status is not None:
            mode = fmt.program_mode(status.program)
            rows.append(("program", mode, mode))
        self.app.push_screen(ReviewScreen(f"Review the {kind} bolus", rows, note=note), decided)
