"""The pump: the facade a caller drives, wiring the engine and one component per job.

`Pump` keeps the public API and nothing else: commands validate and act in `commands`, time moves
in `engine`, events are written down in `settle`, reads come from `views`, and the state itself is
the `Core` of components (battery, reservoir and fluid path, therapy, boluses, motor, faults,
alarms, ledger). Pure: no I/O, no threads, no wall clock. Commands act at the pump's own clock
(`now_s`): to act later, advance first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pumpsim.components.fault_state import Onset
from pumpsim.components.trend import COMMANDED, PUMPED, HourlyTrend, hourly
from pumpsim.domain.alarms import Alarm, AlarmKind
from pumpsim.domain.config import PumpConfig
from pumpsim.domain.drugs import DEFAULT_LIBRARY, DrugLibrary, Mix
from pumpsim.domain.errors import (
    FaultRejectedError,
    InvalidInputError,
    PatientRejectedError,
    SnapshotError,
)
from pumpsim.domain.eventlog import EventLog
from pumpsim.domain.faults import (
    Fault,
    LowBatteryReset,
    MismatchedRefill,
    MotorStall,
    PrematureEri,
)
from pumpsim.domain.program import BolusKind, TherapyProgram
from pumpsim.domain.propellant import Conditions
from pumpsim.domain.refill import BridgeOffer, FillResult, WithdrawResult
from pumpsim.domain.status import (
    ActiveBolus,
    DeviceStatus,
    MotorState,
    PatientBolusOutcome,
    PhysicalState,
    Projections,
)
from pumpsim.domain.violations import SoftLimitWarning
from pumpsim.engine import loop as engine
from pumpsim.engine import operations as commands
from pumpsim.engine import snapshot, views
from pumpsim.engine.core import Core
from pumpsim.engine.settle import EPS_T
from pumpsim.patient.profile import MAX_COHORT, PatientProfile
from pumpsim.patient.state import PatientState
from pumpsim.patient.view import PatientView
from pumpsim.patient.view import samples as patient_samples
from pumpsim.patient.view import view as patient_view
from pumpsim.rules.validation import Violation, validate_program
from pumpsim.units import is_finite_number


class Pump:
    """A simulated implanted intrathecal pump. Pure: no I/O, no threads, no wall clock."""

    __slots__ = ("_c",)

    def __init__(
        self,
        config: PumpConfig | None = None,
        library: DrugLibrary | None = None,
    ) -> None:
        cfg = config if config is not None else PumpConfig()
        self._c = Core(cfg, library if library is not None else DEFAULT_LIBRARY)
        engine.after_command(self._c)

    @property
    def config(self) -> PumpConfig:
        return self._c.config

    @property
    def library(self) -> DrugLibrary:
        return self._c.library

    # ------------------------------------------------------------------ clock

    @property
    def now_s(self) -> float:
        return self._c.now

    def advance(self, until_s: float) -> None:
        """Run the pump to `until_s`, processing every event on the way."""
        engine.advance(self._c, until_s)

    def advance_by(self, seconds: float) -> None:
        if not is_finite_number(seconds) or seconds < 0:
            raise InvalidInputError(f"seconds must be a number >= 0, got {seconds!r}")
        engine.advance(self._c, self._c.now + seconds)

    @property
    def events_processed(self) -> int:
        """Stretches integrated so far (what the simulation's cost grows with)."""
        return self._c.ledger.stretches

    # -------------------------------------------------------------- commands

    def validate(self, program: TherapyProgram, mix: Mix | None = None) -> tuple[Violation, ...]:
        """Hard limits: what the pump would refuse in `program` (with its mix, or `mix`)."""
        c = self._c
        return validate_program(program, c.res.mix if mix is None else mix, c.config, c.library)

    def soft_limit_warnings(
        self, program: TherapyProgram, mix: Mix | None = None
    ) -> tuple[SoftLimitWarning, ...]:
        """Soft limits: what writing `program` now would need an override for."""
        return commands.soft_warnings(self._c, program, self._c.res.mix if mix is None else mix)

    def set_program(self, program: TherapyProgram, *, override_soft_limits: bool = False) -> None:
        """Write a new program. Any bolus in progress ends; the log records old and new.

        Past a soft limit it raises `SoftLimitOverrideRequiredError` unless overridden, and an
        override is logged with the warnings' codes.
        """
        commands.set_program(self._c, program, override_soft_limits)

    def start_bolus(self, volume_ml: float, duration_s: float) -> ActiveBolus:
        """A single clinician bolus; the prior mode resumes when it ends."""
        return commands.start_bolus(self._c, BolusKind.CLINICIAN, volume_ml, duration_s)

    def start_priming_bolus(self, volume_ml: float | None = None) -> ActiveBolus:
        """Fill tubing and catheter (after implant or revision) at the pump's fastest rate."""
        return commands.priming_bolus(self._c, volume_ml)

    def start_bridge_bolus(self) -> ActiveBolus:
        """Take the bridge offered at the last fill."""
        return commands.bridge_bolus(self._c)

    def cancel_bolus(self) -> None:
        commands.cancel_bolus(self._c)

    def request_patient_bolus(self) -> PatientBolusOutcome:
        """A patient's handheld asks for a bolus; the pump decides within the programmed limits."""
        return commands.request_patient_bolus(self._c)

    def withdraw_reservoir(self) -> WithdrawResult:
        """First step of a refill: empty the reservoir and compare with what the pump expected."""
        return commands.withdraw(self._c)

    def fill_reservoir(
        self,
        volume_ml: float,
        mix: Mix,
        program: TherapyProgram | None = None,
        refill_due_at_s: float | None = None,
        *,
        override_soft_limits: bool = False,
    ) -> FillResult:
        """Second step of a refill: the new drug, and the program to run with it if it changes."""
        return commands.fill(
            self._c, volume_ml, mix, program, refill_due_at_s, override_soft_limits
        )

    def enter_mri_safe_mode(self) -> None:
        """Suspend infusion for a scan (the magnet would stall the rotor anyway)."""
        commands.enter_mri(self._c)

    def exit_mri_safe_mode(self) -> None:
        """The scan is over: resume after the recovery lag, or wait for interrogation if alarmed."""
        commands.exit_mri(self._c)

    def interrogate(self) -> DeviceStatus:
        """A telemetry session reads the pump (and releases a post-MRI hold)."""
        commands.interrogate(self._c)
        return self.status()

    def memory_lost(self, detail: str) -> None:
        """The firmware found acknowledged records its memory can no longer give back: the pump
        goes to its safe state (stopped), logs what was lost, and raises its memory-error alarm."""
        if not isinstance(detail, str) or not detail:
            raise InvalidInputError(f"say what was lost, got {detail!r}")
        commands.memory_lost(self._c, detail)

    def set_clock(self, offset_s: float) -> None:
        """Set the device clock to show running time plus `offset_s`. A flexible schedule is
        written on that clock, so its steps move in running time from now; the change is logged.
        `ClockOutOfRangeError` (nothing changed) for a clock outside 2000-2099."""
        commands.set_clock(self._c, offset_s)

    @property
    def clock_offset_s(self) -> float:
        """What the device clock adds to running time (0 until a clock is set)."""
        return self._c.therapy.clock_offset_s

    def set_conditions(self, conditions: Conditions) -> None:
        """The world at the pump from now: temperature there and ambient pressure. A
        constant-flow pump's flow follows them; `InvalidInputError` (nothing changed) outside
        25-45 C or 20-600 kPa."""
        commands.set_conditions(self._c, conditions)

    @property
    def conditions(self) -> Conditions:
        return self._c.world

    def record_key_retired(self, device_id: str, *, rotated: bool) -> None:
        """Log that a paired device's key was revoked (or rotated: replaced by a new one). The
        keys belong to the firmware; the log is the pump's record of who changed what."""
        commands.record_key_retired(self._c, device_id, rotated)

    def acknowledge_alarms(self, kinds: Iterable[AlarmKind] | None = None) -> tuple[Alarm, ...]:
        """Clear latched alarms (all, or the kinds given); conditions that persist stay known."""
        return commands.acknowledge(self._c, kinds)

    def inject(self, fault: Fault) -> None:
        """Schedule a fault at its onset time (now or later)."""
        check = getattr(fault, "check", None)
        if check is None:
            raise FaultRejectedError(f"not a fault: {fault!r}")
        check()
        c = self._c
        if c.config.is_constant_flow and isinstance(
            fault, MotorStall | PrematureEri | LowBatteryReset
        ):
            raise FaultRejectedError(
                f"{type(fault).__name__} cannot happen to a constant-flow pump: it has no motor "
                "and no battery"
            )
        if fault.onset_s < c.now - EPS_T:
            raise FaultRejectedError(
                f"onset {fault.onset_s!r} s is in the past (now is {c.now!r} s)"
            )
        if isinstance(fault, MismatchedRefill) and fault.drug and fault.drug not in c.library:
            raise FaultRejectedError(
                f"the syringe's drug {fault.drug!r} is not in the library; one of "
                f"{', '.join(c.library.names)}"
            )
        c.faults.injected.append(fault)
        c.faults.schedule(max(fault.onset_s, c.now), Onset(fault))
        c.dirty = True
        engine.after_command(c)

    # ------------------------------------------------------------- the patient

    def attach_patient(self, profile: PatientProfile) -> None:
        """Put a virtual patient at the end of the catheter, stable on its baselines from now
        (replacing any before it). The pump does not know it: nothing is logged, no status
        changes; only `patient()` reads it. `PatientRejectedError` for a profile it cannot take."""
        self.attach_cohort((profile,))

    def attach_cohort(self, profiles: Sequence[PatientProfile]) -> None:
        """Several virtual patients at once (replacing any before them), each meeting the same
        delivery: a cohort costs one pump. All are checked before any is attached."""
        c = self._c
        if not 1 <= len(profiles) <= MAX_COHORT:
            raise PatientRejectedError(f"a cohort has 1-{MAX_COHORT} patients, got {len(profiles)}")
        for profile in profiles:
            if not isinstance(profile, PatientProfile):
                raise PatientRejectedError(
                    f"expected a PatientProfile, got {type(profile).__name__}"
                )
            profile.check(c.library.names)
        c.patients = [PatientState(p, c.library.names, c.now) for p in profiles]

    def patient(self, index: int = 0) -> PatientView | None:
        """A virtual patient now (None if there is none at `index`): exposure, signs, story."""
        c = self._c
        if not 0 <= index < len(c.patients):
            return None
        return patient_view(c.patients[index], c.now)

    def patients(self) -> tuple[PatientView, ...]:
        """Every virtual patient attached, in the order given."""
        c = self._c
        return tuple(patient_view(p, c.now) for p in c.patients)

    def patient_samples(self, index: int = 0) -> dict[str, tuple[tuple[float, float], ...]]:
        """(time, exposure) points per drug since a patient was attached, for plots."""
        c = self._c
        return patient_samples(c.patients[index]) if 0 <= index < len(c.patients) else {}

    # ----------------------------------------------------------------- views

    @property
    def program(self) -> TherapyProgram:
        return self._c.therapy.program

    @property
    def log(self) -> EventLog:
        return self._c.ledger.log

    @property
    def faults(self) -> tuple[Fault, ...]:
        return tuple(self._c.faults.injected)

    @property
    def alarms(self) -> tuple[Alarm, ...]:
        return self._c.alarms.sorted()

    @property
    def alarm_conditions(self) -> frozenset[AlarmKind]:
        """Conditions that hold now (whether or not their alarm was acknowledged)."""
        return frozenset(self._c.alarms.conditions)

    @property
    def bridge_offer(self) -> BridgeOffer | None:
        return self._c.res.bridge_offer

    def patient_bolus_grants(self) -> tuple[float, ...]:
        """Start times of granted patient boluses still in the 24-hour window's memory."""
        return tuple(self._c.bol.grants)

    def motor_state(self) -> MotorState:
        return views.motor_state(self._c)

    def status(self) -> DeviceStatus:
        return views.status(self._c)

    def physical(self) -> PhysicalState:
        return views.physical(self._c)

    def fluid_path(self) -> tuple[tuple[float, Mix], ...]:
        """What tubing and catheter hold, tip first, as (volume, mix)."""
        return views.fluid_path(self._c)

    def projections(self) -> Projections:
        """Low-reservoir, empty, ERI and end-of-service dates under the current program."""
        return views.projections(self._c)

    def trend(self, start_s: float = 0.0, end_s: float | None = None) -> HourlyTrend:
        """Hourly delivered volume and dose, reservoir and battery between two times."""
        c = self._c
        end = c.now if end_s is None else end_s
        if not (is_finite_number(start_s) and is_finite_number(end) and 0 <= start_s <= end):
            raise InvalidInputError(f"bad trend window {start_s!r}..{end!r}")
        return hourly(c.ledger.trend, c.knot_row(), c.library.names, start_s, end)

    def volumes_ml_at(
        self, times_s: Sequence[float]
    ) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(commanded, pumped): what the pump believed it had given and the true volume that had
        left the reservoir, by each of `times_s` (up to now), at any instant and not only on the
        hour: what an accuracy test weighs (trumpet curves)."""
        import numpy as np

        c = self._c
        at = np.asarray(times_s, dtype=np.float64)
        if at.size and not (np.isfinite(at).all() and at.min() >= 0 and at.max() <= c.now):
            raise InvalidInputError("times must lie between 0 and now")
        rows = c.ledger.trend.values_at(at, c.knot_row())
        return tuple(rows[:, COMMANDED].tolist()), tuple(rows[:, PUMPED].tolist())

    @property
    def trend_knots(self) -> int:
        """Knots the trend memory holds (bounded by `config.trend_capacity_knots`)."""
        return len(self._c.ledger.trend)

    # ------------------------------------------------------- copies and state

    def clone(self) -> Pump:
        """An independent copy (for what-if questions and tests of path independence).

        Made through a snapshot: faster than a deep copy, and every test that clones a pump
        exercises snapshot and restore too."""
        return Pump.restore(self.snapshot())

    def snapshot(self) -> bytes:
        """The whole state as versioned bytes; `Pump.restore` continues exactly from them."""
        return snapshot.dumps(self._c)

    @classmethod
    def restore(cls, data: bytes) -> Pump:
        """The pump a snapshot holds, or `SnapshotError` (`SnapshotOutdatedError` for 0.1's
        format); bytes from anywhere can do no more than that."""
        pump = cls.__new__(cls)
        pump._c = snapshot.loads(data)
        try:  # a crafted body that passes its checksum still has to make a pump that works
            views.status(pump._c)
            views.physical(pump._c)
            views.projections(pump._c)
        except Exception as e:
            raise SnapshotError(f"the snapshot's state is inconsistent: {e!r}") from None
        return pump
