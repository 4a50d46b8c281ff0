"""The firmware and client end to end: what a programmer does, what the pump ends up holding."""

from __future__ import annotations

import dataclasses

import pytest
import serial

from firmware_protocol.client.pump_client import (
    AuthenticationError,
    DeviceError,
    OutcomeUncertainError,
    PumpClient,
    RequestTooLargeError,
)
from firmware_protocol.harness.pty_pump import SimulatedPump
from firmware_protocol.harness.simulated import SimulatedPump as VirtualPump
from firmware_protocol.line.field_faults import lose_command, lose_reply
from firmware_protocol.line.transport import LineFaults
from firmware_protocol.session.security import DeviceKey
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import Flags, Frame, FrameDecoder
from firmware_protocol.wire.messages import Role
from pumpsim import (
    Continuous,
    FlexibleSchedule,
    LogKind,
    Mix,
    MotorStall,
    SchedulePeriod,
    Step,
    TherapyProgram,
)
from pumpsim.units import days, hours

from builders import MORPHINE_10, day_night, patient_bolus
from protocol_helpers import bench


def _implant(client: PumpClient, program: TherapyProgram | None = None) -> None:
    client.refill_withdraw()
    client.refill_fill(20.0, MORPHINE_10, program or TherapyProgram(Continuous(0.5)))


def test_programming_session_end_to_end() -> None:
    with bench() as b:
        c = b.client()
        _implant(c)
        new = TherapyProgram(day_night(0.6, 0.3), patient_bolus())
        review = c.stage_program(new)
        assert review.accepted
        assert review.violations == ()
        assert {ch.field for ch in review.changes} >= {"mode", "steps[0].rate_ml_per_day"}
        assert review.new_daily[0].drug == "morphine"
        assert b.firmware.pump.program != new  # nothing written before confirmation
        c.confirm_program(review.stage_id)
        assert b.firmware.pump.program == new
        started = c.clinician_bolus(0.1, hours(1))
        assert started.kind == "clinician"
        assert b.firmware.pump.status().active_bolus is not None
        status = c.interrogate()
        assert status.bolus_kind == "clinician"
        assert status.program.mode == "flexible"
        assert status.reservoir_ml == pytest.approx(20.0)


def test_unsafe_program_is_refused_by_the_pump_itself() -> None:
    with bench() as b:
        c = b.client()
        _implant(c)
        review = c.stage_program(TherapyProgram(Continuous(2.0)))  # 20 mg/day of morphine
        assert not review.accepted
        assert [v.code for v in review.violations] == ["DAILY_DOSE_OVER_LIMIT"]
        # A programmer that skips staging and forges a confirmation still changes nothing.
        with pytest.raises(DeviceError) as err:
            c.confirm_program(review.stage_id or 12345)
        assert err.value.code == m.WireError.STAGE_UNKNOWN
        with pytest.raises(DeviceError) as err:
            c.clinician_bolus(1.5, hours(2))  # 15 mg on top of the basal
        assert err.value.code == "PROGRAM_REJECTED"
        assert [v.code for v in err.value.violations] == ["BOLUS_DOSE_OVER_LIMIT"]
        assert b.firmware.pump.program == TherapyProgram(Continuous(0.5))
        assert b.firmware.pump.status().active_bolus is None


def test_staging_follows_the_documented_state_machine() -> None:
    """docs/protocol.md, section 5: a refused staging drops what was staged; staging again
    replaces it; only the last staged id confirms, once."""
    with bench() as b:
        c = b.client()
        _implant(c)
        first = c.stage_program(TherapyProgram(Continuous(0.4)))
        assert first.accepted
        refused = c.stage_program(TherapyProgram(Continuous(2.0)))
        assert not refused.accepted
        with pytest.raises(DeviceError) as err:
            c.confirm_program(first.stage_id)
        assert err.value.code == m.WireError.STAGE_UNKNOWN
        older = c.stage_program(TherapyProgram(Continuous(0.4)))
        newer = c.stage_program(TherapyProgram(Continuous(0.6)))
        with pytest.raises(DeviceError) as err:
            c.confirm_program(older.stage_id)
        assert err.value.code == m.WireError.STAGE_UNKNOWN
        c.confirm_program(newer.stage_id)
        assert b.firmware.pump.program == TherapyProgram(Continuous(0.6))
        with pytest.raises(DeviceError) as err:
            c.confirm_program(newer.stage_id)  # a new transaction, not a retransmission
        assert err.value.code == m.WireError.STAGE_UNKNOWN


