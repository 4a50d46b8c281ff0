"""What the firmware does with each request: reads, staging, and the commands that change the pump.

Every command goes through the model's own validation (whoever sends it) and returns its reply with
the journal entry that makes it durable; the firmware commits both before the reply leaves.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Protocol

from firmware_protocol.device import dispatch
from firmware_protocol.device.bulk import description_chunks, fit_review, log_chunks, trend_chunks
from firmware_protocol.device.clock import SimClock
from firmware_protocol.device.journal import journal_entry
from firmware_protocol.device.log_chain import LogChain
from firmware_protocol.device.reject import RejectError
from firmware_protocol.device.store import NvStore
from firmware_protocol.session.handshake import Session
from firmware_protocol.session.security import PumpKeys
from firmware_protocol.wire import codec, convert
from firmware_protocol.wire import messages as m
from pumpsim import NoProgramOnThisPumpError, Pump


class Device(Protocol):
    """The part of the firmware a handler sees."""

    pump: Pump
    store: NvStore
    clock: SimClock
    keys: PumpKeys
    simulator: bool
    log_chain: LogChain

    def commit(self, op: str | None, args: dict[str, Any] | None) -> None: ...

    def tick(self) -> None: ...

    def new_stage_id(self) -> int: ...


def status(fw: Device) -> m.Status:
    pump = fw.pump
    st = pump.status()
    proj = pump.projections()
    log = pump.log
    return m.Status(
        at_s=st.at_s,
        pump_id=fw.keys.pump_id,
        variant=str(st.variant),
        program=convert.program_to_spec(st.program),
        mix=convert.mix_to_specs(st.mix),
        reservoir_ml=st.reservoir_ml,
        reservoir_capacity_ml=st.reservoir_capacity_ml,
        commanded_rate_ml_per_day=st.commanded_rate_ml_per_day,
        bolus_kind=str(st.active_bolus.kind) if st.active_bolus else "",
        bolus_ends_at_s=st.active_bolus.ends_at_s if st.active_bolus else None,
        patient_bolus_ends_at_s=st.patient_bolus.ends_at_s if st.patient_bolus else None,
        motor=str(st.motor),
        mri=str(st.mri),
        battery_mah=st.battery_mah,
        battery_capacity_mah=st.battery_capacity_mah,
        eri_at_s=st.eri_at_s,
        end_of_service_at_s=st.end_of_service_at_s,
        alarms=tuple(m.AlarmSpec(str(a.kind), str(a.severity), a.raised_at_s) for a in st.alarms),
        refill_in_progress=st.refill_in_progress,
        last_interrogated_at_s=st.last_interrogated_at_s,
        refill_due_at_s=st.refill_due_at_s,
        projected_low_reservoir_at_s=proj.low_reservoir_at_s,
        projected_empty_at_s=proj.empty_at_s,
        projected_eri_at_s=proj.eri_at_s,
        log_first_index=log.first_index,
        log_next_index=log.next_index,
        log_overflow=log.overflow_count,
        clock_offset_s=fw.pump.clock_offset_s,
        acceleration=fw.clock.acceleration,
        paused=fw.clock.paused,
        simulator_available=fw.simulator,
        patient_bolus_next_at_s=st.patient_bolus_next_at_s,
        patient_boluses_left_24h=min(255, st.patient_boluses_left_24h),
    )


def read(fw: Device, s: Session, msg: Any) -> list[Any]:
    """Requests that change nothing (interrogation aside, which costs battery and is logged)."""
    if isinstance(msg, m.Ping):
        return [m.Pong(msg.token, fw.pump.now_s)]
    if isinstance(msg, m.ReadStatus):
        return [status(fw)]
    if isinstance(msg, m.ReadDescription):
        return description_chunks(fw.pump)
    if isinstance(msg, m.Interrogate):
        fw.pump.interrogate()
        fw.commit("interrogate", {})
        return [status(fw)]
    if isinstance(msg, m.ReadLog):
        return log_chunks(fw.pump, msg)
    if isinstance(msg, m.ReadLogSeal):
        return [fw.log_chain.seal_of(fw.pump, msg)]
    if isinstance(msg, m.ReadTrend):
        return trend_chunks(fw.pump, msg)
    if isinstance(msg, m.StageProgram):
        return [stage(fw, s, msg)]
    if isinstance(msg, m.TxnQuery):
        stored = fw.store.txn(msg.txn)
        if stored is None:
            return [m.TxnStatus(msg.txn, False, 0, b"")]
        # Stored as this pump speaks now; said again as the asking session speaks.
        reply = codec.decode(m.MESSAGES[stored.response_type], stored.response)
        response = codec.encode(reply, s.version)
        return [m.TxnStatus(msg.txn, True, stored.response_type, response)]
    if isinstance(msg, m.SimTruthRequest):
        p = fw.pump.physical()
        return [
            m.SimTruth(
                p.at_s,
                p.reservoir_ml,
                p.filled_ml,
                p.withdrawn_ml,
                p.pumped_ml,
                p.delivered_ml,
                p.misplaced_ml,
                p.pocket_ml,
                tuple(m.DoseSpec(d, v) for d, v in p.delivered_mcg.items()),
                p.flow_factor,
                p.dislodged,
                fw.pump.conditions.body_temperature_c,
                fw.pump.conditions.ambient_pressure_kpa,
            )
        ]
    if isinstance(msg, m.SimPatientRequest):
        pump = fw.pump
        count = len(pump.patients())
        return [convert.patient_report(pump.patient(msg.index), msg.index, count, pump.now_s)]
    raise RejectError(m.WireError.UNKNOWN_MESSAGE, f"no handler for {type(msg).__name__}")


def stage(fw: Device, s: Session, msg: m.StageProgram) -> m.ProgramReview:
    """Validate and diff a program; keep it staged for this session until confirmed."""
    if fw.pump.config.is_constant_flow:
        raise NoProgramOnThisPumpError(
            "a constant-flow pump takes no program: its dose changes only by refilling with "
            "another concentration"
        )
    try:
        review, program = dispatch.review(fw.pump, msg.program)
    except (ValueError, TypeError) as e:
        raise RejectError(m.WireError.MALFORMED_MESSAGE, str(e)) from None
    if program is None:
        s.staged = {}  # what was staged before is no longer what the clinician is looking at
        return fit_review(review)
    stage_id = fw.new_stage_id()
    s.staged = {stage_id: program}  # staging again replaces what was staged
    return fit_review(dataclasses.replace(review, stage_id=stage_id))


def mutate(fw: Device, s: Session, msg: Any) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
    """Apply one command to the model; return the reply and the journal entry.

    A pump-changing command is journalled as the request itself (and, for a confirmation, the
    program it confirmed), so a restart replays it through the same table."""
    if isinstance(msg, m.SetClock):
        reply = dispatch.apply(fw.pump, msg)  # the pump's clock, checked and logged by it
        return reply, journal_entry(msg, None)
    if not dispatch.changes_the_pump(msg):
        return _simulate(fw, msg)
    program = None
    if isinstance(msg, m.ConfirmProgram):
        program = s.staged.get(msg.stage_id)
        if program is None:
            raise RejectError(m.WireError.STAGE_UNKNOWN, "nothing staged under that id")
    reply = dispatch.apply(fw.pump, msg, program)
    if isinstance(msg, m.ConfirmProgram):
        s.staged = {}
    return reply, journal_entry(msg, program)


def _simulate(fw: Device, msg: Any) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
    if isinstance(msg, m.SimAdvance):
        if not (math.isfinite(msg.seconds) and msg.seconds >= 0):
            raise RejectError(m.WireError.MALFORMED_MESSAGE, "seconds must be >= 0")
        fw.clock.jump(msg.seconds)  # committed with the transaction, like every change
        fw.tick()
        return m.Done(msg.txn, f"advanced to {fw.pump.now_s:.0f} s"), None
    if isinstance(msg, m.SimSetSpeed):
        try:
            fw.clock.set_speed(msg.acceleration, msg.paused)
        except ValueError as e:
            raise RejectError(m.WireError.MALFORMED_MESSAGE, str(e)) from None
        return m.Done(msg.txn, "speed set"), None
    raise RejectError(m.WireError.UNKNOWN_MESSAGE, f"no handler for {type(msg).__name__}")
