"""MRI: a checklist, MRI-safe mode, and afterwards proof that infusion resumed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Checkbox, Static

from firmware_protocol.client.pump_client import LogPage
from programmer_tui import format as fmt
from programmer_tui.constant_flow import is_constant_flow
from programmer_tui.panes.common import Pane, PumpCall, PumpView

CHECKLIST = (
    ("mri-screened", "Patient screened for the scan; radiology told about the pump"),
    ("mri-alarms", "Pump interrogated, alarms reviewed and acknowledged"),
    ("mri-plan", "Plan for the suspended infusion (withdrawal risk) agreed"),
    ("mri-valve", "Valve-gated pump: reservoir emptied (not needed for peristaltic pumps)"),
)


class MriPane(Pane, VerticalScroll):
    can_focus = False  # tab goes straight to the fields; they scroll into view
    phase = "off"  # the MRI phase last shown

    def compose(self) -> ComposeResult:
        yield Static("Before the scan", classes="card-title")
        for ident, label in CHECKLIST:
            yield Checkbox(label, id=ident)
        yield Button("Enter MRI-safe mode", id="mri-enter", compact=True)
        yield Static("", id="mri-state")
        yield Button("Scan complete: leave MRI-safe mode", id="mri-exit", compact=True)
        yield Button("Interrogate and verify infusion resumed", id="mri-verify", compact=True)
        yield Static("", id="mri-events")

    def on_mount(self) -> None:
        self._checklist()

    def _missing(self) -> list[str]:
        """The checklist items not yet ticked (the valve's only on a valve-gated pump)."""
        status = self.view.status
        valve = status is not None and status.variant == "valve_gated"
        return [
            label
            for ident, label in CHECKLIST
            if (ident != "mri-valve" or valve) and not self.query_one(f"#{ident}", Checkbox).value
        ]

    def _checklist(self) -> None:
        # Not disabled while the list is incomplete: a disabled button drops out of the Tab
        # order, and keys typed ahead ("space, tab, enter") would land on the next button. It
        # looks ready only when the list is done, and checks the list again when pressed.
        status = self.view.status
        scanning = status is not None and status.mri != "off"
        enter = self.query_one("#mri-enter", Button)
        enter.disabled = scanning or is_constant_flow(status)
        enter.variant = "default" if self._missing() else "warning"

    def on_checkbox_changed(self, _event: Checkbox.Changed) -> None:
        self._checklist()

    def shown(self, view: PumpView) -> None:
        status = view.status
        if status is None:
            return
        self._checklist()
        text = {
            "off": "Infusing normally (MRI-safe mode off)."
            if status.motor != "stalled"
            else "Motor stalled.",
            "scanning": "MRI-SAFE MODE: infusion suspended. Scan may proceed.",
            "recovering": "Scan over: motor recovering (infusion resumes after the recovery lag).",
            "awaiting_interrogation": "An alarm latched during the scan: interrogate to resume.",
        }[status.mri]
        widget = self.query_one("#mri-state", Static)
        if is_constant_flow(status):  # nothing to do: the magnet does not touch its drive
            self.query_one("#mri-enter", Button).disabled = True
            widget.update("A constant-flow pump has no MRI-safe mode: MRI leaves its flow alone.")
            return
        widget.update(f"{text}  motor {status.motor}")
        widget.set_class(status.mri != "off", "warning")
        self.query_one("#mri-exit", Button).disabled = status.mri != "scanning"
        if status.mri != self.phase:
            # The next step of the procedure gets the focus (the button just pressed has gone
            # disabled, which would leave the keyboard nowhere).
            self.phase = status.mri
            step = "#mri-exit" if status.mri == "scanning" else "#mri-verify"
            if self.phase != "off" or isinstance(self.app.focused, Button):
                self.query_one(step, Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "mri-enter":
            missing = self._missing()
            if missing:
                self.notify("Before MRI-safe mode: " + "; ".join(missing), severity="warning")
                return
            on = lambda _d: self.notify("MRI-safe mode on.")  # noqa: E731
            self.post_message(PumpCall(lambda pump: pump.mri_enter(), done=on))
        elif event.button.id == "mri-exit":
            self.post_message(PumpCall(lambda pump: pump.mri_exit()))
        elif event.button.id == "mri-verify":
            # An interrogation is what resumes a pump that latched an alarm during the scan.
            self.post_message(PumpCall(lambda pump: pump.interrogate()))
            self.post_message(
                PumpCall(lambda pump: pump.read_log(0, 0), done=self._events, refresh=False)
            )

    def _events(self, page: LogPage) -> None:
        records = page.records
        wanted = {
            "mri_entered",
            "mri_exited",
            "motor_stall",
            "motor_stall_recovery",
            "interrogated",
        }
        offset = self.view.status.clock_offset_s if self.view.status else 0.0
        lines = [f"{fmt.when(r.at_s, offset)}  {r.kind}" for r in records if r.kind in wanted][-8:]
        self.query_one("#mri-events", Static).update("Recovery events:\n" + "\n".join(lines))