def test_a_retransmitted_command_is_applied_once() -> None:
    with bench() as b:
        c = b.client()
        _implant(c, TherapyProgram(Continuous(0.3), patient_bolus(0.01, 0.5, 10)))
        request = m.PatientBolusRequest(c.new_txn())
        first = c.request(request)
        second = c.request(request)  # the same transaction id again
        assert first == second
        assert first.outcome == "granted"
        granted = b.firmware.pump.log.of_kind(LogKind.PATIENT_BOLUS_GRANTED)
        assert len(granted) == 1
        assert b.firmware.stats.replayed_txns == 1
        with pytest.raises(DeviceError) as err:
            c.request(m.ClinicianBolus(request.txn, 0.1, 3600.0))  # same id, other command
        assert err.value.code == m.WireError.TXN_REUSED


def test_roles_are_enforced_by_the_firmware() -> None:
    with bench() as b:
        clinician = b.client()
        _implant(clinician, TherapyProgram(Continuous(0.3), patient_bolus()))
        clinician.close()
        patient = b.client(Role.PATIENT)
        assert patient.patient_bolus() == "granted"
        status = patient.read_status()
        assert status.reservoir_ml > 0
        for call in (
            lambda: patient.stage_program(TherapyProgram(Continuous(0.2))),
            lambda: patient.clinician_bolus(0.01, 600.0),
            lambda: patient.refill_withdraw(),
            lambda: patient.sim_advance(60.0),
            lambda: patient.read_log(),
        ):
            with pytest.raises(DeviceError) as err:
                call()
            assert err.value.code == m.WireError.ROLE_FORBIDDEN
        patient.close()
        clinician = b.client()
        with pytest.raises(DeviceError) as err:
            clinician.sim_advance(60.0)
        assert err.value.code == m.WireError.ROLE_FORBIDDEN
        assert b.firmware.pump.program.basal == Continuous(0.3)


def test_simulator_role_exists_only_when_enabled() -> None:
    with bench(simulator=False) as b:
        with pytest.raises(AuthenticationError) as err:
            b.client(Role.SIMULATOR)
        assert err.value.code == m.WireError.SIMULATOR_DISABLED


def test_wrong_key_fails_and_repeated_failures_back_off() -> None:
    with bench() as b:
        good = b.keys[Role.CLINICIAN]
        forged = dataclasses.replace(good, key=bytes(32))
        codes = []
        for _ in range(4):
            with pytest.raises(AuthenticationError) as err:
                b.client(key=forged, handshake_timeout_s=2.0)
            codes.append(err.value.code)
        assert codes[:3] == ["PUMP_NOT_AUTHENTIC"] * 3  # we refuse the pump's proof first
        stranger = DeviceKey(good.pump_id, "stranger", Role.CLINICIAN, bytes(32))
        for _ in range(3):
            with pytest.raises(AuthenticationError) as err:
                b.client(key=stranger, handshake_timeout_s=2.0)
        assert err.value.code in {"AUTH_FAILED", "AUTH_BACKOFF"}
        assert err.value.retry_after_s > 0
        assert b.firmware.stats.auth_failures >= 3


def test_a_key_paired_with_another_pump_is_told_at_once_by_the_pumps_challenge() -> None:
    with bench() as b:
        good = b.keys[Role.CLINICIAN]
        elsewhere = dataclasses.replace(good, pump_id="SIM-ELSEWHERE")
        with pytest.raises(AuthenticationError) as err:
            b.client(key=elsewhere, handshake_timeout_s=600.0)  # no timeout waited out
        assert err.value.code == "WRONG_PUMP"
        assert good.pump_id in str(err.value)
        assert "SIM-ELSEWHERE" in str(err.value)
        assert b.client().read_status().pump_id == good.pump_id  # the right key still connects


def test_unauthenticated_and_forged_frames_change_nothing() -> None:
    with bench() as b:
        c = b.client()
        _implant(c)
        before = b.firmware.pump.status()
        # A command sent in clear text, as an unauthenticated attacker would.
        bolus = m.ClinicianBolus(1, 0.1, 3600.0)
        plain = Frame(Flags.DATA, 0, 0, 0, 0, m.SPECS[m.ClinicianBolus].code, codec.encode(bolus))
        b.programmer_port.write(plain.encode())
        # A sealed frame with a flipped ciphertext bit (and a CRC recomputed to match).
        assert c.channel.cipher is not None
        sealed = c.channel.cipher.seal(
            Frame(Flags.DATA | Flags.ACK, 0, 0, 5, 0, plain.msg_type, codec.encode(bolus))
        )
        tampered = dataclasses.replace(
            sealed, payload=bytes([sealed.payload[0] ^ 1]) + sealed.payload[1:]
        )
        b.programmer_port.write(tampered.encode())
        decoder = FrameDecoder()
        replies = []
        b.advance(0.5)  # time for the pump to answer on the line
        replies += decoder.feed(b.programmer_port.read(4096))
        errors = [
            codec.decode(m.ErrorReply, f.payload) for f in replies if not f.flags & Flags.SECURE
        ]
        assert [e.code for e in errors] == [m.WireError.NOT_AUTHENTICATED]
        assert c.read_status().bolus_kind == ""
        assert b.firmware.pump.status() == before
        assert b.firmware.pump.log.of_kind(LogKind.BOLUS_STARTED) == ()
        session = b.firmware.sessions.session
        assert session is not None
        assert session.cipher.stats.forged == 1


