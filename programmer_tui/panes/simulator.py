"""Simulator control (only when the pump offers it): time and live fault injection, for trainers."""

from __future__ import annotations

import json

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Select, Static

from firmware_protocol.wire import messages as m
from programmer_tui import format as fmt
from programmer_tui.panes.common import Pane, PumpCall, PumpView
from programmer_tui.widgets import exposure
from pumpsim.units import SECONDS_PER_DAY, SECONDS_PER_HOUR

SPEEDS = (
    (1.0, "1x real time"),
    (60.0, "1 min/s"),
    (3600.0, "1 h/s"),
    (86400.0, "1 day/s"),
    (1_000_000.0, "1,000,000x"),
)

FAULTS: dict[str, dict[str, object]] = {
    "partial occlusion (50 %)": {"kind": "CatheterOcclusion", "delivered_fraction": 0.5},
    "total occlusion": {"kind": "CatheterOcclusion", "delivered_fraction": 0.0},
    "tip granuloma (grows over 30 days)": {
        "kind": "TipGranuloma",
        "growth_s": 30 * SECONDS_PER_DAY,
    },
    "catheter dislodgement": {"kind": "CatheterDislodgement"},
    "motor stall (2 h)": {"kind": "MotorStall", "duration_s": 2 * SECONDS_PER_HOUR},
    "motor stall (permanent)": {"kind": "MotorStall"},
    "premature ERI": {"kind": "PrematureEri"},
    "low-battery reset": {"kind": "LowBatteryReset"},
    "over-infusion drift (+30 % over 10 days)": {
        "kind": "OverInfusionDrift",
        "final_factor": 1.3,
        "ramp_s": 10 * SECONDS_PER_DAY,
    },
    "pocket fill at next refill": {"kind": "PocketFill"},
    "refill syringe at twice the entered concentration": {
        "kind": "MismatchedRefill",
        "concentration_factor": 2.0,
    },
    "memory reset": {"kind": "MemoryReset"},
}


# The world at the pump (temperature there, ambient pressure): a constant-flow pump follows it,
# the others meter their volume regardless.
WORLDS: dict[str, tuple[float, float]] = {
    "37 C, sea level": (37.0, 101.325),
    "fever 39 C": (39.0, 101.325),
    "heating pad over the pump 40 C": (40.0, 101.325),
    "flight cabin 75 kPa": (37.0, 75.0),
    "dive 10 m (200 kPa)": (37.0, 200.0),
}


class SimulatorPane(Pane, VerticalScroll):
    can_focus = False  # tab goes straight to the fields; they scroll into view

    def compose(self) -> ComposeResult:
        yield Static("", id="sim-clock")
        with Horizontal(classes="row"):
            yield Select(
                [(label, v) for v, label in SPEEDS],
                value=1.0,
                allow_blank=False,
                id="sim-speed",
                compact=True,
            )
            yield Button("Set speed", id="sim-set-speed", compact=True)
            yield Button("Pause", id="sim-pause", compact=True)
            yield Button("Resume", id="sim-resume", compact=True)
        with Horizontal(classes="row"):
            yield Button("+1 hour", id="sim-hour", compact=True)
            yield Button("+1 day", id="sim-day", compact=True)
            yield Button("+30 days", id="sim-month", compact=True)
        with Horizontal(classes="row"):
            yield Select(
                [(k, k) for k in FAULTS],
                value=next(iter(FAULTS)),
                allow_blank=False,
                id="sim-fault",
                compact=True,
            )
            yield Button("Inject now", id="sim-inject", variant="error", compact=True)
        with Horizontal(classes="row"):
            yield Select(
                [(k, k) for k in WORLDS],
                value=next(iter(WORLDS)),
                allow_blank=False,
                id="sim-world",
                compact=True,
            )
            yield Button("Set the world", id="sim-set-world", compact=True)
        yield Static("", id="sim-patient-title", classes="card-title")
        yield Static("", id="sim-exposure")
        yield Static("", id="sim-signs")

    def shown(self, view: PumpView) -> None:
        s = view.status
        if s is None:
            return
        self.query_one("#sim-clock", Static).update(
            f"Simulated clock {fmt.when(s.at_s, s.clock_offset_s)} · "
            f"{'PAUSED' if s.paused else f'{s.acceleration:g}x'}"
        )
        if s.simulator_available:
            self.post_message(
                PumpCall(lambda pump: pump.sim_patient(), done=self._patient, refresh=False)
            )

    def _patient(self, report: m.SimPatient) -> None:
        """The virtual patient: not telemetry (the pump cannot know it), read as a simulator."""
        title = self.query_one("#sim-patient-title", Static)
        if not report.attached:
            title.update("Virtual patient: none attached (a training scenario brings one)")
            self.query_one("#sim-exposure", Static).update("")
            self.query_one("#sim-signs", Static).update("")
            return
        title.update(
            f"Virtual patient {report.label} (illustrative, vs its own baseline; not dosing "
            f"advice) · worst so far: {report.worst}"
        )
        offset = self.view.status.clock_offset_s if self.view.status else 0.0
        self.query_one("#sim-exposure", Static).update(
            Text("\n").join(exposure.bar(e) for e in report.exposures)
        )
        self.query_one("#sim-signs", Static).update(
            Text("\n").join(exposure.signs(report, lambda t: fmt.when(t, offset)))
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        ident = event.button.id
        speed = float(str(self.query_one("#sim-speed", Select).value))
        jumps = {
            "sim-hour": SECONDS_PER_HOUR,
            "sim-day": SECONDS_PER_DAY,
            "sim-month": 30 * SECONDS_PER_DAY,
        }
        current = self.view.status.acceleration if self.view.status else 1.0
        if ident in jumps:
            seconds = jumps[ident]
            self.post_message(PumpCall(lambda pump: pump.sim_advance(seconds)))
        elif ident == "sim-set-speed":
            self.post_message(PumpCall(lambda pump: pump.sim_set_speed(speed, False)))
        elif ident in ("sim-pause", "sim-resume"):
            paused = ident == "sim-pause"
            self.post_message(PumpCall(lambda pump: pump.sim_set_speed(current, paused)))
        elif ident == "sim-set-world":
            world = str(self.query_one("#sim-world", Select).value)
            temperature, pressure = WORLDS[world]
            self.post_message(
                PumpCall(
                    lambda pump: pump.sim_set_conditions(temperature, pressure),
                    done=lambda _d: self.notify(f"The world at the pump: {world}"),
                )
            )
        elif ident == "sim-inject":
            name = str(self.query_one("#sim-fault", Select).value)
            fault = json.dumps({**FAULTS[name], "in_s": 0})
            self.post_message(
                PumpCall(
                    lambda pump: pump.sim_inject_fault(fault),
                    done=lambda _d: self.notify(f"Fault injected: {name}"),
                )
            )
