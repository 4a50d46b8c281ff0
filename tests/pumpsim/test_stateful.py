"""The pump's promises, checked over random sequences of everything a clinic and fate can do.

Rules are what users and faults do to the pump; invariants are what the device promises whatever
the sequence: volume is conserved, the reservoir stays within its walls, the battery never
recharges, patient boluses respect lockout and the 24-hour cap, nothing flows when it must not,
advancing time in one jump or in many small ones ends in the same state, and an alarm latches
exactly when its condition first holds (conditions here are judged from the public status, not
from the model's own bookkeeping).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from pumpsim import (
    AlarmKind,
    Continuous,
    LogKind,
    Mix,
    MotorStall,
    MriPhase,
    PatientBolusOutcome,
    Pump,
    PumpConfig,
    PumpError,
    Stopped,
    TherapyProgram,
)
from pumpsim.domain.program import average_rate_ml_per_day
from pumpsim.patient.profile import typical
from pumpsim.units import SECONDS_PER_DAY, days, hours

from strategies import DURATIONS, MIXES, faults, programs

MONOTONE = (
    AlarmKind.LOW_RESERVOIR,
    AlarmKind.EMPTY_RESERVOIR,
    AlarmKind.ELECTIVE_REPLACEMENT,
    AlarmKind.END_OF_SERVICE,
    AlarmKind.REFILL_DUE,
)
VOLUME_TOL = 1e-9


def conditions(pump: Pump) -> set[AlarmKind]:
    """Alarm conditions judged from what the device reports, independently of the model."""
    s = pump.status()
    out: set[AlarmKind] = set()
    if not s.refill_in_progress:
        if s.reservoir_ml <= s.program.low_reservoir_alarm_ml + VOLUME_TOL:
            out.add(AlarmKind.LOW_RESERVOIR)
        if s.reservoir_ml <= VOLUME_TOL:
            out.add(AlarmKind.EMPTY_RESERVOIR)
    if s.eri_at_s is not None:
        out.add(AlarmKind.ELECTIVE_REPLACEMENT)
    if s.end_of_service_at_s is not None:
        out.add(AlarmKind.END_OF_SERVICE)
    if s.refill_due_at_s is not None and s.at_s >= s.refill_due_at_s:
        out.add(AlarmKind.REFILL_DUE)
    return out


@dataclass(frozen=True)
class Grant:
    at_s: float
    lockout_s: float
    max_per_24h: int


def same_state(a: Pump, b: Pump) -> list[str]:
    """Differences between two pumps' observable state, beyond float tolerance."""
    sa, sb = a.status(), b.status()
    pa, pb = a.physical(), b.physical()
    diffs = []
    pairs = {
        "expected_ml": (sa.reservoir_ml, sb.reservoir_ml),
        "reservoir_ml": (pa.reservoir_ml, pb.reservoir_ml),
        "pumped_ml": (pa.pumped_ml, pb.pumped_ml),
        "delivered_ml": (pa.delivered_ml, pb.delivered_ml),
        "battery_mah": (sa.battery_mah, sb.battery_mah),
    }
    for drug in set(pa.delivered_mcg) | set(pb.delivered_mcg):
        pairs[f"mcg_{drug}"] = (pa.delivered_mcg.get(drug, 0.0), pb.delivered_mcg.get(drug, 0.0))
    for name, (x, y) in pairs.items():
        if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-7):
            diffs.append(f"{name}: {x!r} != {y!r}")
    ka = [(al.kind, round(al.raised_at_s, 3)) for al in sa.alarms]
    kb = [(al.kind, round(al.raised_at_s, 3)) for al in sb.alarms]
    if ka != kb:
        diffs.append(f"alarms {ka} != {kb}")
    diffs += _patient_differences(a, b)
    for attr in ("motor", "mri", "program", "eri_at_s", "end_of_service_at_s"):
        x, y = getattr(sa, attr), getattr(sb, attr)
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, abs_tol=1e-3):
                diffs.append(f"{attr}: {x!r} != {y!r}")
        elif x != y:
            diffs.append(f"{attr}: {x!r} != {y!r}")
    return diffs


def _patient_differences(a: Pump, b: Pump) -> list[str]:
    """The virtual patients: the same exposure and the same story, to float tolerance."""
    va, vb = a.patient(), b.patient()
    if va is None or vb is None:
        return [] if va is vb else [f"patient {va!r} != {vb!r}"]
    diffs = []
    for x, y in zip(va.exposures, vb.exposures, strict=True):
        if x.drug != y.drug or not math.isclose(x.exposure, y.exposure, rel_tol=1e-9, abs_tol=1e-9):
            diffs.append(f"exposure {x} != {y}")
    story_a = [(c.drug, c.sign, c.severity) for c in va.timeline]
    story_b = [(c.drug, c.sign, c.severity) for c in vb.timeline]
    if story_a != story_b:
        diffs.append(f"signs {story_a} != {story_b}")
    else:
        for p, q in zip(va.timeline, vb.timeline, strict=True):
            if not math.isclose(p.at_s, q.at_s, abs_tol=1e-3):
                diffs.append(f"sign time {p} != {q}")
    return diffs


class PumpMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.pump = Pump(PumpConfig(reservoir_capacity_ml=20.0))
        self.last_battery = self.pump.status().battery_mah
        self.grants: list[Grant] = []
        self.permanent_stall_from = math.inf

    @initialize(program=programs(), mix=MIXES, volume=st.floats(1.0, 20.0))
    def implant(self, program: TherapyProgram, mix: Mix, volume: float) -> None:
        try:
            self.pump.fill_reservoir(volume, mix, program)
        except PumpError:
            self.pump.fill_reservoir(volume, mix, TherapyProgram(Continuous(0.1)))
        try:
            self.pump.start_priming_bolus()
        except PumpError as e:
            note(f"priming refused: {e}")
        # A patient at the end of the catheter, stable on about what the program gives.
        rate = max(average_rate_ml_per_day(self.pump.program.basal), 0.05)
        baselines = {d.drug: d.mcg_per_ml * rate for d in self.pump.status().mix.components}
        if baselines:
            self.pump.attach_patient(typical(baselines))

    # ------------------------------------------------------------ helpers

    def unchanged_on_error(self, action: object) -> None:
        """Run `action`; if the pump refuses it, its whole observable state must be unchanged."""
        snapshot = self.pump.snapshot()  # restored only if needed: most commands succeed
        log_before = self.pump.log.next_index
        try:
            action()  # type: ignore[operator]
        except PumpError as e:
            note(f"refused: {e.code}")
            before = Pump.restore(snapshot)
            assert same_state(before, self.pump) == []
            assert self.pump.log.next_index == log_before
            assert self.pump.status() == before.status()

    def check_command_alarms(self, before: set[AlarmKind], latched: set[AlarmKind]) -> None:
        """After a command, a condition that newly holds has its alarm latched, raised now."""
        now = self.pump.now_s
        current = {a.kind: a for a in self.pump.alarms}
        for kind in conditions(self.pump) - before:
            if kind in latched:
                continue
            assert kind in current, f"{kind} holds but no alarm latched"
            assert current[kind].raised_at_s == now

    # -------------------------------------------------------------- rules

    @rule(dt=DURATIONS, pieces=st.integers(2, 40))
    def advance(self, dt: float, pieces: int) -> None:
        pump = self.pump
        t0 = pump.now_s
        t1 = t0 + dt
        # One snapshot, restored as often as a copy of the pump before the step is needed.
        snapshot = pump.snapshot()
        cond0 = conditions(pump)
        latched0 = {a.kind for a in pump.alarms}
        s0, p0 = pump.status(), pump.physical()
        frozen = (
            s0.end_of_service_at_s is not None
            or s0.mri is MriPhase.SCANNING
            or (
                isinstance(s0.program.basal, Stopped)
                and s0.active_bolus is None
                and s0.patient_bolus is None
            )
            or t0 >= self.permanent_stall_from
        )
        pump.advance(t1)
        if frozen:
            assert pump.physical().pumped_ml == p0.pumped_ml, "delivered while it must not"

        # Path independence: the same span in many uneven pieces ends in the same state.
        stepped = Pump.restore(snapshot)
        for k in range(1, pieces + 1):
            stepped.advance(t0 + dt * (k / pieces) ** 2)
        stepped.advance(t1)
        assert same_state(pump, stepped) == []
        one, many = pump.trend(t0, t1), stepped.trend(t0, t1)
        for column in ("delivered_ml", "reservoir_ml", "reservoir_expected_ml", "battery_mah"):
            a, b = getattr(one, column), getattr(many, column)
            assert np.allclose(a, b, rtol=1e-9, atol=1e-7), column

        # Alarms of monotone conditions latch exactly when the condition first holds.
        raised = [
            r
            for r in pump.log.since(s0.log_next_index)
            if r.kind is LogKind.ALARM_RAISED and r.details["alarm"] in MONOTONE
        ]
        cond1 = conditions(pump)
        for kind in cond1 - cond0:
            if kind in latched0:
                continue
            records = [r for r in raised if r.details["alarm"] == kind]
            assert records, f"{kind} first held in ({t0}, {t1}] but no alarm was raised"
            tau = records[0].at_s
            assert t0 <= tau <= t1
            if kind in (AlarmKind.LOW_RESERVOIR, AlarmKind.EMPTY_RESERVOIR) and tau - t0 > 1.0:
                probe = Pump.restore(snapshot)
                probe.advance(tau - 1.0)
                assert kind not in conditions(probe), f"{kind} already held 1 s before {tau}"
            probe = Pump.restore(snapshot)
            probe.advance(tau)
            assert kind in conditions(probe), f"{kind} raised at {tau} but not holding then"
        for r in raised:  # and never when the condition does not hold
            probe = Pump.restore(snapshot)
            probe.advance(r.at_s)
            assert AlarmKind(str(r.details["alarm"])) in conditions(probe), f"{r}: no condition"

    @rule(program=programs())
    def program(self, program: TherapyProgram) -> None:
        cond = conditions(self.pump)
        latched = {a.kind for a in self.pump.alarms}
        self.unchanged_on_error(lambda: self.pump.set_program(program))
        self.check_command_alarms(cond, latched)

    @rule(offset=st.floats(-days(400), days(400)) | st.sampled_from([math.nan, 1e12, -1e12]))
    def set_clock(self, offset: float) -> None:
        """A clock change moves a schedule's steps; one outside the calendar changes nothing."""
        self.unchanged_on_error(lambda: self.pump.set_clock(offset))
        if math.isfinite(offset) and abs(offset) < 1e11:
            assert self.pump.clock_offset_s == offset

    @rule(volume=st.floats(0.001, 2.0), duration=st.floats(60.0, hours(6)))
    def clinician_bolus(self, volume: float, duration: float) -> None:
        self.unchanged_on_error(lambda: self.pump.start_bolus(volume, duration))

    @rule()
    def cancel_bolus(self) -> None:
        self.unchanged_on_error(self.pump.cancel_bolus)

    @rule(repeat=st.integers(1, 5), gap=st.floats(0.0, hours(4)))
    def patient_requests(self, repeat: int, gap: float) -> None:
        for _ in range(repeat):
            settings = self.pump.program.patient_bolus
            outcome = self.pump.request_patient_bolus()
            if outcome is PatientBolusOutcome.GRANTED:
                assert settings is not None
                self.grants.append(Grant(self.pump.now_s, settings.lockout_s, settings.max_per_24h))
            self.pump.advance(self.pump.now_s + gap)

    @rule(volume=st.floats(0.5, 20.0), mix=MIXES, new_program=st.none() | programs())
    def refill(self, volume: float, mix: Mix, new_program: TherapyProgram | None) -> None:
        truth = self.pump.physical().reservoir_ml
        result = self.pump.withdraw_reservoir()
        assert result.withdrawn_ml == truth
        self.unchanged_on_error(lambda: self.pump.fill_reservoir(volume, mix, new_program))

    @rule()
    def bridge(self) -> None:
        self.unchanged_on_error(self.pump.start_bridge_bolus)

    @rule()
    def mri_enter(self) -> None:
        self.unchanged_on_error(self.pump.enter_mri_safe_mode)

    @rule()
    def mri_exit(self) -> None:
        self.unchanged_on_error(self.pump.exit_mri_safe_mode)

    @rule()
    def interrogate(self) -> None:
        self.pump.interrogate()

    @rule()
    def acknowledge(self) -> None:
        self.pump.acknowledge_alarms()
        assert self.pump.alarms == ()

    @precondition(lambda self: len(self.pump.faults) < 4)
    @rule(data=st.data())
    def fault(self, data: st.DataObject) -> None:
        fault = data.draw(faults(self.pump.now_s))
        self.pump.inject(fault)  # type: ignore[arg-type]
        if isinstance(fault, MotorStall) and fault.duration_s is None:
            self.permanent_stall_from = min(self.permanent_stall_from, fault.onset_s)

    # --------------------------------------------------------- invariants

    @invariant()
    def reservoir_within_walls(self) -> None:
        cap = self.pump.config.reservoir_capacity_ml
        assert 0.0 <= self.pump.physical().reservoir_ml <= cap
        assert 0.0 <= self.pump.status().reservoir_ml <= cap

    @invariant()
    def volume_is_conserved(self) -> None:
        p = self.pump.physical()
        assert abs(p.filled_ml - (p.reservoir_ml + p.pumped_ml + p.withdrawn_ml)) <= 1e-9
        assert math.isclose(p.pumped_ml, p.delivered_ml + p.misplaced_ml, abs_tol=1e-9)

    @invariant()
    def battery_never_rises(self) -> None:
        charge = self.pump.status().battery_mah
        assert charge <= self.last_battery
        assert charge >= 0.0
        self.last_battery = charge

    @invariant()
    def patient_limits_hold(self) -> None:
        for i, g in enumerate(self.grants):
            if i:
                assert g.at_s - self.grants[i - 1].at_s >= g.lockout_s - 1e-9
            window = [h for h in self.grants[: i + 1] if h.at_s > g.at_s - SECONDS_PER_DAY]
            assert len(window) <= g.max_per_24h

    @invariant()
    def delivered_dose_never_negative(self) -> None:
        p = self.pump.physical()
        assert all(v >= 0 for v in p.delivered_mcg.values())
        assert p.delivered_ml >= 0


TestPumpMachine = PumpMachine.TestCase
# Each step checks path independence on restored copies: half the profile's examples
# keep it under CI's per-test budget (the thorough profile still runs its full count).
TestPumpMachine.settings = settings(max_examples=max(30, settings().max_examples // 2))
