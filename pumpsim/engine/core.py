"""The pump's state: one component per job, and the law of the stretch of time in progress.

`Core` only holds things; `engine` moves it through time, `settle` turns what became due into log
records and alarms, `fault_effects` applies faults, and `Pump` is the facade commands go through.
Everything reachable from a `Core` is plain data, which is what makes a snapshot exact.
"""

from __future__ import annotations

import math

from pumpsim.components.alarm_state import AlarmState
from pumpsim.components.battery import Battery
from pumpsim.components.boluses import Boluses
from pumpsim.components.fault_state import FaultState
from pumpsim.components.ledger import Ledger
from pumpsim.components.motor import Motor
from pumpsim.components.reservoir import Reservoir
from pumpsim.components.therapy import Therapy
from pumpsim.domain.config import PumpConfig
from pumpsim.domain.drugs import DrugLibrary
from pumpsim.domain.program import TherapyProgram
from pumpsim.domain.propellant import Conditions
from pumpsim.patient.state import PatientState
from pumpsim.rules.basal import BasalCurve


class Core:
    __slots__ = (
        "alarms",
        "b_ml_s",
        "bat",
        "bol",
        "config",
        "curve",
        "curve_at_now_ml",
        "dirty",
        "dislodged",
        "faults",
        "ff",
        "fixed_mah_s",
        "front_only",
        "knot_law",
        "law",
        "law_base",
        "law_key",
        "ledger",
        "library",
        "mah_per_ml",
        "max_ml_s",
        "motor",
        "next_s",
        "now",
        "patients",
        "pulse_end_s",
        "pulse_ml_s",
        "quiet_until_s",
        "raises",
        "reached",
        "reached_conc",
        "reached_share",
        "res",
        "therapy",
        "timed_s",
        "world",
    )

    def __init__(self, config: PumpConfig, library: DrugLibrary) -> None:
        n = len(library)
        self.config = config
        self.library = library
        self.now = 0.0
        self.therapy = Therapy(
            TherapyProgram(low_reservoir_alarm_ml=config.default_low_reservoir_alarm_ml),
            config.min_rate_ml_per_day,
        )
        self.res = Reservoir(config.dead_volume_ml, n)
        self.bol = Boluses()
        self.faults = FaultState(config.accuracy_factor)
        self.motor = Motor()
        self.bat = Battery(config.battery)
        self.bat.set_average_rate(self.therapy.avg_rate_ml_per_day)
        self.alarms = AlarmState()
        self.ledger = Ledger(n, config.event_log_capacity, config.trend_capacity_knots)
        # Soft-limit raises, by drug: times of accepted dose increases (last 7 days kept).
        self.raises: dict[str, list[float]] = {}
        # The law of the stretch that starts now (set by engine.refresh).
        self.b_ml_s = 0.0  # commanded mL/s on top of the schedule's curve
        self.pulse_ml_s = 0.0  # a patient bolus on top of both, until pulse_end_s
        self.pulse_end_s = -math.inf
        self.curve: BasalCurve | None = None
        self.curve_at_now_ml = 0.0  # the curve's running volume at `now`
        self.max_ml_s = 0.0  # highest commanded rate in the stretch
        self.ff = 0.0  # true flow per commanded mL (0 once the reservoir is really empty)
        self.dislodged = False
        self.front_only = True  # tubing holds one fluid, the reservoir's: no FIFO work
        self.fixed_mah_s = 0.0  # battery drain that does not depend on volume
        self.mah_per_ml = config.battery.mah_per_ml
        self.next_s = math.inf  # the next event under this law
        self.timed_s = math.inf  # the next timed event (bolus end, fault step, MRI recovery)
        self.quiet_until_s = 0.0  # no threshold can be reached before this time
        self.law_key: tuple[object, ...] = ()
        self.law_base = -1
        # The trend's law of this stretch: (law, constant mL/s, pulse mL/s, pulse end).
        self.law: tuple[int, float, float, float] = (-1, 0.0, 0.0, -math.inf)
        self.knot_law: tuple[int, float, float, float] | None = None  # that of the last knot
        self.dirty = True
        # Virtual patients at the end of the catheter (one, a cohort, or none): each meets the
        # same delivery, so a cohort costs one pump.
        self.patients: list[PatientState] = []
        # What reached the CSF per commanded mL, kept while the mix and the share are the same
        # (the patients then see the same dict: see PatientState.carry).
        self.reached: dict[int, float] = {}
        self.reached_conc: object = None
        self.reached_share = math.nan
        # The world at the pump (temperature, ambient pressure): what drives a constant-flow
        # pump; the other classes meter their volume whatever it is.
        self.world = Conditions()

    def use_program(self, program: TherapyProgram) -> None:
        self.therapy.use(program)
        self.bat.set_average_rate(self.therapy.avg_rate_ml_per_day)
        self.dirty = True

    def knot_row(self) -> list[float]:
        led, res = self.ledger, self.res
        return [
            self.now,
            led.commanded_ml,
            led.pumped_ml,
            led.delivered_ml,
            res.volume_ml,
            res.expected_ml,
            self.bat.charge_mah,
            *led.delivered_mcg,
        ]

    def record_knot(self) -> None:
        self.ledger.trend.record(self.knot_row(), self.law)
        self.knot_law = self.law