def test_refill_mri_alarms_and_log_over_the_link() -> None:
    with bench() as b:
        c = b.client(Role.SIMULATOR)
        _implant(c, TherapyProgram(Continuous(0.5)))
        c.sim_advance(days(37))
        status = c.read_status()
        assert [a.kind for a in status.alarms] == ["low_reservoir"]
        assert status.projected_empty_at_s is not None
        withdraw = c.refill_withdraw()
        assert withdraw.verdict == "within_tolerance"
        assert withdraw.withdrawn_ml == pytest.approx(1.5, abs=1e-6)
        fill = c.refill_fill(20.0, Mix.of(morphine=5_000.0), TherapyProgram(Continuous(0.5)))
        assert len(fill.bridge) == 1
        assert fill.bridge[0].rate_ml_per_day == pytest.approx(0.5)
        c.acknowledge_alarms()
        assert c.read_status().alarms == ()
        c.mri_enter()
        assert c.read_status().mri == "scanning"
        c.sim_advance(hours(1))
        c.mri_exit()
        c.sim_advance(hours(3))
        assert c.interrogate().mri == "off"
        seen: list[tuple[int, int]] = []
        log = c.read_log(progress=lambda n, total: seen.append((n, total)))
        assert seen[-1] == (len(log.records), len(log.records))
        kinds = [r.kind for r in log.records]
        assert kinds.count("mri_entered") == 1
        assert "motor_stall_recovery" in kinds
        assert log.next_index == b.firmware.pump.log.next_index
        assert [r.index for r in log.records] == list(range(log.first_index, log.next_index))
        tail = c.read_log(since_index=log.next_index - 2)
        assert [r.index for r in tail.records] == [log.next_index - 2, log.next_index - 1]


def test_trend_download_matches_the_model() -> None:
    with bench() as b:
        c = b.client(Role.SIMULATOR)
        _implant(c, TherapyProgram(day_night(0.72, 0.24)))
        c.sim_advance(days(60))
        progress: list[tuple[int, int]] = []
        trend = c.read_trend(0.0, days(60), progress=lambda n, total: progress.append((n, total)))
        model = b.firmware.pump.trend(0.0, days(60))
        assert len(trend.delivered_ml) == len(model) == 24 * 60
        assert trend.delivered_ml.tolist() == model.delivered_ml.tolist()
        assert trend.delivered_mcg["morphine"].tolist() == model.delivered_mcg["morphine"].tolist()
        assert len(progress) > 1  # a bulk transfer in several chunks
        assert progress[-1] == (24 * 60, 24 * 60)
        assert [n for n, _ in progress] == sorted(n for n, _ in progress)


def test_fault_injection_and_ground_truth() -> None:
    with bench() as b:
        c = b.client(Role.SIMULATOR)
        _implant(c)
        c.sim_inject_fault(MotorStall(onset_s=b.firmware.pump.now_s + hours(1)))
        c.sim_inject_fault('{"kind": "CatheterOcclusion", "in_s": 7200, "delivered_fraction": 0.5}')
        with pytest.raises(DeviceError) as err:
            c.sim_inject_fault('{"kind": "Gremlins", "in_s": 0}')
        assert err.value.code == m.WireError.MALFORMED_MESSAGE
        c.sim_advance(hours(3))
        status = c.read_status()
        assert status.motor == "stalled"
        assert [a.kind for a in status.alarms] == ["motor_stall"]
        truth = c.sim_truth()
        assert truth.flow_factor == pytest.approx(0.5)


def test_lost_command_is_reported_uncertain_then_resolved_as_not_applied() -> None:
    with bench(faults=(LineFaults(), LineFaults())) as b:
        port = b.programmer_port
        c = b.client(reply_timeout_s=3.0)
        _implant(c, TherapyProgram(Continuous(0.3), patient_bolus()))  # commands 1 and 2
        lose_command(port, 1)  # type: ignore[arg-type]
        with pytest.raises(OutcomeUncertainError) as err:
            c.patient_bolus()
        uncertain = err.value
        c.reconnect()
        assert c.resolve(uncertain) is None  # the pump never acted
        assert b.firmware.pump.log.of_kind(LogKind.PATIENT_BOLUS_GRANTED) == ()
        assert c.retry(uncertain).outcome == "granted"  # same id, now applied once
        assert len(b.firmware.pump.log.of_kind(LogKind.PATIENT_BOLUS_GRANTED)) == 1


