"""The simulator's accounts: where every mL and microgram went, the event log and the trend.

Ground truth kept beside the device's own view (`physical()` reads it; telemetry never does): the
volume commanded, pumped, delivered into the intrathecal space or misplaced by a dislodged
catheter, and the mass of each drug.
"""

from __future__ import annotations

from pumpsim.components.trend import TrendRecorder
from pumpsim.domain.eventlog import EventLog


class Ledger:
    __slots__ = (
        "commanded_ml",
        "delivered_mcg",
        "delivered_ml",
        "interrogated_at_s",
        "log",
        "misplaced_mcg",
        "misplaced_ml",
        "pumped_ml",
        "stretches",
        "trend",
    )

    def __init__(self, n_drugs: int, log_capacity: int, trend_capacity: int) -> None:
        self.commanded_ml = 0.0
        self.pumped_ml = 0.0
        self.delivered_ml = 0.0
        self.misplaced_ml = 0.0
        self.delivered_mcg = [0.0] * n_drugs
        self.misplaced_mcg = [0.0] * n_drugs
        self.log = EventLog(log_capacity)
        self.trend = TrendRecorder(n_drugs, trend_capacity)
        self.interrogated_at_s: float | None = None
        self.stretches = 0
