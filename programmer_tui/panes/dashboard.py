"""Dashboard: what an interrogation tells, at a glance, with alarms first."""

from __future__ import annotations

from typing import TypeVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Static

from firmware_protocol.wire import messages as m
from programmer_tui import format as fmt
from programmer_tui.constant_flow import doses_text, is_constant_flow
from programmer_tui.panes.common import Pane, PumpView
from programmer_tui.widgets.gauge import Gauge


def therapy_line(status: m.Status) -> str:
    p = status.program
    if p.mode == "continuous":
        basal = f"continuous {p.rate_ml_per_day:g} mL/day"
    elif p.mode == "flexible":
        basal = f"flexible {p.period}, {len(p.steps)} steps · {step_now(status)}"
    else:
        basal = "STOPPED"
    if status.bolus_kind:
        basal += f"  + {status.bolus_kind} bolus until {fmt.when(status.bolus_ends_at_s)}"
    pb = p.patient_bolus[0] if p.patient_bolus else None
    ptm = (
        f"patient bolus {pb.volume_ml:g} mL, lockout {pb.lockout_s / 3600:g} h, "
        f"max {pb.max_per_24h}/24 h"
        if pb
        else "no patient bolus"
    )
    return f"{basal}\n{ptm}"


def step_now(status: m.Status) -> str:
    """The step the pump's clock is in now, read from the program as written (on the clock):
    after a clock change it is the step the pump runs, as the Program tab lists it."""
    p = status.program
    weekly = p.period == "weekly"
    period = 7 * 86400.0 if weekly else 86400.0
    phase = (status.at_s + status.clock_offset_s) % period
    label = fmt.week_time if weekly else fmt.hhmm
    for step in p.steps:
        if step.start_s <= phase < step.start_s + step.duration_s:
            span = f"{label(step.start_s)}-{label(step.start_s + step.duration_s)}"
            return f"now {step.rate_ml_per_day:g} mL/day ({span})"
    return "no step now"


W = TypeVar("W", bound=Widget)


def _titled(widget: W, title: str) -> W:
    widget.border_title = title
    return widget


class DashboardPane(Pane, VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static("", id="stale-marker")
        # Each card's title sits on its border: a widget fewer per card on the first screen.
        with Horizontal(id="dash-top"):
            yield _titled(Static("—", id="identity", classes="card"), "Device")
            yield _titled(Static("—", id="therapy", classes="card"), "Therapy")
        with Horizontal(id="dash-mid"):
            with _titled(Vertical(classes="card"), "Reservoir"):
                yield Gauge(id="reservoir-bar")
                yield Static("—", id="reservoir")
            with _titled(Vertical(classes="card"), "Battery"):
                yield Gauge(id="battery-bar")
                yield Static("—", id="battery")
        with _titled(Vertical(classes="card", id="alarm-card"), "Alarms"):
            yield Static("none", id="alarms")
            yield Button(
                "Acknowledge alarms (a)",
                id="ack",
                variant="warning",
                action="app.acknowledge",
                compact=True,
            )

    def shown(self, view: PumpView) -> None:
        status = view.status
        if status is None:
            return
        off = status.clock_offset_s
        stale = view.stale
        marker = self.query_one("#stale-marker", Static)
        marker.update("STALE — last status is old; press i to interrogate" if stale else "")
        marker.set_class(stale, "stale")
        flat = is_constant_flow(status)
        self.query_one("#identity", Static).update(
            f"{status.pump_id}  ({status.variant}, {status.reservoir_capacity_ml:g} mL)\n"
            f"clock {fmt.when(status.at_s, off)}\n"
            f"last interrogation {fmt.when(status.last_interrogated_at_s, off)}\n"
            + (
                "propellant drive, no motor"
                if flat
                else f"motor {status.motor}  ·  MRI {status.mri}"
            )
        )
        therapy = (
            f"factory rate {view.rules.config.drive.factory_rate_ml_per_day:g} mL/day, no program\n"
            + doses_text(status, view.rules)
            if flat
            else f"{therapy_line(status)}\nnow {status.commanded_rate_ml_per_day:.4g} mL/day"
        )
        self.query_one("#therapy", Static).update(
            f"{fmt.mix(status.mix, 'saline / empty')}\n{therapy}"
        )
        bar = self.query_one("#reservoir-bar", Gauge)
        bar.set_level(status.reservoir_ml, status.reservoir_capacity_ml)
        refill = "in progress" if status.refill_in_progress else ""
        if not refill and status.refill_due_at_s is not None:
            refill = f"· refill by {fmt.day(status.refill_due_at_s, off)}"
        self.query_one("#reservoir", Static).update(
            f"{status.reservoir_ml:.2f} mL {refill}\n"
            f"{'low' if flat else 'low-reservoir alarm'} "
            f"({status.program.low_reservoir_alarm_ml:g} mL{', no alarm' if flat else ''}) "
            f"{fmt.day(status.projected_low_reservoir_at_s, off)}\n"
            f"empty {fmt.day(status.projected_empty_at_s, off)}"
        )
        battery = self.query_one("#battery-bar", Gauge)
        battery.display = not flat
        if flat:
            self.query_one("#battery", Static).update("none: a propellant drives it")
        else:
            self._battery(status, battery, off)
        alarms = fmt.by_urgency(status.alarms)
        text = "\n".join(
            f"{'CRITICAL' if a.severity == 'critical' else 'non-critical'}  "
            f"{a.kind.replace('_', ' ')}  since {fmt.when(a.raised_at_s, off)}"
            for a in alarms
        )
        widget = self.query_one("#alarms", Static)
        widget.update(text or ("none: it has no alarm; check its refill date" if flat else "none"))
        widget.set_class(any(a.severity == "critical" for a in alarms), "critical")
        widget.set_class(bool(alarms) and all(a.severity != "critical" for a in alarms), "warning")
        self.query_one("#ack", Button).disabled = not alarms

    def _battery(self, status: m.Status, battery: Gauge, off: float) -> None:
        battery.set_level(status.battery_mah, status.battery_capacity_mah)
        eri = status.eri_at_s if status.eri_at_s is not None else status.projected_eri_at_s
        self.query_one("#battery", Static).update(
            f"{100 * status.battery_mah / status.battery_capacity_mah:.1f} %\n"
            f"replacement (ERI) {'reached ' if status.eri_at_s is not None else ''}"
            f"{fmt.day(eri, off)}"
            + (
                f"\nEND OF SERVICE {fmt.day(status.end_of_service_at_s, off)}"
                if status.end_of_service_at_s is not None
                else ""
            )
        )
