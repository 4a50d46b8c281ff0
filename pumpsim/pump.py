"""The pump: its state, the commands a programmer sends, and `advance`, the event-driven clock.

Between two events every rate is constant (commanded flow, true flow, battery drain), so `advance`
jumps from event to event and integrates each stretch in closed form. Events are either timed (a
schedule step, a bolus ending, a fault's onset) or thresholds that follow from the rates (the pump's
reckoned reservoir reaching the alarm volume, the true reservoir running dry, the battery reaching
its replacement point). One place, `_settle`, turns what is due into state changes, alarms and log
records; the physics helpers know nothing of alarms.

Every command validates fully before it changes anything, and acts at the pump's own clock
(`now_s`): to act later, advance first.
"""

from __future__ import annotations

import copy
import heapq
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from pumpsim.alarms import Alarm, AlarmKind
from pumpsim.config import PumpConfig, PumpVariant
from pumpsim.drugs import DEFAULT_LIBRARY, DrugLibrary, Mix
from pumpsim.errors import (
    FaultRejectedError,
    InvalidInputError,
    MriRefusedError,
    NotAllowedNowError,
    ProgramRejectedError,
    RefillSequenceError,
    TimeWentBackwardsError,
)
from pumpsim.eventlog import EventLog, LogKind
from pumpsim.faults import (
    CatheterDislodgement,
    CatheterOcclusion,
    Fault,
    LowBatteryReset,
    MemoryReset,
    MotorStall,
    OverInfusionDrift,
    PocketFill,
    PrematureEri,
    TipGranuloma,
    ramp_levels,
)
from pumpsim.fluid_path import Conc, FluidPath
from pumpsim.program import (
    BasalLookup,
    BolusKind,
    Continuous,
    Stopped,
    TherapyProgram,
    average_rate_ml_per_day,
    time_to_deliver,
)
from pumpsim.refill import BridgeOffer, FillResult, WithdrawResult, classify_discrepancy
from pumpsim.status import (
    ActiveBolus,
    DeviceStatus,
    MotorState,
    MriPhase,
    PatientBolusOutcome,
    PhysicalState,
    Projections,
)
from pumpsim.trend import HourlyTrend, KnotRecorder, hourly
from pumpsim.units import SECONDS_PER_DAY, is_finite_number
from pumpsim.validation import (
    Violation,
    ViolationCode,
    validate_bolus,
    validate_mix,
    validate_program,
)

# A threshold counts as reached when the current rate would reach it within this time. Judging in
# time rather than in volume or charge keeps the loop from chasing residues below a float's ulp.
EPS_T = 1e-6
EPS_ABS = 1e-12
_MAX_ZERO_STEPS = 10_000

_DAY = SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class _Onset:
    fault: Fault


@dataclass(frozen=True, slots=True)
class _OcclusionLevel:
    key: int  # which fault's contribution
    delivered_fraction: float


@dataclass(frozen=True, slots=True)
class _DriftLevel:
    key: int
    factor: float


@dataclass(frozen=True, slots=True)
class _StallEnd:
    pass


_Action = _Onset | _OcclusionLevel | _DriftLevel | _StallEnd


