"""Program editor: doses in the drug's unit, rates computed at the pump's resolution, the model's
own rules checked while typing, and a review before anything is written."""

from __future__ import annotations

import contextlib

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, Static

from firmware_protocol.wire import convert
from firmware_protocol.wire import messages as m
from programmer_tui import format as fmt
from programmer_tui.constant_flow import is_constant_flow, program_view
from programmer_tui.panes.common import Pane, PumpCall, PumpView
from programmer_tui.screens.review import ReviewScreen
from pumpsim import (
    Continuous,
    FlexibleSchedule,
    Mix,
    PatientBolusSettings,
    SchedulePeriod,
    Step,
    Stopped,
    TherapyProgram,
    dose_to_rate,
)


class ProgramPane(Pane, VerticalScroll):
    """A form for the whole program; `program()` turns it into a TherapyProgram or errors."""

    can_focus = False  # tab goes straight to the fields; they scroll into view

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[tuple[float, float, float]] = []  # start_s, duration_s, dose (unit/day)
        self.loaded = False
        self.source: m.ProgramSpec | None = None  # the pump's program the form was filled from
        self.dose_drugs: list[str] = []  # the mix's drugs, as the picker offers them
        self.dosing: str | None = None  # the drug the form's doses are in (None: the first)

    def compose(self) -> ComposeResult:
        yield Static("", id="constant-flow")
        with Vertical(id="prog-form"):
            yield Static("—", id="prog-mix")
            with Horizontal(classes="row", id="dose-drug-row"):
                yield Label("Dose the program by")
                yield Select([], allow_blank=True, id="dose-drug", compact=True)
                yield Static("(the others follow from its rate)")
            with Horizontal(classes="row"):
                yield Label("Mode")
                yield Select(
                    [
                        ("continuous", "continuous"),
                        ("flexible (daily steps)", "flexible"),
                        ("flexible (weekly steps)", "weekly"),
                        ("stopped", "stopped"),
                    ],
                    value="continuous",
                    allow_blank=False,
                    id="mode",
                    compact=True,
                )
            with Horizontal(classes="row", id="continuous-row"):
                yield Label("Dose per day", id="dose-label")
                yield Input("", id="dose", placeholder="e.g. 3", compact=True)
                yield Static("", id="rate")
            with Vertical(id="flex-box"):
                yield Static("", id="week-view")
                yield DataTable(id="steps", cursor_type="row")
                with Horizontal(classes="row"):
                    yield Input("", placeholder="from hh:mm", id="step-from", compact=True)
                    yield Input("", placeholder="to hh:mm", id="step-to", compact=True)
                    yield Input("", placeholder="dose/day", id="step-dose", compact=True)
                    yield Button("Add step", id="add-step", compact=True)
                    yield Button("Remove last", id="remove-step", compact=True)
            with Horizontal(classes="row"):
                yield Checkbox("Patient bolus", id="pb-on")
                yield Label("dose", id="pb-dose-label")
                yield Input("", placeholder="dose", id="pb-dose", compact=True)
                yield Label("over (min)")
                yield Input("10", placeholder="min", id="pb-duration", compact=True)
            with Horizontal(classes="row"):
                yield Label("lockout (min)")
                yield Input("180", placeholder="lockout min", id="pb-lockout", compact=True)
                yield Label("max per 24 h")
                yield Input("4", placeholder="max/24h", id="pb-max", compact=True)
            with Horizontal(classes="row"):
                yield Label("Low-reservoir alarm (mL)")
                yield Input("2", id="low-alarm", compact=True)
            yield Static("", id="violations")
            with Horizontal(classes="buttons"):
                yield Button("Review and write…", variant="primary", id="review", compact=True)
                yield Button("Reload from pump", id="reload", compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#steps", DataTable)
        table.add_columns("from", "to", "dose/day", "mL/day")

    # ----------------------------------------------------------------- status

    def mix(self) -> Mix:
        status = self.view.status
        return convert.mix_from_specs(status.mix) if status else Mix()

    def primary(self) -> tuple[str, float] | None:
        """The drug the clinician doses the program by (the mix's first unless another is
        picked), with its concentration."""
        mix = self.mix()
        for d in mix.components:
            if d.drug == self.dosing:
                return (d.drug, d.mcg_per_ml)
        primary = mix.primary
        return (primary.drug, primary.mcg_per_ml) if primary else None

    def shown(self, view: PumpView) -> None:
        status = view.status
        if status is None:
            return
        flat = is_constant_flow(status)  # no program: what its factory rate gives instead
        self.query_one("#prog-form").display = not flat
        self.query_one("#constant-flow").display = flat
        if flat:
            self.query_one("#constant-flow", Static).update(program_view(status, view.rules))
            return
        self.query_one("#prog-mix", Static).update(
            f"Reservoir: {fmt.mix(status.mix, 'empty (refill first)')}"
            "   (drug and concentration are set at refill)"
        )
        drugs = [d.drug for d in status.mix]
        if drugs != self.dose_drugs:
            self.dose_drugs = drugs
            if self.dosing not in drugs:
                self.dosing = drugs[0] if drugs else None
            picker = self.query_one("#dose-drug", Select)
            picker.set_options([(d, d) for d in drugs])
            if self.dosing is not None:
                picker.value = self.dosing
        self.query_one("#dose-drug-row").display = len(drugs) > 1
        primary = self.primary()
        library = view.rules.library
        unit = library[primary[0]].unit if primary and primary[0] in library else "mcg"
        self.query_one("#dose-label", Label).update(f"Dose per day ({unit})")
        self.query_one("#pb-dose-label", Label).update(f"dose ({unit})")
        if not self.loaded:
            self.load(convert.program_from_spec(status.program))
            self.source = status.program
        elif status.program != self.source and self.source is not None:
            # The pump's program changed (a refill, a reset, another programmer): follow it,
            # unless the clinician has started editing, who is told instead. A form that holds
            # what the pump now runs was just written from here: nothing to say.
            form, _ = self.program()
            now = convert.program_from_spec(status.program)
            if form == convert.program_from_spec(self.source):
                self.load(now)
            elif form != now:
                self.notify("The pump's program changed while you were editing it.")
            self.source = status.program

    def _in_force(self) -> TherapyProgram:
        status = self.view.status
        assert status is not None
        return convert.program_from_spec(status.program)

    def load(self, program: TherapyProgram) -> None:
        """Fill the form from a program (the one in force, or after a reload)."""
        self.loaded = True
        primary = self.primary()
        per_ml = primary[1] / self.view.rules.unit_mcg(primary[0]) if primary else 0.0
        basal = program.basal
        mode = self.query_one("#mode", Select)
        self.steps = []
        if isinstance(basal, Continuous):
            mode.value = "continuous"
            self.query_one("#dose", Input).value = f"{basal.rate_ml_per_day * per_ml:.6g}"
        elif isinstance(basal, FlexibleSchedule):
            mode.value = "weekly" if basal.period is SchedulePeriod.WEEKLY else "flexible"
            self.steps = [
                (s.start_s, s.duration_s, s.rate_ml_per_day * per_ml) for s in basal.steps
            ]
        else:
            mode.value = "stopped"
        pb = program.patient_bolus
        self.query_one("#pb-on", Checkbox).value = pb is not None
        if pb is not None:
            self.query_one("#pb-dose", Input).value = f"{pb.volume_ml * per_ml:.6g}"
            self.query_one("#pb-duration", Input).value = f"{pb.duration_s / 60:g}"
            self.query_one("#pb-lockout", Input).value = f"{pb.lockout_s / 60:g}"
            self.query_one("#pb-max", Input).value = str(pb.max_per_24h)
        self.query_one("#low-alarm", Input).value = f"{program.low_reservoir_alarm_ml:g}"
        self._redraw_steps()
        self.validate()

    # ------------------------------------------------------------------- form

    def _rate(self, dose_per_day: float) -> tuple[float, str]:
        primary = self.primary()
        if primary is None:
            raise ValueError("the reservoir is empty: refill before programming a dose")
        rules = self.view.rules
        resolution = rules.config.rate_resolution_ml_per_day
        conv = dose_to_rate(dose_per_day * rules.unit_mcg(primary[0]), primary[1], resolution)
        note = (
            f"= {conv.rate_ml_per_day:g} mL/day, delivers "
            f"{fmt.dose(primary[0], conv.dose_mcg_per_day)}/day "
            f"(rounding {fmt.dose(primary[0], conv.rounding_mcg_per_day)})"
        )
        others = [
            f"{d.drug} {fmt.dose(d.drug, conv.rate_ml_per_day * d.mcg_per_ml)}/day"
            for d in self.mix().components
            if d.drug != primary[0]
        ]
        if others:
            note += "; with it " + ", ".join(others)
        return conv.rate_ml_per_day, note

    def program(self) -> tuple[TherapyProgram | None, list[str]]:
        """The form as a program, or the reasons it cannot be read."""
        errors: list[str] = []

        def number(field: str, what: str) -> float:
            text = self.query_one(f"#{field}", Input).value.strip()
            try:
                return float(text)
            except ValueError:
                errors.append(f"{what}: {text!r} is not a number")
                return 0.0

        mode = self.query_one("#mode", Select).value
        basal: Stopped | Continuous | FlexibleSchedule = Stopped()
        try:
            if mode == "continuous":
                basal = Continuous(self._rate(number("dose", "dose per day"))[0])
            elif mode in ("flexible", "weekly"):
                basal = FlexibleSchedule(
                    tuple(Step(s, d, self._rate(dose)[0]) for s, d, dose in self.steps),
                    SchedulePeriod.WEEKLY if mode == "weekly" else SchedulePeriod.DAILY,
                )
            pb = None
            if self.query_one("#pb-on", Checkbox).value:
                dose = number("pb-dose", "patient bolus dose")
                primary = self.primary()
                unit = self.view.rules.unit_mcg(primary[0]) if primary else 1.0
                volume = dose * unit / primary[1] if primary else 0.0
                pb = PatientBolusSettings(
                    round(volume, 6),
                    number("pb-duration", "bolus duration") * 60,
                    number("pb-lockout", "lockout") * 60,
                    int(number("pb-max", "max per 24 h")),
                )
        except ValueError as e:
            errors.append(str(e))
            return None, errors
        low = number("low-alarm", "low-reservoir alarm")
        if errors:
            return None, errors
        return TherapyProgram(basal, pb, low), errors

    def validate(self) -> TherapyProgram | None:
        """Check the form with the model's own rules; show every problem inline."""
        program, errors = self.program()
        mode = self.query_one("#mode", Select).value
        self.query_one("#continuous-row").display = mode == "continuous"
        self.query_one("#flex-box").display = mode in ("flexible", "weekly")
        weekly = mode == "weekly"
        self.query_one("#step-from", Input).placeholder = (
            "from Mon 08:00" if weekly else "from hh:mm"
        )
        self.query_one("#step-to", Input).placeholder = "to Mon 20:00" if weekly else "to hh:mm"
        self.query_one("#week-view", Static).update(self._week_view() if weekly else "")
        rate_label = self.query_one("#rate", Static)
        rate_label.update("")
        if mode == "continuous" and not errors:
            with contextlib.suppress(ValueError):
                rate_label.update(self._rate(float(self.query_one("#dose", Input).value))[1])
        messages = list(errors)
        if program is not None:
            violations = self.view.rules.violations(program, self.mix())
            messages += [f"{v.code}: {v.message}" for v in violations]
        box = self.query_one("#violations", Static)
        box.update("\n".join(f"✗ {text}" for text in messages) or "✓ the pump's rules are met")
        box.set_class(bool(messages), "critical")
        # Looks ready only when the pump's rules are met; not disabled, so that Tab order does
        # not change under keys typed ahead, and pressing it checks again (see `review`).
        self.query_one("#review", Button).variant = "default" if messages else "primary"
        return program if not messages else None

    def _weekly(self) -> bool:
        return self.query_one("#mode", Select).value == "weekly"

    def _week_view(self) -> str:
        """The dose each day of the week gets from the steps (the week starts Monday 00:00).

        Summed here rather than by the model's `daily_volumes_ml`: that reads a whole, valid
        schedule, and this shows the steps while they are still being typed (gaps and all)."""
        primary = self.primary()
        unit = self.view.rules.library[primary[0]].unit if primary else ""
        days = [0.0] * 7
        for start, duration, dose in self.steps:
            for d in range(7):
                overlap = min(start + duration, (d + 1) * 86400.0) - max(start, d * 86400.0)
                if overlap > 0:
                    days[d] += dose * overlap / 86400.0
        return (
            "Week: "
            + "  ".join(f"{n} {v:.3g}" for n, v in zip(fmt.DAYS, days, strict=True))
            + (f" {unit}/day" if unit else "")
        )

    def _redraw_steps(self) -> None:
        table = self.query_one("#steps", DataTable)
        table.clear()
        for start, duration, dose in self.steps:
            try:
                rate = f"{self._rate(dose)[0]:g}"
            except ValueError:
                rate = "?"
            show = fmt.week_time if self._weekly() else fmt.hhmm
            table.add_row(show(start), show(start + duration), f"{dose:g}", rate)

    def on_input_changed(self, _event: Input.Changed) -> None:
        if self.loaded:
            self.validate()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "dose-drug":
            picked = None if event.value is Select.BLANK else str(event.value)
            if picked is not None and picked != self.dosing and self.loaded:
                form, _ = self.program()  # read in the drug the doses were in
                self.dosing = picked
                if form is not None:
                    self.load(form)  # and shown again in the one now picked
                return
            self.dosing = picked or self.dosing
        if self.loaded:
            self.validate()

    def on_checkbox_changed(self, _event: Checkbox.Changed) -> None:
        if self.loaded:
            self.validate()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add-step":
            self._add_step()
        elif event.button.id == "remove-step" and self.steps:
            self.steps.pop()
            self._redraw_steps()
            self.validate()
        elif event.button.id == "reload" and self.view.status is not None:
            self.load(convert.program_from_spec(self.view.status.program))
            self.source = self.view.status.program
        elif event.button.id == "review":
            self.review()

    def _add_step(self) -> None:
        parse = fmt.parse_week_time if self._weekly() else fmt.parse_hhmm
        try:
            start = parse(self.query_one("#step-from", Input).value)
            end = parse(self.query_one("#step-to", Input).value)
            dose = float(self.query_one("#step-dose", Input).value)
        except ValueError as e:
            self.app.notify(f"Step not added: {e}", severity="error")
            return
        if end <= start:
            self.app.notify("Step not added: it must end after it starts", severity="error")
            return
        self.steps.append((start, end - start, dose))
        self.steps.sort()
        self._redraw_steps()
        self.validate()

    # ----------------------------------------------------------------- review

    def review(self) -> None:
        program = self.validate()
        if program is None:
            self.notify("Not sent: the problems listed above come first.", severity="warning")
        else:
            self.post_message(
                PumpCall(
                    lambda pump: pump.stage_program(program),
                    done=lambda review: self._reviewed(review, program),
                    refresh=False,
                )
            )

    def _step_lines(self, basal: Stopped | Continuous | FlexibleSchedule) -> list[str]:
        """Each step as a clinician reads it: when, and its dose a day (unit in the row label)."""
        primary = self.primary()
        library = self.view.rules.library
        if not isinstance(basal, FlexibleSchedule) or primary is None or primary[0] not in library:
            return []
        drug = library[primary[0]]
        show = fmt.week_time if basal.period is SchedulePeriod.WEEKLY else fmt.hhmm
        return [
            f"{show(s.start_s)}-{show(s.end_s)} "
            f"{drug.to_display(s.rate_ml_per_day * primary[1]):.4g}"
            for s in basal.steps
        ]

    def _reviewed(self, review: m.ProgramReview, program: TherapyProgram) -> None:
        if not review.accepted:
            text = "; ".join(f"{v.code}: {v.message}" for v in review.violations)
            self.query_one("#violations", Static).update(f"The pump refuses: {text}")
            self.app.notify(f"The pump refuses the program: {text}", severity="error")
            return
        # Steps read as steps (Mon 00:00-Thu 00:00 2.4), not as their fields' numbers; the
        # top-level rate means nothing once the program is not continuous.
        hidden = (
            ("steps",) if isinstance(program.basal, Continuous) else ("steps", "rate_ml_per_day")
        )
        rows = [
            (fmt.field_label(c.field), c.old, c.new)
            for c in review.changes
            if not c.field.startswith(hidden)
        ]
        if any(c.field.startswith("steps") for c in review.changes):
            was = self._step_lines(self._in_force().basal) if self.view.status else []
            now = self._step_lines(program.basal)
            primary = self.primary()
            unit = self.view.rules.library[primary[0]].unit if primary else ""
            for i in range(max(len(was), len(now))):
                rows.append(
                    (
                        f"step {i + 1} ({unit}/day)",
                        was[i] if i < len(was) else "",
                        now[i] if i < len(now) else "",
                    )
                )
        old = {d.drug: d.mcg for d in review.old_daily}
        new = {d.drug: d.mcg for d in review.new_daily}
        for drug in sorted(set(old) | set(new)):
            rows.append(
                (
                    f"{drug} a day (average)",
                    fmt.dose(drug, old.get(drug, 0.0)),
                    fmt.dose(drug, new.get(drug, 0.0)),
                )
            )
        if not review.changes:
            rows.insert(0, ("(no change)", "", ""))
        warnings = [f"{w.code}: {w.message}" for w in review.warnings]

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                written = "Program written to the pump"
                if warnings:
                    written += " (soft limits overridden; the pump logged it)"
                override = bool(warnings)
                self.post_message(
                    PumpCall(
                        lambda pump: pump.confirm_program(
                            review.stage_id, override_soft_limits=override
                        ),
                        done=lambda _done: self.notify(written + "."),
                    )
                )

        screen = ReviewScreen("Review the new program", rows, warnings=warnings)
        self.app.push_screen(screen, decided)