def test_lost_reply_is_reported_uncertain_then_resolved_as_applied() -> None:
    with bench(faults=(LineFaults(), LineFaults())) as b:
        port = b.programmer_port
        c = b.client(reply_timeout_s=3.0)
        _implant(c, TherapyProgram(Continuous(0.3), patient_bolus()))
        lose_reply(port, 1)  # type: ignore[arg-type]
        with pytest.raises(OutcomeUncertainError) as err:
            c.patient_bolus()
        c.reconnect()
        resolved = c.resolve(err.value)
        assert resolved is not None
        assert resolved.outcome == "granted"
        assert c.retry(err.value).outcome == "granted"  # answered from the store
        assert len(b.firmware.pump.log.of_kind(LogKind.PATIENT_BOLUS_GRANTED)) == 1


def test_restart_restores_everything_acknowledged() -> None:
    with bench() as b:
        c = b.client(Role.SIMULATOR)
        _implant(c, TherapyProgram(day_night(), patient_bolus()))
        c.clinician_bolus(0.05, hours(1))
        c.sim_advance(days(3))
        c.patient_bolus()
        c.sim_inject_fault(MotorStall(onset_s=b.firmware.pump.now_s + days(1), duration_s=3600.0))
        before = b.firmware.pump.clone()
        b.restart()
        after = b.firmware.pump
        assert after.program == before.program
        assert after.status().reservoir_ml == pytest.approx(before.status().reservoir_ml)
        assert [r.kind for r in after.log] == [r.kind for r in before.log]
        assert after.faults == before.faults
        c2 = b.client(Role.SIMULATOR)
        assert c2.read_status().at_s == pytest.approx(before.now_s)


def test_end_to_end_over_a_real_pty(simulated_pump: SimulatedPump) -> None:
    c = simulated_pump.client(Role.CLINICIAN)
    assert isinstance(c.port, serial.Serial)
    _implant(c)
    status = c.interrogate()
    assert status.reservoir_ml == pytest.approx(20.0, abs=0.01)
    assert status.pump_id == simulated_pump.firmware.keys.pump_id
    log = c.read_log()
    assert "reservoir_filled" in [r.kind for r in log.records]


def test_the_virtual_pump_fixture_answers_like_a_serial_port(virtual_pump: VirtualPump) -> None:
    port = virtual_pump.port
    port.timeout = 0.5
    key = virtual_pump.keys[Role.CLINICIAN]
    client = PumpClient(port, key, monotonic=virtual_pump.monotonic)
    assert client.connect().role == "clinician"
    assert client.interrogate().pump_id == key.pump_id
    assert port.read(1) == b""  # nothing more to read: virtual time passed, no wall time


def _week_of(steps: int) -> TherapyProgram:
    length = 7 * 86400.0 / steps
    return TherapyProgram(
        FlexibleSchedule(
            tuple(Step(k * length, length, 0.1 + (k % 24) / 1000) for k in range(steps)),
            SchedulePeriod.WEEKLY,
        )
    )


def test_a_schedule_too_long_for_the_wire_is_refused_with_a_code() -> None:
    """150 weekly steps are valid to the model, but a Status carrying them might not fit a frame:
    the pump refuses them at review and in a fill with TOO_MANY_STEPS. 168 do not fit a request
    at all: the client refuses before anything is sent. The session goes on either way."""
    with bench() as b:
        c = b.client()
        _implant(c)
        review = c.stage_program(_week_of(150))
        assert not review.accepted
        assert [v.code for v in review.violations] == ["TOO_MANY_STEPS"]
        c.refill_withdraw()
        with pytest.raises(DeviceError) as err:
            c.refill_fill(20.0, MORPHINE_10, _week_of(150))
        assert [v.code for v in err.value.violations] == ["TOO_MANY_STEPS"]
        with pytest.raises(RequestTooLargeError, match="too many steps"):
            c.refill_fill(20.0, MORPHINE_10, _week_of(168))
        c.refill_fill(20.0, MORPHINE_10, _week_of(140))
        assert len(c.read_status().program.steps) == 140


def test_a_long_schedule_change_is_reviewed_within_one_frame() -> None:
    """140 weekly steps changed one by one list more changes than a frame holds: the review
    keeps its verdict, says how many changes it left out, and the program is written."""
    with bench() as b:
        c = b.client()
        _implant(c, _week_of(140))
        basal = _week_of(140).basal
        assert isinstance(basal, FlexibleSchedule)
        new = TherapyProgram(
            FlexibleSchedule(
                tuple(dataclasses.replace(s, rate_ml_per_day=0.3) for s in basal.steps),
                SchedulePeriod.WEEKLY,
            )
        )
        review = c.stage_program(new)
        assert review.accepted
        assert review.changes[-1].new.endswith("more changes")
        c.confirm_program(review.stage_id)
        assert b.firmware.pump.program == new