class Pump:
    """A simulated implanted intrathecal pump. Pure: no I/O, no threads, no wall clock."""

    def __init__(
        self, config: PumpConfig | None = None, library: DrugLibrary | None = None
    ) -> None:
        self.config = config if config is not None else PumpConfig()
        self.library = library if library is not None else DEFAULT_LIBRARY
        cfg = self.config
        self._now = 0.0
        self._program = TherapyProgram(low_reservoir_alarm_ml=cfg.default_low_reservoir_alarm_ml)
        self._basal = BasalLookup(self._program.basal)
        self._avg_drain_s = 0.0  # battery drain under the program on average (set below)
        self._mix = Mix()
        self._res_conc: Conc = ()
        self._reservoir_ml = 0.0
        self._expected_ml = 0.0
        self._refill_in_progress = True  # a new pump has never been filled
        self._path = FluidPath(cfg.dead_volume_ml)
        self._bolus: ActiveBolus | None = None
        self._patient: ActiveBolus | None = None
        self._grants: deque[float] = deque()
        self._bridge_offer: BridgeOffer | None = None
        self._refill_due_at: float | None = None
        # Battery
        self._charge_mah = cfg.battery.capacity_mah
        self._age_s = cfg.battery.initial_age_s
        self._eri_at: float | None = None
        self._eos_at: float | None = None
        # Motor and MRI
        self._stall_until = -math.inf
        self._mri = MriPhase.OFF
        self._mri_exited_at = -math.inf
        self._mri_resume_at = math.inf
        self._mri_alarmed = False
        # Faults
        self._faults: list[Fault] = []
        self._pending: list[tuple[float, int, _Action]] = []
        self._seq = 0
        self._occlusion: dict[int, float] = {}
        self._drift: dict[int, float] = {}
        self._flow_factor = cfg.accuracy_factor
        self._occlusion_fraction = 1.0
        self._dislodged = False
        self._pocket_armed = False
        # Alarms and log
        self._alarms: dict[AlarmKind, Alarm] = {}
        self._conditions: set[AlarmKind] = set()
        self._log = EventLog(cfg.event_log_capacity)
        self._interrogated_at: float | None = None
        # Accounting
        n = len(self.library)
        self._filled_ml = 0.0
        self._withdrawn_ml = 0.0
        self._pumped_ml = 0.0
        self._commanded_ml = 0.0
        self._delivered_ml = 0.0
        self._misplaced_ml = 0.0
        self._pocket_ml = 0.0
        self._delivered_mcg = [0.0] * n
        self._misplaced_mcg = [0.0] * n
        self._pocket_mcg = [0.0] * n
        self._knots = KnotRecorder(n)
        self._knot_slopes: tuple[object, ...] = ()
        self._pending_end: list[float] | None = None
        self._stretches = 0
        # Rates of the current stretch (set by _refresh)
        self._r_cmd = 0.0  # mL/day commanded
        self._rc = 0.0  # mL/s commanded
        self._rp = 0.0  # mL/s true flow out of the reservoir
        self._drain = 0.0  # mAh/s
        self._basal_change = math.inf
        self._use_program(self._program)
        self._refresh()
        self._record_knot()

    def _use_program(self, program: TherapyProgram) -> None:
        """Make `program` the one in force, with what the hot loop derives from it."""
        self._program = program
        self._basal = BasalLookup(program.basal)
        b = self.config.battery
        avg_rate = average_rate_ml_per_day(program.basal)
        self._avg_drain_s = (b.quiescent_mah_per_day + b.mah_per_ml * avg_rate) / _DAY

    # ------------------------------------------------------------------ clock

    @property
    def now_s(self) -> float:
        return self._now

    def advance(self, until_s: float) -> None:
        """Run the pump to `until_s`, processing every event on the way."""
        if not is_finite_number(until_s):
            raise InvalidInputError(f"until_s must be a finite number, got {until_s!r}")
        if until_s < self._now:
            raise TimeWentBackwardsError(f"cannot go back from {self._now!r} s to {until_s!r} s")
        zero_steps = 0
        while True:
            self._refresh()
            te = min(until_s, self._next_event_s())
            if te > self._now:
                self._knot_if_slopes_changed()
                self._integrate(te - self._now)
                self._now = te
                self._stretches += 1
                zero_steps = 0
            else:
                zero_steps += 1
                if zero_steps > _MAX_ZERO_STEPS:  # pragma: no cover - a bug, not an input
                    raise RuntimeError(f"event loop made no progress at t={self._now!r}")
            changed = self._settle()
            if self._now >= until_s and not changed:
                break
        self._refresh()
        # Kept, not recorded: needed only if a command jumps the state right here.
        self._pending_end = self._knot_row()

    def advance_by(self, seconds: float) -> None:
        if not is_finite_number(seconds) or seconds < 0:
            raise InvalidInputError(f"seconds must be a number >= 0, got {seconds!r}")
        self.advance(self._now + seconds)

    # --------------------------------------------------------------- physics

    def _motor_blocked(self) -> bool:
        return self._now < self._stall_until or self._mri is not MriPhase.OFF

    def _refresh(self) -> None:
        """Recompute the constant rates of the stretch starting now."""
        now = self._now
        change = math.inf
        if self._eos_at is not None or self._motor_blocked():
            rate = 0.0
        elif self._bolus is not None:
            rate = self._bolus.rate_ml_per_day
        else:
            # Looked up a hair ahead so that a boundary within EPS_T counts as passed.
            rate, change = self._basal.rate_at(now + EPS_T)
            if rate > 0 and AlarmKind.EMPTY_RESERVOIR in self._conditions:
                rate = self.config.min_rate_ml_per_day
            if self._patient is not None:
                rate += self._patient.rate_ml_per_day
        self._r_cmd = rate
        self._basal_change = change
        rc = rate / _DAY
        self._rc = rc
        rp = rc * self._flow_factor
        self._rp = rp if self._reservoir_ml > rp * EPS_T + EPS_ABS else 0.0
        self._path.merge_front_below(rp * EPS_T + EPS_ABS)
        b = self.config.battery
        drain = b.quiescent_mah_per_day + b.mah_per_ml * rate
        if self._alarms:
            drain += b.mah_per_alarm_tone * _DAY / b.alarm_tone_interval_s
        self._drain = drain / _DAY

    def _next_event_s(self) -> float:
        """The earliest timed event or threshold crossing under the current rates."""
        now = self._now
        candidates = [self._basal_change]
        if self._bolus is not None:
            candidates.append(self._bolus.ends_at_s)
        if self._patient is not None:
            candidates.append(self._patient.ends_at_s)
        if self._pending:
            candidates.append(self._pending[0][0])
        if self._mri is MriPhase.RECOVERING:
            candidates.append(self._mri_resume_at)
        if self._refill_due_at is not None and AlarmKind.REFILL_DUE not in self._conditions:
            candidates.append(self._refill_due_at)
        rc = self._rc
        if rc > 0 and not self._refill_in_progress:
            if AlarmKind.LOW_RESERVOIR not in self._conditions:
                low = self._program.low_reservoir_alarm_ml
                candidates.append(now + (self._expected_ml - low) / rc)
            if AlarmKind.EMPTY_RESERVOIR not in self._conditions:
                candidates.append(now + self._expected_ml / rc)
        rp = self._rp
        if rp > 0:
            candidates.append(now + self._reservoir_ml / rp)
            if not self._path.is_uniform:
                candidates.append(now + self._path.front_volume_ml / rp)
        if self._eos_at is None:
            b = self.config.battery
            d = self._drain
            life_left = b.life_cap_s - self._age_s
            candidates.append(now + life_left)
            if d > 0:
                candidates.append(now + self._charge_mah / d)
            if self._eri_at is not None:
                candidates.append(self._eri_at + b.eri_warning_s)
            else:
                candidates.append(now + life_left - b.eri_warning_s)
                if d > 0:
                    threshold = b.eri_warning_s * self._avg_drain_s
                    candidates.append(now + (self._charge_mah - threshold) / d)
        t = min(candidates)
        return t if t > now else now

    def _integrate(self, dt: float) -> None:
        cmd = self._rc * dt
        self._commanded_ml += cmd
        self._expected_ml = self._expected_ml - cmd if cmd < self._expected_ml else 0.0
        if self._rp > 0:
            vol = self._rp * dt
            if vol >= self._reservoir_ml:
                vol = self._reservoir_ml
                self._reservoir_ml = 0.0
            else:
                self._reservoir_ml -= vol
            self._pumped_ml += vol
            out: dict[int, float] = {}
            self._path.flow(vol, self._res_conc, out)
            if self._dislodged:
                self._misplaced_ml += vol
                masses = self._misplaced_mcg
            else:
                self._delivered_ml += vol
                masses = self._delivered_mcg
            for column, mcg in out.items():
                masses[column] += mcg
        drained = self._drain * dt
        self._charge_mah = self._charge_mah - drained if drained < self._charge_mah else 0.0
        self._age_s += dt

    def _knot_if_slopes_changed(self) -> None:
        """Record a trend knot where a stretch with new rates begins (and only there).

        Between knots every recorded quantity is linear, so knots inside a stretch of unchanged
        rates would add nothing: an advance every 20 ms (the firmware's tick) must not grow memory.
        """
        slopes = (self._rc, self._rp, self._drain, self._path.front, self._dislodged)
        if slopes != self._knot_slopes:
            self._record_knot()
            self._knot_slopes = slopes
            self._pending_end = None  # collinear with what is now recorded

    def _knot_row(self) -> list[float]:
        return [
            self._now,
            self._commanded_ml,
            self._pumped_ml,
            self._delivered_ml,
            self._reservoir_ml,
            self._expected_ml,
            self._charge_mah,
            *self._delivered_mcg,
        ]

    def _record_knot(self) -> None:
        self._knots.record(self._knot_row())

    @property
    def events_processed(self) -> int:
        """Stretches of constant rates integrated so far (what the simulation's cost grows with)."""
        return self._stretches

    # ---------------------------------------------------------------- events

    def _settle(self) -> bool:
        """Apply everything due now; return whether anything happened."""
        now = self._now
        due = now + EPS_T
        changed = False
        if self._bolus is not None and self._bolus.ends_at_s <= due:
            b = self._bolus
            self._log.append(now, LogKind.BOLUS_COMPLETED, kind=b.kind, volume_ml=b.volume_ml)
            self._bolus = None
            changed = True
        if self._patient is not None and self._patient.ends_at_s <= due:
            b = self._patient
            self._log.append(now, LogKind.BOLUS_COMPLETED, kind=b.kind, volume_ml=b.volume_ml)
            self._patient = None
            changed = True
        while self._pending and self._pending[0][0] <= due:
            _, _, action = heapq.heappop(self._pending)
            self._apply(action)
            changed = True
        if self._mri is MriPhase.RECOVERING and self._mri_resume_at <= due:
            self._mri = MriPhase.OFF
            self._log.append(now, LogKind.MOTOR_STALL_RECOVERY, cause="mri")
            changed = True
        if self._eos_at is None:
            changed |= self._settle_battery()
        changed |= self._update_conditions()
        return changed

    def _settle_battery(self) -> bool:
        b = self.config.battery
        now = self._now
        tol = self._drain * EPS_T + EPS_ABS
        changed = False
        if self._eri_at is None:
            by_age = b.life_cap_s - self._age_s - b.eri_warning_s <= EPS_T
            by_charge = self._charge_mah - b.eri_warning_s * self._avg_drain_s <= tol
            if by_age or by_charge:
                self._eri_at = now
                self._log.append(now, LogKind.ELECTIVE_REPLACEMENT, premature=False)
                changed = True
        if (
            self._charge_mah <= tol
            or b.life_cap_s - self._age_s <= EPS_T
            or (self._eri_at is not None and now >= self._eri_at + b.eri_warning_s - EPS_T)
        ):
            self._eos_at = now
            self._abort_boluses("end_of_service")
            self._log.append(now, LogKind.END_OF_SERVICE, battery_mah=self._charge_mah)
            changed = True
        return changed

    def _update_conditions(self) -> bool:
        cond: set[AlarmKind] = set()
        if not self._refill_in_progress:
            tol = self._rc * EPS_T + EPS_ABS
            if self._expected_ml - self._program.low_reservoir_alarm_ml <= tol:
                cond.add(AlarmKind.LOW_RESERVOIR)
            if self._expected_ml <= tol:
                cond.add(AlarmKind.EMPTY_RESERVOIR)
        if self._eri_at is not None:
            cond.add(AlarmKind.ELECTIVE_REPLACEMENT)
        if self._eos_at is not None:
            cond.add(AlarmKind.END_OF_SERVICE)
        if self._refill_due_at is not None and self._now >= self._refill_due_at - EPS_T:
            cond.add(AlarmKind.REFILL_DUE)
        if (
            self.config.back_pressure_sensor
            and self._occlusion_fraction < self.config.occlusion_alarm_below_fraction
        ):
            cond.add(AlarmKind.OCCLUSION_SUSPECTED)
        risen = cond - self._conditions
        self._conditions = cond
        if AlarmKind.EMPTY_RESERVOIR in risen:
            self._abort_boluses("empty_reservoir")
        for kind in sorted(risen):
            self._raise(kind)
        return bool(risen)

    def _raise(self, kind: AlarmKind) -> None:
        if kind in self._alarms:
            return
        self._alarms[kind] = Alarm(kind, self._now)
        self._log.append(self._now, LogKind.ALARM_RAISED, alarm=kind, severity=kind.severity)
        if self._mri is MriPhase.SCANNING:
            self._mri_alarmed = True

    def _abort_boluses(self, reason: str) -> None:
        for b in (self._bolus, self._patient):
            if b is not None:
                given = b.rate_ml_per_day * (self._now - b.started_at_s) / _DAY
                self._log.append(
                    self._now,
                    LogKind.BOLUS_ABORTED,
                    kind=b.kind,
                    volume_ml=b.volume_ml,
                    given_ml=given,
                    reason=reason,
                )
        self._bolus = None
        self._patient = None

    def _schedule(self, at_s: float, action: _Action) -> None:
        self._seq += 1
        heapq.heappush(self._pending, (at_s, self._seq, action))

    def _apply(self, action: _Action) -> None:
        now = self._now
        if isinstance(action, _Onset):
            self._onset(action.fault)
        elif isinstance(action, _OcclusionLevel):
            self._occlusion[action.key] = action.delivered_fraction
            self._recompute_flow_factor()
        elif isinstance(action, _DriftLevel):
            self._drift[action.key] = action.factor
            self._recompute_flow_factor()
        elif self._stall_until - EPS_T <= now:
            # A stall's end; a later, longer stall may have pushed _stall_until on (then stale).
            self._stall_until = -math.inf
            self._log.append(now, LogKind.MOTOR_STALL_RECOVERY, cause="fault")

    def _onset(self, fault: Fault) -> None:
        now = self._now
        self._seq += 1
        key = self._seq  # names this fault's contribution to the flow factor
        if isinstance(fault, CatheterOcclusion):
            self._occlusion[key] = fault.delivered_fraction
            self._recompute_flow_factor()
        elif isinstance(fault, TipGranuloma):
            for k, level in enumerate(ramp_levels(1.0, fault.final_fraction, fault.steps), 1):
                self._schedule(now + fault.growth_s * k / fault.steps, _OcclusionLevel(key, level))
        elif isinstance(fault, OverInfusionDrift):
            for k, level in enumerate(ramp_levels(1.0, fault.final_factor, fault.steps), 1):
                self._schedule(now + fault.ramp_s * k / fault.steps, _DriftLevel(key, level))
        elif isinstance(fault, CatheterDislodgement):
            self._dislodged = True
        elif isinstance(fault, MotorStall):
            until = math.inf if fault.duration_s is None else now + fault.duration_s
            was_stalled = now < self._stall_until
            self._stall_until = max(self._stall_until, until)
            if not was_stalled:
                self._abort_boluses("motor_stall")
                self._log.append(now, LogKind.MOTOR_STALL, cause="fault")
                self._raise(AlarmKind.MOTOR_STALL)
            if math.isfinite(until):
                self._schedule(until, _StallEnd())
        elif isinstance(fault, PrematureEri):
            if self._eri_at is None and self._eos_at is None:
                self._eri_at = now
                self._log.append(now, LogKind.ELECTIVE_REPLACEMENT, premature=True)
        elif isinstance(fault, LowBatteryReset):
            self._abort_boluses("low_battery_reset")
            if not isinstance(self._program.basal, Stopped):
                self._use_program(
                    TherapyProgram(
                        Continuous(self.config.min_rate_ml_per_day),
                        None,
                        self._program.low_reservoir_alarm_ml,
                    )
                )
            self._log.append(now, LogKind.LOW_BATTERY_RESET, rate_ml_per_day=self._min_or_zero())
            self._raise(AlarmKind.LOW_BATTERY_RESET)
        elif isinstance(fault, PocketFill):
            self._pocket_armed = True
        elif isinstance(fault, MemoryReset):
            self._abort_boluses("memory_reset")
            self._use_program(
                TherapyProgram(low_reservoir_alarm_ml=self.config.default_low_reservoir_alarm_ml)
            )
            self._log.append(now, LogKind.PUMP_RESET, safe_state="stopped")
            self._raise(AlarmKind.MEMORY_ERROR)

    def _min_or_zero(self) -> float:
        return 0.0 if isinstance(self._program.basal, Stopped) else self.config.min_rate_ml_per_day

    def _recompute_flow_factor(self) -> None:
        occlusion = math.prod(self._occlusion.values())
        self._occlusion_fraction = occlusion
        self._flow_factor = (
            self.config.accuracy_factor * occlusion * math.prod(self._drift.values())
        )

    def _after_command(self) -> None:
        self._refresh()
        for _ in range(100):
            if not self._settle():
                break
            self._refresh()
        if self._pending_end is not None and self._pending_end[0] == self._now:
            self._knots.record(self._pending_end)  # the state just before the jump
        self._pending_end = None
        self._record_knot()

    # -------------------------------------------------------------- commands

    def _require_in_service(self) -> None:
        if self._eos_at is not None:
            raise NotAllowedNowError("the pump has reached end of service")

    def validate(self, program: TherapyProgram, mix: Mix | None = None) -> tuple[Violation, ...]:
        """What the pump would say of `program` (with its reservoir's mix, or `mix`)."""
        return validate_program(
            program, self._mix if mix is None else mix, self.config, self.library
        )

    def set_program(self, program: TherapyProgram) -> None:
        """Write a new program. Any bolus in progress ends; the log records old and new."""
        if not isinstance(program, TherapyProgram):
            raise InvalidInputError(f"expected a TherapyProgram, got {type(program).__name__}")
        self._require_in_service()
        violations = self.validate(program)
        if violations:
            raise ProgramRejectedError(violations)
        self._install_program(program)
        self._after_command()

    def _install_program(self, program: TherapyProgram) -> None:
        self._abort_boluses("program_changed")
        old = self._program
        self._use_program(program)
        self._log.append(
            self._now,
            LogKind.PROGRAM_CHANGED,
            old_mode=type(old.basal).__name__,
            new_mode=type(program.basal).__name__,
            avg_rate_ml_per_day=average_rate_ml_per_day(program.basal),
        )

    def _check_can_bolus(self) -> None:
        self._require_in_service()
        if self._motor_blocked():
            raise NotAllowedNowError("the motor is stalled or the pump is in MRI mode")
        if self._refill_in_progress:
            raise NotAllowedNowError("the reservoir is being refilled")
        if self._bolus is not None:
            raise NotAllowedNowError(f"a {self._bolus.kind} bolus is already running")
        if self._patient is not None:
            raise NotAllowedNowError("a patient bolus is running")
        if AlarmKind.EMPTY_RESERVOIR in self._conditions:
            raise NotAllowedNowError("the reservoir is empty")

    def _start_bolus(self, kind: BolusKind, volume_ml: float, duration_s: float) -> ActiveBolus:
        self._check_can_bolus()
        violations: list[Violation] = []
        if is_finite_number(volume_ml) and volume_ml > self._expected_ml:
            violations.append(
                Violation(
                    ViolationCode.BOLUS_INVALID,
                    f"the reservoir holds {self._expected_ml:.3f} mL, less than {volume_ml:g} mL",
                    "volume_ml",
                )
            )
        exiting: dict[str, float] = {}
        if is_finite_number(volume_ml) and volume_ml > 0:
            by_column = self._path.mass_exiting(volume_ml, self._res_conc)
            names = self.library.names
            exiting = {names[c]: m for c, m in by_column.items() if m > 0}
        violations.extend(
            validate_bolus(
                volume_ml, duration_s, exiting, self._program, self._mix, self.config, self.library
            )
        )
        if violations:
            raise ProgramRejectedError(violations)
        rate = volume_ml * _DAY / duration_s
        bolus = ActiveBolus(kind, volume_ml, rate, self._now, self._now + duration_s)
        self._bolus = bolus
        self._log.append(
            self._now, LogKind.BOLUS_STARTED, kind=kind, volume_ml=volume_ml, duration_s=duration_s
        )
        self._after_command()
        return bolus

    def start_bolus(self, volume_ml: float, duration_s: float) -> ActiveBolus:
        """A single clinician bolus; the prior mode resumes when it ends."""
        return self._start_bolus(BolusKind.CLINICIAN, volume_ml, duration_s)

    def start_priming_bolus(self, volume_ml: float | None = None) -> ActiveBolus:
        """Fill tubing and catheter (after implant or revision) at the pump's fastest rate."""
        volume = self.config.dead_volume_ml if volume_ml is None else volume_ml
        if not is_finite_number(volume) or volume <= 0:
            raise InvalidInputError(f"priming volume must be > 0, got {volume!r}")
        duration = math.ceil(volume / self.config.max_rate_ml_per_day * _DAY)
        return self._start_bolus(BolusKind.PRIMING, volume, float(duration))

    def start_bridge_bolus(self) -> ActiveBolus:
        """Take the bridge offered at the last fill."""
        offer = self._bridge_offer
        if offer is None:
            raise NotAllowedNowError("no bridge bolus is on offer (fill with a new mix first)")
        bolus = self._start_bolus(BolusKind.BRIDGE, offer.volume_ml, offer.duration_s)
        self._bridge_offer = None
        return bolus

    def cancel_bolus(self) -> None:
        if self._bolus is None and self._patient is None:
            raise NotAllowedNowError("no bolus is running")
        self._abort_boluses("cancelled")
        self._after_command()

    def request_patient_bolus(self) -> PatientBolusOutcome:
        """A patient's handheld asks for a bolus; the pump decides within the programmed limits."""
        now = self._now
        settings = self._program.patient_bolus
        grants = self._grants
        while grants and grants[0] <= now - _DAY:
            grants.popleft()
        outcome = PatientBolusOutcome.GRANTED
        if settings is None:
            outcome = PatientBolusOutcome.DENIED_NOT_PROGRAMMED
        elif (
            self._eos_at is not None
            or self._motor_blocked()
            or self._refill_in_progress
            or isinstance(self._program.basal, Stopped)
            or AlarmKind.EMPTY_RESERVOIR in self._conditions
        ):
            outcome = PatientBolusOutcome.DENIED_NOT_INFUSING
        elif self._bolus is not None or self._patient is not None:
            outcome = PatientBolusOutcome.DENIED_BOLUS_ACTIVE
        elif grants and now - grants[-1] < settings.lockout_s:
            outcome = PatientBolusOutcome.DENIED_LOCKOUT
        elif len(grants) >= settings.max_per_24h:
            outcome = PatientBolusOutcome.DENIED_MAX_PER_24H
        if outcome is not PatientBolusOutcome.GRANTED or settings is None:
            self._log.append(now, LogKind.PATIENT_BOLUS_DENIED, reason=outcome)
            return outcome
        grants.append(now)
        self._patient = ActiveBolus(
            BolusKind.PATIENT,
            settings.volume_ml,
            settings.rate_ml_per_day,
            now,
            now + settings.duration_s,
        )
        self._log.append(now, LogKind.PATIENT_BOLUS_GRANTED, volume_ml=settings.volume_ml)
        self._after_command()
        return outcome

    def withdraw_reservoir(self) -> WithdrawResult:
        """First step of a refill: empty the reservoir and compare with what the pump expected."""
        withdrawn = self._reservoir_ml
        expected = self._expected_ml
        tolerance = self.config.refill_tolerance_ml
        verdict = classify_discrepancy(withdrawn, expected, tolerance)
        self._abort_boluses("refill")
        self._withdrawn_ml += withdrawn
        self._reservoir_ml = 0.0
        self._expected_ml = 0.0
        self._refill_in_progress = True
        self._bridge_offer = None
        self._log.append(
            self._now,
            LogKind.RESERVOIR_WITHDRAWN,
            withdrawn_ml=withdrawn,
            expected_ml=expected,
            verdict=verdict,
        )
        if verdict == "under_infusion_suspected":
            self._raise(AlarmKind.OCCLUSION_SUSPECTED)
        self._after_command()
        return WithdrawResult(withdrawn, expected, tolerance, verdict)

    def fill_reservoir(
        self,
        volume_ml: float,
        mix: Mix,
        program: TherapyProgram | None = None,
        refill_due_at_s: float | None = None,
    ) -> FillResult:
        """Second step of a refill: the new drug, and the program to run with it if it changes."""
        if not self._refill_in_progress:
            raise RefillSequenceError("withdraw the reservoir before filling it")
        if not isinstance(mix, Mix):
            raise InvalidInputError(f"expected a Mix, got {type(mix).__name__}")
        if program is not None:
            if not isinstance(program, TherapyProgram):
                raise InvalidInputError(f"expected a TherapyProgram, got {type(program).__name__}")
            self._require_in_service()
        if refill_due_at_s is not None and (
            not is_finite_number(refill_due_at_s) or refill_due_at_s <= self._now
        ):
            raise InvalidInputError("refill_due_at_s must be a time after now")
        violations = list(validate_mix(mix, self.library))
        if (
            not is_finite_number(volume_ml)
            or not 0 < volume_ml <= self.config.reservoir_capacity_ml
        ):
            violations.append(
                Violation(
                    ViolationCode.FILL_VOLUME_INVALID,
                    f"fill volume must be in (0, {self.config.reservoir_capacity_ml:g}] mL, "
                    f"got {volume_ml!r}",
                    "volume_ml",
                )
            )
        new_program = self._program if program is None else program
        if not violations:
            violations.extend(validate_program(new_program, mix, self.config, self.library))
        if violations:
            raise ProgramRejectedError(violations)
        conc = tuple((self.library.index(c.drug), c.mcg_per_ml) for c in mix.components)
        old_rate = average_rate_ml_per_day(self._program.basal)
        if self._pocket_armed:
            self._pocket_armed = False
            self._pocket_ml += volume_ml
            for column, mcg_per_ml in conc:
                self._pocket_mcg[column] += volume_ml * mcg_per_ml
        else:
            self._reservoir_ml = volume_ml
            self._filled_ml += volume_ml
        self._expected_ml = volume_ml
        self._mix = mix
        self._res_conc = conc
        self._refill_in_progress = False
        self._refill_due_at = refill_due_at_s
        self._conditions.discard(AlarmKind.REFILL_DUE)
        offer = None
        if self._path.front != conc and old_rate > 0 and self._path.contents()[0][1]:
            dead = self.config.dead_volume_ml
            offer = BridgeOffer(dead, old_rate, dead / old_rate * _DAY)
        self._bridge_offer = offer
        self._log.append(
            self._now,
            LogKind.RESERVOIR_FILLED,
            volume_ml=volume_ml,
            mix=mix.describe(self.library),
        )
        if program is not None:
            self._install_program(program)
        self._after_command()
        return FillResult(volume_ml, mix, offer)

    def enter_mri_safe_mode(self) -> None:
        """Suspend infusion for a scan (the magnet would stall the rotor anyway)."""
        self._require_in_service()
        if self._mri is not MriPhase.OFF:
            raise NotAllowedNowError(f"MRI mode is already {self._mri}")
        if self.config.variant is PumpVariant.VALVE_GATED and not (
            self._refill_in_progress and self._expected_ml <= EPS_ABS
        ):
            raise MriRefusedError(
                "a valve-gated pump must have its reservoir emptied before an MRI scan"
            )
        self._abort_boluses("mri")
        self._mri = MriPhase.SCANNING
        self._mri_alarmed = bool(self._alarms)
        self._log.append(self._now, LogKind.MRI_ENTERED)
        self._log.append(self._now, LogKind.MOTOR_STALL, cause="mri")
        self._after_command()

    def exit_mri_safe_mode(self) -> None:
        """The scan is over: resume after the recovery lag, or wait for interrogation if alarmed."""
        if self._mri is not MriPhase.SCANNING:
            raise NotAllowedNowError("the pump is not in MRI mode")
        self._mri_exited_at = self._now
        self._mri_resume_at = self._now + self.config.mri_recovery_lag_s
        held = self._mri_alarmed or bool(self._alarms)
        self._mri = MriPhase.AWAITING_INTERROGATION if held else MriPhase.RECOVERING
        self._log.append(self._now, LogKind.MRI_EXITED, awaiting_interrogation=held)
        self._after_command()

    def interrogate(self) -> DeviceStatus:
        """A telemetry session reads the pump (and releases a post-MRI hold)."""
        b = self.config.battery
        self._charge_mah = max(0.0, self._charge_mah - b.mah_per_telemetry_session)
        self._interrogated_at = self._now
        self._log.append(self._now, LogKind.INTERROGATED)
        if self._mri is MriPhase.AWAITING_INTERROGATION:
            self._mri = MriPhase.RECOVERING
            self._mri_resume_at = max(self._now, self._mri_resume_at)
        self._after_command()
        return self.status()

    def acknowledge_alarms(self, kinds: Iterable[AlarmKind] | None = None) -> tuple[Alarm, ...]:
        """Clear latched alarms (all, or the kinds given); conditions that persist stay known."""
        try:
            wanted = set(self._alarms) if kinds is None else {AlarmKind(k) for k in kinds}
        except ValueError as e:
            raise InvalidInputError(str(e)) from None
        cleared = tuple(self._alarms.pop(k) for k in sorted(wanted) if k in self._alarms)
        for alarm in cleared:
            self._log.append(self._now, LogKind.ALARM_ACKNOWLEDGED, alarm=alarm.kind)
        self._after_command()
        return cleared

    def inject(self, fault: Fault) -> None:
        """Schedule a fault at its onset time (now or later)."""
        check = getattr(fault, "check", None)
        if check is None:
            raise FaultRejectedError(f"not a fault: {fault!r}")
        check()
        if fault.onset_s < self._now - EPS_T:
            raise FaultRejectedError(
                f"onset {fault.onset_s!r} s is in the past (now is {self._now!r} s)"
            )
        self._faults.append(fault)
        self._schedule(max(fault.onset_s, self._now), _Onset(fault))
        self._after_command()

    # ----------------------------------------------------------------- views

    @property
    def program(self) -> TherapyProgram:
        return self._program

    @property
    def log(self) -> EventLog:
        return self._log

    @property
    def faults(self) -> tuple[Fault, ...]:
        return tuple(self._faults)

    @property
    def alarms(self) -> tuple[Alarm, ...]:
        return tuple(sorted(self._alarms.values(), key=lambda a: (a.raised_at_s, a.kind)))

    @property
    def alarm_conditions(self) -> frozenset[AlarmKind]:
        """Conditions that hold now (whether or not their alarm was acknowledged)."""
        return frozenset(self._conditions)

    @property
    def bridge_offer(self) -> BridgeOffer | None:
        return self._bridge_offer

    def patient_bolus_grants(self) -> tuple[float, ...]:
        """Start times of granted patient boluses still in the 24-hour window's memory."""
        return tuple(self._grants)

    def motor_state(self) -> MotorState:
        if self._eos_at is not None:
            return MotorState.END_OF_SERVICE
        if self._motor_blocked():
            return MotorState.STALLED
        return MotorState.RUNNING if self._r_cmd > 0 else MotorState.IDLE

    def status(self) -> DeviceStatus:
        return DeviceStatus(
            at_s=self._now,
            variant=self.config.variant,
            program=self._program,
            mix=self._mix,
            reservoir_ml=self._expected_ml,
            reservoir_capacity_ml=self.config.reservoir_capacity_ml,
            commanded_rate_ml_per_day=self._r_cmd,
            active_bolus=self._bolus,
            patient_bolus=self._patient,
            motor=self.motor_state(),
            mri=self._mri,
            battery_mah=self._charge_mah,
            battery_capacity_mah=self.config.battery.capacity_mah,
            eri_at_s=self._eri_at,
            end_of_service_at_s=self._eos_at,
            alarms=self.alarms,
            refill_in_progress=self._refill_in_progress,
            last_interrogated_at_s=self._interrogated_at,
            refill_due_at_s=self._refill_due_at,
            log_next_index=self._log.next_index,
        )

    def physical(self) -> PhysicalState:
        names = self.library.names

        def by_drug(values: list[float]) -> dict[str, float]:
            return {names[i]: v for i, v in enumerate(values) if v != 0.0}

        return PhysicalState(
            at_s=self._now,
            reservoir_ml=self._reservoir_ml,
            filled_ml=self._filled_ml,
            withdrawn_ml=self._withdrawn_ml,
            pumped_ml=self._pumped_ml,
            commanded_ml=self._commanded_ml,
            delivered_ml=self._delivered_ml,
            misplaced_ml=self._misplaced_ml,
            pocket_ml=self._pocket_ml,
            delivered_mcg=by_drug(self._delivered_mcg),
            misplaced_mcg=by_drug(self._misplaced_mcg),
            pocket_mcg=by_drug(self._pocket_mcg),
            flow_factor=self._flow_factor,
            occlusion_fraction=self._occlusion_fraction,
            dislodged=self._dislodged,
            battery_age_s=self._age_s,
        )

    def fluid_path(self) -> tuple[tuple[float, Mix], ...]:
        """What tubing and catheter hold, tip first, as (volume, mix)."""
        names = self.library.names
        return tuple(
            (vol, Mix.of(**{names[c]: m for c, m in conc})) for vol, conc in self._path.contents()
        )

    def projections(self) -> Projections:
        """Low-reservoir, empty, ERI and end-of-service dates under the current program."""
        now = self._now
        basal = self._program.basal
        low_at: float | None = None
        empty_at: float | None = None
        if not self._refill_in_progress and self._eos_at is None:
            level = self._program.low_reservoir_alarm_ml
            to_low = time_to_deliver(basal, now, self._expected_ml - level)
            to_empty = time_to_deliver(basal, now, self._expected_ml)
            low_at = now + to_low if math.isfinite(to_low) else None
            empty_at = now + to_empty if math.isfinite(to_empty) else None
        b = self.config.battery
        if self._eos_at is not None:
            return Projections(low_at, empty_at, self._eri_at, self._eos_at)
        if self._eri_at is not None:
            eri = self._eri_at
        else:
            avg = self._avg_drain_s
            by_charge = (self._charge_mah - b.eri_warning_s * avg) / avg
            by_age = b.life_cap_s - self._age_s - b.eri_warning_s
            eri = now + max(0.0, min(by_charge, by_age))
        return Projections(low_at, empty_at, eri, eri + b.eri_warning_s)

    def trend(self, start_s: float = 0.0, end_s: float | None = None) -> HourlyTrend:
        """Hourly delivered volume and dose, reservoir and battery between two times."""
        end = self._now if end_s is None else end_s
        if not (is_finite_number(start_s) and is_finite_number(end) and 0 <= start_s <= end):
            raise InvalidInputError(f"bad trend window {start_s!r}..{end!r}")
        knots = self._knots.matrix()
        now = np.array([self._knot_row()], dtype=np.float64)  # the stretch in progress ends now
        return hourly(np.vstack([knots, now]), self.library.names, start_s, end)

    def clone(self) -> Pump:
        """An independent copy (for what-if questions and tests of path independence)."""
        return copy.deepcopy(self)
