"""The patient's own view, in the manner of a patient therapy controller (myPTM, Prometra's PTC):
ask for a bolus, see when the next one is allowed and how many the day still holds, see alarms.
Nothing else: a patient key can do nothing else, so nothing else is offered.

"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, Static

from programmer_tui import format as fmt
from programmer_tui.panes.common import Pane, PumpCall, PumpView

OUTCOMES = {
    "granted": "Bolus granted: it is running now.",
    "denied_lockout": "Not yet: the lockout since your last bolus has not passed.",
    "denied_max_per_24h": "Not now: you have had all the boluses allowed in 24 hours.",
    "denied_bolus_active": "Not now: a bolus is already running.",
    "denied_not_programmed": "Your clinic has not set up boluses on this pump.",
    "denied_not_infusing": "Not now: the pump is not infusing. Call your clinic.",
}


def wait_text(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    hours, mins = divmod(minutes, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


class PatientPane(Pane, VerticalScroll):
    can_focus = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="card"):
            yield Static("Bolus", classes="card-title")
            yield Static("—", id="patient-next")
            yield Static("—", id="patient-left")
            yield Button("Request a bolus", id="patient-request", variant="primary", compact=True)
            yield Static("", id="patient-answer")
        with Vertical(classes="card"):
            yield Static("Alarms", classes="card-title")
            yield Static("none", id="patient-alarms")

    def shown(self, view: PumpView) -> None:
        status = view.status
        if status is None:
            return
        next_at = status.patient_bolus_next_at_s
        button = self.query_one("#patient-request", Button)
        if next_at is None:
            nxt = "No patient bolus is set up on this pump."
            left = ""
        else:
            pb = status.program.patient_bolus[0] if status.program.patient_bolus else None
            wait = next_at - status.at_s
            nxt = (
                "Next bolus: available now"
                if wait <= 0
                else f"Next bolus: in {wait_text(wait)} (at "
                f"{fmt.when(next_at, status.clock_offset_s)[-5:]})"
            )
            cap = f" of {pb.max_per_24h}" if pb else ""
            left = f"Boluses left in the next 24 hours: {status.patient_boluses_left_24h}{cap}"
        self.query_one("#patient-next", Static).update(nxt)
        self.query_one("#patient-left", Static).update(left)
        button.disabled = next_at is None
        alarms = fmt.by_urgency(status.alarms)
        text = "\n".join(
            f"{'CRITICAL' if a.severity == 'critical' else 'Warning'}: "
            f"{a.kind.replace('_', ' ')} - call your clinic"
            for a in alarms
        )
        widget = self.query_one("#patient-alarms", Static)
        widget.update(text or "none")
        widget.set_class(any(a.severity == "critical" for a in alarms), "critical")

    def answered(self, outcome: str) -> None:
        self.query_one("#patient-answer", Static).update(OUTCOMES.get(outcome, outcome))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "patient-request":
            self.post_message(PumpCall(lambda pump: pump.patient_bolus(), done=self.answered))
