"""Refill wizard: withdraw and compare, fill with the new drug, offer the bridge bolus.

The drugs offered are the connected pump's library (the pump refuses any other)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from firmware_protocol import messages as m
from programmer_tui import format as fmt
from programmer_tui.checks import PumpRules
from programmer_tui.panes.common import Pane, PumpView
from programmer_tui.screens.review import ReviewScreen
from pumpsim import DEFAULT_LIBRARY, Mix

VERDICTS = {
    "within_tolerance": "within tolerance",
    "over_infusion_suspected": "LESS than expected: over-infusion suspected",
    "under_infusion_suspected": "MORE than expected: under-infusion or occlusion suspected",
}


class RefillPane(Pane, VerticalScroll):
    can_focus = False  # tab goes straight to the fields; they scroll into view

    def __init__(self) -> None:
        super().__init__()
        self.withdrawal: m.WithdrawResult | None = None
        self.filled = False  # a fill is done: say when the next one is due, once the status has it
        self.drugs_of: PumpRules | None = None  # whose library the drug list shows

    def compose(self) -> ComposeResult:
        yield Static("Step 1 — empty the reservoir and compare", classes="card-title")
        yield Button("Withdraw (empty the reservoir)", id="withdraw")
        with Horizontal(classes="row"):
            yield Label("Withdrawn, measured (mL)")
            yield Input("", id="withdrawn")
        yield Static("", id="verdict")
        yield Static("Step 2 — fill", classes="card-title")
        with Horizontal(classes="row"):
            yield Label("Drug")
            yield Select(
                [(d, d) for d in DEFAULT_LIBRARY],
                value="morphine",
                allow_blank=False,
                id="fill-drug",
            )
            yield Label("Concentration", id="conc-label")
            yield Input("10", id="fill-conc")
        with Horizontal(classes="row"):
            yield Label("Fill volume (mL)")
            yield Input("20", id="fill-volume")
        yield Button("Review and fill…", id="fill", variant="primary")
        yield Static("", id="fill-result")
        yield Button("Give the bridge bolus", id="bridge", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#bridge", Button).display = False
        self._units()

    def shown(self, view: PumpView) -> None:
        if view.rules is not self.drugs_of:
            self.drugs_of = view.rules
            select = self.query_one("#fill-drug", Select)
            chosen = select.value
            select.set_options([(d, d) for d in view.rules.library])
            if chosen in view.rules.library:
                select.value = chosen
        if self.filled and view.status is not None and not view.status.refill_in_progress:
            self.filled = False
            widget = self.query_one("#fill-result", Static)
            widget.update(
                f"{widget.render()}\nNext refill due (low-reservoir alarm) around "
                f"{fmt.day(view.status.projected_low_reservoir_at_s, view.status.clock_offset_s)}."
            )

    def _units(self) -> None:
        drug = str(self.query_one("#fill-drug", Select).value)
        library = self.view.rules.library
        unit = library[drug].unit if drug in library else "mcg"
        self.query_one("#conc-label", Label).update(f"Concentration ({unit}/mL)")

    def on_select_changed(self, _event: Select.Changed) -> None:
        self._units()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "withdrawn" and self.withdrawal is not None:
            self._show_discrepancy()

    def _show_discrepancy(self) -> None:
        result = self.withdrawal
        if result is None:
            return
        try:
            measured = float(self.query_one("#withdrawn", Input).value)
        except ValueError:
            measured = result.withdrawn_ml
        diff = measured - result.expected_ml
        if diff < -result.tolerance_ml:
            verdict = VERDICTS["over_infusion_suspected"]
        elif diff > result.tolerance_ml:
            verdict = VERDICTS["under_infusion_suspected"]
        else:
            verdict = VERDICTS["within_tolerance"]
        widget = self.query_one("#verdict", Static)
        widget.update(
            f"Expected by the pump {result.expected_ml:.2f} mL, measured {measured:.2f} mL: "
            f"difference {diff:+.2f} mL (tolerance ±{result.tolerance_ml:g} mL)\n"
            f"→ {verdict}\nPump's own verdict: {VERDICTS[result.verdict]}"
        )
        widget.set_class(result.verdict != "within_tolerance", "warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "withdraw":
            self.call_pump(lambda pump: pump.refill_withdraw(), done=self._withdrawn)
        elif event.button.id == "fill":
            self._review_fill()
        elif event.button.id == "bridge":
            self.call_pump(lambda pump: pump.bridge_bolus(), done=lambda _b: self._bridged())

    def _withdrawn(self, result: m.WithdrawResult) -> None:
        self.withdrawal = result
        self.query_one("#withdrawn", Input).value = f"{result.withdrawn_ml:.2f}"
        self._show_discrepancy()

    def _review_fill(self) -> None:
        status = self.view.status
        if status is None:
            return
        drug = str(self.query_one("#fill-drug", Select).value)
        try:
            per_ml = float(self.query_one("#fill-conc", Input).value)
            conc = per_ml * self.view.rules.unit_mcg(drug)
            volume = float(self.query_one("#fill-volume", Input).value)
        except ValueError:
            self.notify("Enter the concentration and the fill volume as numbers.", severity="error")
            return
        mix = Mix.of(**{drug: conc})
        old = (
            " + ".join(f"{d.drug} {fmt.concentration(d.drug, d.mcg_per_ml)}" for d in status.mix)
            or "—"
        )
        rows = [
            ("drug", old, f"{drug} {fmt.concentration(drug, conc)}"),
            ("reservoir", f"{status.reservoir_ml:.2f} mL", f"{volume:g} mL"),
            ("program", status.program.mode, status.program.mode),
        ]

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                self.call_pump(lambda pump: pump.refill_fill(volume, mix), done=self._filled)

        self.app.push_screen(ReviewScreen("Review the refill", rows), decided)

    def _filled(self, result: m.FillResult) -> None:
        text = f"Filled {result.volume_ml:g} mL."
        bridge = self.query_one("#bridge", Button)
        if result.bridge:
            b = result.bridge[0]
            text += (
                "\nThe catheter still holds the old drug: a bridge bolus would push "
                f"{b.volume_ml:g} mL "
                f"at the old rate ({b.rate_ml_per_day:g} mL/day) over {b.duration_s / 3600:.1f} h."
            )
        bridge.display = bool(result.bridge)
        self.query_one("#fill-result", Static).update(text)
        self.notify("Reservoir filled.")
        self.filled = True  # the status read after the fill carries the projection

    def _bridged(self) -> None:
        self.query_one("#bridge", Button).display = False
        self.notify("Bridge bolus started.")
