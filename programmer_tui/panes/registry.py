"""Which pane each tab shows, and building one: a pane's module is imported when it is built.

Why a table of module names rather than imports: the first screen (the dashboard) is built with
the app and each other pane the first time its tab is shown, so start-up imports and mounts only
what it shows (`ProgrammerApp._pane_for`).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from textual.widget import Widget

from programmer_tui.panes.common import Pane

# The tabs, in order: F2-F10 and the digits 1-9 go to them in this order.
TABS: tuple[tuple[str, str], ...] = (
    ("dashboard", "Dashboard"),
    ("program", "Program"),
    ("bolus", "Bolus"),
    ("refill", "Refill"),
    ("mri", "MRI"),
    ("log", "Event log"),
    ("telemetry", "Telemetry"),
    ("simulator", "Simulator"),
    ("clock", "Clock"),
)
CLINIC_TABS = tuple(tab for tab, _ in TABS)
ALL_TABS = (*TABS, ("patient", "My pump"))  # a patient key's one view, instead of the clinic's

# Each tab's pane: its module and class, imported when the pane is first built: the dashboard's
# with the app, the others' when their tab is first shown (a patient key's view on connecting).
PANES: dict[str, tuple[str, str]] = {
    "dashboard": ("dashboard", "DashboardPane"),
    "program": ("program", "ProgramPane"),
    "bolus": ("bolus", "BolusPane"),
    "refill": ("refill", "RefillPane"),
    "mri": ("mri", "MriPane"),
    "log": ("eventlog", "EventLogPane"),
    "telemetry": ("telemetry", "TelemetryPane"),
    "simulator": ("simulator", "SimulatorPane"),
    "clock": ("clock", "ClockPane"),
    "patient": ("patient", "PatientPane"),
}
FIRST_SHOWN = frozenset({"dashboard"})


def build_pane(tab: str, export_dir: Path) -> Widget:
    """The pane of `tab`, its module imported now (the event log's exports go to `export_dir`)."""
    module, name = PANES[tab]
    cls = getattr(importlib.import_module(f"programmer_tui.panes.{module}"), name)
    pane = cls(export_dir) if tab == "log" else cls()
    assert isinstance(pane, Widget)
    assert isinstance(pane, Pane)
    return pane
