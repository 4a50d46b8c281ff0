"""Refill wizard: withdraw and compare, fill with the new drug (or a mixture of up to three),
offer the bridge bolus.

The drugs offered are the connected pump's library (the pump refuses any other); each drug's
limits are the pump's to check, at the review and at the fill."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from firmware_protocol.client.pump_client import DeviceError
from firmware_protocol.wire import convert
from firmware_protocol.wire import messages as m
from programmer_tui import format as fmt
from programmer_tui.checks import PumpRules
from programmer_tui.constant_flow import is_constant_flow
from programmer_tui.panes.common import Pane, PumpCall, PumpView
from programmer_tui.screens.review import ReviewScreen
from pumpsim import DEFAULT_LIBRARY, Continuous, Mix, TherapyProgram, dose_to_rate
from pumpsim.domain.program import average_rate_ml_per_day
from pumpsim.domain.stability import refill_by_s

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
        yield Button("Withdraw (empty the reservoir)", id="withdraw", compact=True)
        with Horizontal(classes="row"):
            yield Label("Withdrawn, measured (mL)")
            yield Input("", id="withdrawn", compact=True)
        yield Static("", id="verdict")
        yield Static("Step 2 — fill", classes="card-title")
        with Horizontal(classes="row"):
            yield Label("Drug")
            yield Select(
                [(d, d) for d in DEFAULT_LIBRARY],
                value="morphine",
                allow_blank=False,
                id="fill-drug",
                compact=True,
            )
            yield Label("Concentration", id="conc-label")
            yield Input("10", id="fill-conc", compact=True)
        with Horizontal(classes="row"):
            yield Label("Fill volume (mL)")
            yield Input("20", id="fill-volume", compact=True)
            yield Label("New dose/day", id="fill-dose-label")
            yield Input("", placeholder="keep the program", id="fill-dose", compact=True)
        for n in (2, 3):  # a mixture: up to three drugs in one reservoir
            with Horizontal(classes="row"):
                yield Label(f"with drug {n}")
                yield Select(
                    [("none", "")] + [(d, d) for d in DEFAULT_LIBRARY],
                    value="",
                    allow_blank=False,
                    id=f"fill-drug-{n}",
                    compact=True,
                )
                yield Label("Concentration", id=f"conc-label-{n}")
                yield Input("", id=f"fill-conc-{n}", compact=True)
        yield Button("Review and fill…", id="fill", variant="primary", compact=True)
        yield Static("", id="fill-result")
        yield Button("Give the bridge bolus", id="bridge", variant="warning", compact=True)

    def on_mount(self) -> None:
        self.query_one("#bridge", Button).display = False
        self._units()

    def shown(self, view: PumpView) -> None:
        if is_constant_flow(view.status):  # no program: the dose follows the concentration
            for widget_id in ("#fill-dose", "#fill-dose-label"):
                self.query_one(widget_id).display = False
        if view.rules is not self.drugs_of:
            self.drugs_of = view.rules
            select = self.query_one("#fill-drug", Select)
            chosen = select.value
            select.set_options([(d, d) for d in view.rules.library])
            if chosen in view.rules.library:
                select.value = chosen
            for n in (2, 3):
                extra = self.query_one(f"#fill-drug-{n}", Select)
                was = extra.value
                extra.set_options([("none", "")] + [(d, d) for d in view.rules.library])
                extra.value = was if was in view.rules.library else ""
        if self.filled and view.status is not None and not view.status.refill_in_progress:
            self.filled = False
            widget = self.query_one("#fill-result", Static)
            st, off = view.status, view.status.clock_offset_s
            keeps = (
                f"\nRefill by {fmt.day(st.refill_due_at_s, off)} (the drug's stability in the "
                "reservoir, or the date given)."
                if st.refill_due_at_s is not None
                else ""
            )
            widget.update(
                f"{widget.render()}\nNext refill due (low-reservoir alarm) around "
                f"{fmt.day(st.projected_low_reservoir_at_s, off)}.{keeps}"
            )

    def _units(self) -> None:
        drug = str(self.query_one("#fill-drug", Select).value)
        library = self.view.rules.library
        unit = library[drug].unit if drug in library else "mcg"
        self.query_one("#conc-label", Label).update(f"Concentration ({unit}/mL)")
        self.query_one("#fill-dose-label", Label).update(f"New dose/day of {drug} ({unit})")
        for n in (2, 3):
            extra = str(self.query_one(f"#fill-drug-{n}", Select).value)
            unit_n = library[extra].unit if extra in library else "mcg"
            label = f"Concentration ({unit_n}/mL)" if extra else "Concentration"
            self.query_one(f"#conc-label-{n}", Label).update(label)

    def _mix(self, drug: str, conc: float) -> Mix:
        """The fill's mix: the first drug and any others picked (ValueError on a bad number,
        or a drug named twice)."""
        drugs = {drug: conc}
        rules = self.view.rules
        for n in (2, 3):
            extra = str(self.query_one(f"#fill-drug-{n}", Select).value)
            if not extra:
                continue
            if extra in drugs:
                raise ValueError(f"{extra} is named twice")
            text = self.query_one(f"#fill-conc-{n}", Input).value
            drugs[extra] = float(text) * rules.unit_mcg(extra)
        return Mix.of(**drugs)

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
            self.post_message(PumpCall(lambda pump: pump.refill_withdraw(), done=self._withdrawn))
        elif event.button.id == "fill":
            self._review_fill()
        elif event.button.id == "bridge":
            self.post_message(
                PumpCall(lambda pump: pump.bridge_bolus(), done=lambda _b: self._bridged())
            )

    def _withdrawn(self, result: m.WithdrawResult) -> None:
        self.withdrawal = result
        self.query_one("#withdrawn", Input).value = f"{result.withdrawn_ml:.2f}"
        self._show_discrepancy()

    def _review_fill(self) -> None:
        status = self.view.status
        if status is None:
            return
        drug = str(self.query_one("#fill-drug", Select).value)
        rules = self.view.rules
        dose_text = self.query_one("#fill-dose", Input).value.strip()
        try:
            per_ml = float(self.query_one("#fill-conc", Input).value)
            conc = per_ml * rules.unit_mcg(drug)
            volume = float(self.query_one("#fill-volume", Input).value)
            dose = float(dose_text) * rules.unit_mcg(drug) if dose_text else None
            mix = self._mix(drug, conc)
        except ValueError as e:
            said = f" ({e})" if "twice" in str(e) else ""
            self.notify(
                f"Enter each concentration, the volume and the dose as numbers{said}.",
                severity="error",
            )
            return
        program = None
        if dose is not None and conc > 0:
            # A new drug starts on its own dose: continuous, and no patient bolus until one is
            # set for it on the Program tab (the old one's volume would be another drug's dose).
            resolution = rules.config.rate_resolution_ml_per_day
            rate = dose_to_rate(dose, conc, resolution).rate_ml_per_day
            program = TherapyProgram(Continuous(rate), None, status.program.low_reservoir_alarm_ml)
        # Without a new dose the program keeps its rate in mL/day, and what it delivers follows
        # the new concentration.
        in_force = convert.program_from_spec(status.program)
        after = in_force if program is None else program
        if is_constant_flow(status):  # it runs at its factory rate whatever it held before
            after = TherapyProgram(Continuous(rules.config.drive.factory_rate_ml_per_day))
        ml_per_day = average_rate_ml_per_day(after.basal)

        def doses(program: TherapyProgram, mix: Mix) -> list[str]:
            daily = convert.daily_doses(program, mix)
            return [f"{d.drug} {fmt.dose(d.drug, d.mcg)}" for d in daily] or ["—"]

        old_drugs = [fmt.mix((d,), "—") for d in status.mix] or ["—"]
        new_drugs = [fmt.mix((d,), "—") for d in convert.mix_to_specs(mix)] or ["—"]
        rows = _one_a_line("drug", old_drugs, new_drugs)  # a mixture, a drug a line (80x24)
        rows.append(("reservoir", f"{status.reservoir_ml:.2f} mL", f"{volume:g} mL"))
        rows += _one_a_line(
            "dose a day",
            doses(in_force, convert.mix_from_specs(status.mix)),
            doses(after, mix),
        )
        # The pump sets the refill-by date from the drug's stability (a new pump, one never
        # filled, holds no mix: its first fill); shown here as the pump will compute it.
        off = status.clock_offset_s
        keeps = refill_by_s(mix, status.at_s, first_fill=not status.mix)
        rows.append(("refill by", fmt.day(status.refill_due_at_s, off), fmt.day(keeps, off)))
        mode = fmt.program_mode(status.program)
        same_drug = [(d.drug, d.mcg_per_ml) for d in status.mix] == [
            (d.drug, d.mcg_per_ml) for d in mix.components
        ]
        note = ""
        if program is not None:
            rows.append(("program", mode, f"continuous {ml_per_day:g} mL/day"))
            rows.append(("patient bolus", "on" if status.program.patient_bolus else "off", "off"))
        elif is_constant_flow(status):
            note = (
                "A constant-flow pump gives this dose a day at its factory rate: only another "
                "concentration changes it."
            )
        elif not same_drug and ml_per_day > 0:
            note = (
                f"The program in force ({mode}) keeps its rate, so with this fill it delivers "
                "the new dose a day shown. Give a dose here, or reprogram on the Program tab, if "
                "that is not intended."
            )

        def fill(override: bool) -> None:
            self.post_message(
                PumpCall(
                    lambda pump: pump.refill_fill(
                        volume, mix, program, override_soft_limits=override
                    ),
                    done=self._filled,
                    failed=lambda e: self._fill_refused(e, rows, fill),
                )
            )

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                fill(False)

        self.app.push_screen(ReviewScreen("Review the refill", rows, note=note), decided)

    def _fill_refused(
        self, error: DeviceError, rows: list[tuple[str, str, str]], fill: Callable[[bool], None]
    ) -> bool:
        """Past a soft limit the pump asks for an explicit override: show its warnings, and fill
        again with the override only if the clinician ticks it and confirms."""
        if error.code != "SOFT_LIMIT_OVERRIDE_REQUIRED":
            return False  # the app shows the refusal
        warnings = [f"{v.code}: {v.message}" for v in error.violations]

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                fill(True)

        screen = ReviewScreen("The refill passes a soft limit", rows, warnings=warnings)
        self.app.push_screen(screen, decided)
        return True

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


def _one_a_line(what: str, old: list[str], new: list[str]) -> list[tuple[str, str, str]]:
    """Review rows for two lists side by side, one item a line, the label on the first."""
    n = max(len(old), len(new))
    return [
        (what if i == 0 else "", old[i] if i < len(old) else "", new[i] if i < len(new) else "")
        for i in range(n)
    ]
