"""The one table from a programmer's command to what it does to a pump.

The firmware applies a live command through it, replays its journal through it after a restart,
and the scenario runner's model mode drives a bare `Pump` through it, so the three cannot drift
apart. Pure: a pump and a message in, a reply out; the model's own errors (PumpError) propagate,
and so does ValueError for a message the model cannot read. What belongs to the firmware and not
to the pump (its virtual time, sessions, staging ids) stays in handlers.py. The clock a clinic sets
is the pump's own: a schedule is written on it.

(The swarm's oracle, pumpsim_scenarios/swarm/oracle.py, deliberately does not use this table: it
is an independent witness of what the firmware should have done.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pumpsim
from firmware_protocol.wire import convert
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.limits import wire_violations
from pumpsim import Pump, TherapyProgram
from pumpsim.domain.propellant import Conditions

Apply = Callable[[Pump, Any, TherapyProgram | None], Any]


def review(pump: Pump, spec: m.ProgramSpec) -> tuple[m.ProgramReview, TherapyProgram | None]:
    """What staging shows the clinician: refusals, changes, doses and soft-limit warnings; the
    program itself when it may be confirmed (stage id 0: the caller numbers what it keeps)."""
    program = convert.program_from_spec(spec)
    violations = pump.validate(program) + wire_violations(program)
    old = pump.program
    mix = pump.status().mix
    warnings = () if violations else convert.warnings_to_specs(pump.soft_limit_warnings(program))
    reply = m.ProgramReview(
        0,
        not violations,
        convert.violations_to_specs(violations),
        convert.program_changes(old, program),
        convert.daily_doses(old, mix),
        convert.daily_doses(program, mix),
        warnings,
    )
    return reply, None if violations else program


def apply(pump: Pump, msg: Any, program: TherapyProgram | None = None) -> Any:
    """Carry out one pump-changing command and return its reply. `program` is what a
    ConfirmProgram confirms (the message names only its stage id)."""
    action = _TABLE.get(type(msg))
    if action is None:
        raise KeyError(f"{type(msg).__name__} does not change the pump")
    return action(pump, msg, program)


def changes_the_pump(msg: Any) -> bool:
    return type(msg) in _TABLE


def _confirm(pump: Pump, msg: m.ConfirmProgram, program: TherapyProgram | None) -> m.Done:
    if program is None:
        raise ValueError("nothing staged under that id")
    pump.set_program(program, override_soft_limits=msg.override_soft_limits)
    return m.Done(msg.txn, "program written")


def _bolus_reply(txn: int, b: pumpsim.ActiveBolus) -> m.BolusStarted:
    return m.BolusStarted(txn, str(b.kind), b.volume_ml, b.rate_ml_per_day, b.ends_at_s)


def _withdraw(pump: Pump, msg: m.RefillWithdraw, _: TherapyProgram | None) -> m.WithdrawResult:
    w = pump.withdraw_reservoir()
    return m.WithdrawResult(msg.txn, w.withdrawn_ml, w.expected_ml, w.tolerance_ml, str(w.verdict))


def _fill(pump: Pump, msg: m.RefillFill, _: TherapyProgram | None) -> m.FillResult:
    if len(msg.program) > 1:
        raise ValueError("at most one program")
    program = convert.program_from_spec(msg.program[0]) if msg.program else None
    too_long = () if program is None else wire_violations(program)
    if too_long:
        raise pumpsim.ProgramRejectedError(too_long)
    result = pump.fill_reservoir(
        msg.volume_ml,
        convert.mix_from_specs(msg.mix),
        program,
        msg.refill_due_at_s,
        override_soft_limits=msg.override_soft_limits,
    )
    bridge = result.bridge_offer
    offers = (
        ()
        if bridge is None
        else (m.BridgeSpec(bridge.volume_ml, bridge.rate_ml_per_day, bridge.duration_s),)
    )
    return m.FillResult(msg.txn, result.volume_ml, offers)


def _acknowledge(pump: Pump, msg: m.AcknowledgeAlarms, _: TherapyProgram | None) -> m.Done:
    kinds = None if not msg.kinds else [pumpsim.AlarmKind(k) for k in msg.kinds]
    cleared = pump.acknowledge_alarms(kinds)
    return m.Done(msg.txn, ",".join(str(a.kind) for a in cleared))


def _done(act: Callable[[Pump], object], text: str) -> Apply:
    def run(pump: Pump, msg: Any, _: TherapyProgram | None) -> m.Done:
        act(pump)
        return m.Done(msg.txn, text)

    return run


def _set_clock(pump: Pump, msg: m.SetClock, _: TherapyProgram | None) -> m.Done:
    pump.set_clock(msg.clock_offset_s)  # the steps of a schedule move with the clock
    return m.Done(msg.txn, "clock set")


def _fault(pump: Pump, msg: m.SimInjectFault, _: TherapyProgram | None) -> m.Done:
    pump.inject(convert.fault_from_json(msg.fault_json, pump.now_s))
    return m.Done(msg.txn, "fault scheduled")


def _attach_patient(pump: Pump, msg: m.SimAttachPatient, _: TherapyProgram | None) -> m.Done:
    pump.attach_cohort([convert.patient_from_spec(p) for p in msg.patients])
    return m.Done(msg.txn, f"{len(msg.patients)} patient(s) attached")


def _conditions(pump: Pump, msg: m.SimSetConditions, _: TherapyProgram | None) -> m.Done:
    pump.set_conditions(Conditions(msg.body_temperature_c, msg.ambient_pressure_kpa))
    return m.Done(msg.txn, "conditions set")


_TABLE: dict[type, Apply] = {
    m.ConfirmProgram: _confirm,
    m.ClinicianBolus: lambda p, msg, _: _bolus_reply(
        msg.txn, p.start_bolus(msg.volume_ml, msg.duration_s)
    ),
    m.PrimingBolus: lambda p, msg, _: _bolus_reply(msg.txn, p.start_priming_bolus(msg.volume_ml)),
    m.BridgeBolus: lambda p, msg, _: _bolus_reply(msg.txn, p.start_bridge_bolus()),
    m.CancelBolus: _done(Pump.cancel_bolus, "bolus cancelled"),
    m.PatientBolusRequest: lambda p, msg, _: m.PatientBolusResult(
        msg.txn, str(p.request_patient_bolus())
    ),
    m.RefillWithdraw: _withdraw,
    m.RefillFill: _fill,
    m.MriEnter: _done(Pump.enter_mri_safe_mode, "MRI-safe mode"),
    m.MriExit: _done(Pump.exit_mri_safe_mode, "MRI-safe mode ended"),
    m.AcknowledgeAlarms: _acknowledge,
    m.SetClock: _set_clock,
    m.SimInjectFault: _fault,
    m.SimAttachPatient: _attach_patient,
    m.SimSetConditions: _conditions,
}
