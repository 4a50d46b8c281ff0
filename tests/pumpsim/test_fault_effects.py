"""Each fault's observable effect, and what the device itself can and cannot notice."""

from __future__ import annotations

import math

import pytest

from pumpsim import (
    AlarmKind,
    CatheterDislodgement,
    CatheterOcclusion,
    Continuous,
    FaultRejectedError,
    InvalidInputError,
    LogKind,
    LowBatteryReset,
    MemoryReset,
    MotorStall,
    MotorState,
    OverInfusionDrift,
    PocketFill,
    PrematureEri,
    PumpConfig,
    RefillVerdict,
    Stopped,
    TipGranuloma,
)
from pumpsim.units import days, hours

from builders import MORPHINE_10, continuous, filled_pump


def alarm_kinds(pump: object) -> list[AlarmKind]:
    return [a.kind for a in pump.alarms]  # type: ignore[attr-defined]


def test_partial_occlusion_delivers_a_fraction_and_the_pump_cannot_tell() -> None:
    pump = filled_pump(continuous(1.0))
    t0 = pump.now_s
    pump.inject(CatheterOcclusion(onset_s=t0, delivered_fraction=0.4))
    before = pump.physical()
    expected_before = pump.status().reservoir_ml
    pump.advance(t0 + days(5))
    after = pump.physical()
    assert after.delivered_ml - before.delivered_ml == pytest.approx(0.4 * 5.0)
    assert expected_before - pump.status().reservoir_ml == pytest.approx(5.0)  # its reckoning
    assert alarm_kinds(pump) == []
    verdict = pump.withdraw_reservoir()
    assert verdict.verdict is RefillVerdict.UNDER_INFUSION_SUSPECTED
    assert verdict.discrepancy_ml == pytest.approx(0.6 * 5.0)
    assert AlarmKind.OCCLUSION_SUSPECTED in alarm_kinds(pump)


def test_total_occlusion_delivers_nothing() -> None:
    pump = filled_pump(continuous(1.0))
    pump.inject(CatheterOcclusion(onset_s=pump.now_s, delivered_fraction=0.0))
    before = pump.physical().delivered_ml
    pump.advance(pump.now_s + days(3))
    assert pump.physical().delivered_ml == before
    assert pump.motor_state() is MotorState.RUNNING  # the rotor turns; nothing gets through


def test_back_pressure_sensor_suspects_the_occlusion_when_fitted() -> None:
    pump = filled_pump(continuous(1.0), config=PumpConfig(back_pressure_sensor=True))
    onset = pump.now_s + hours(2)
    pump.inject(CatheterOcclusion(onset_s=onset, delivered_fraction=0.3))
    pump.advance(onset + 1.0)
    alarms = {a.kind: a.raised_at_s for a in pump.alarms}
    assert alarms[AlarmKind.OCCLUSION_SUSPECTED] == pytest.approx(onset)


def test_granuloma_chokes_flow_in_steps() -> None:
    pump = filled_pump(continuous(1.0))
    t0 = pump.now_s
    pump.inject(TipGranuloma(onset_s=t0, growth_s=days(10), final_fraction=0.0, steps=10))
    d0 = pump.physical().delivered_ml
    pump.advance(t0 + days(10))
    grown = pump.physical().delivered_ml - d0
    assert 0.0 < grown < 10.0
    # The first step comes a tenth of the growth after onset: 1.0 + 0.9 + ... + 0.1 mL.
    assert grown == pytest.approx(sum(1.0 - k / 10 for k in range(10)))
    assert pump.physical().occlusion_fraction == pytest.approx(0.0)
    d1 = pump.physical().delivered_ml
    pump.advance(t0 + days(12))
    assert pump.physical().delivered_ml == pytest.approx(d1)


def test_dislodged_catheter_misplaces_the_drug_and_refill_looks_normal() -> None:
    pump = filled_pump(continuous(1.0))
    pump.inject(CatheterDislodgement(onset_s=pump.now_s))
    before = pump.physical()
    pump.advance(pump.now_s + days(4))
    after = pump.physical()
    assert after.delivered_ml == before.delivered_ml
    assert after.misplaced_ml - before.misplaced_ml == pytest.approx(4.0)
    assert after.misplaced_mcg["morphine"] == pytest.approx(4.0 * 10_000.0)
    assert alarm_kinds(pump) == []
    assert pump.withdraw_reservoir().verdict is RefillVerdict.WITHIN_TOLERANCE


def test_transient_motor_stall_alarms_stops_and_recovers() -> None:
    pump = filled_pump(continuous(1.0))
    onset = pump.now_s + hours(1)
    pump.inject(MotorStall(onset_s=onset, duration_s=hours(6)))
    pump.advance(onset + hours(3))
    assert pump.motor_state() is MotorState.STALLED
    assert {a.kind: a.raised_at_s for a in pump.alarms} == {AlarmKind.MOTOR_STALL: onset}
    pumped = pump.physical().pumped_ml
    pump.advance(onset + hours(6))
    assert pump.physical().pumped_ml == pytest.approx(pumped)  # nothing while stalled
    pump.advance(onset + hours(12))
    assert pump.motor_state() is MotorState.RUNNING
    assert pump.physical().pumped_ml == pytest.approx(pumped + 0.25)
    kinds = [
        r.kind for r in pump.log if r.kind in (LogKind.MOTOR_STALL, LogKind.MOTOR_STALL_RECOVERY)
    ]
    assert kinds == [LogKind.MOTOR_STALL, LogKind.MOTOR_STALL_RECOVERY]


def test_permanent_motor_stall_never_recovers() -> None:
    pump = filled_pump(continuous(1.0))
    pump.inject(MotorStall(onset_s=pump.now_s))
    pumped = pump.physical().pumped_ml
    pump.advance(pump.now_s + days(30))
    assert pump.physical().pumped_ml == pumped
    assert pump.motor_state() is MotorState.STALLED
    assert pump.log.of_kind(LogKind.MOTOR_STALL_RECOVERY) == ()


def test_premature_eri_then_end_of_service_ninety_days_later() -> None:
    pump = filled_pump(continuous(0.1), volume_ml=40.0)
    onset = pump.now_s + days(1)
    pump.inject(PrematureEri(onset_s=onset))
    pump.advance(onset + 1.0)
    assert pump.status().eri_at_s == pytest.approx(onset)
    assert AlarmKind.ELECTIVE_REPLACEMENT in alarm_kinds(pump)
    pump.advance(onset + days(89))
    assert pump.status().end_of_service_at_s is None
    pump.advance(onset + days(91))
    assert pump.status().end_of_service_at_s == pytest.approx(onset + days(90))
    assert pump.motor_state() is MotorState.END_OF_SERVICE
    pumped = pump.physical().pumped_ml
    pump.advance(onset + days(120))
    assert pump.physical().pumped_ml == pumped


def test_low_battery_reset_falls_to_the_minimum_rate() -> None:
    pump = filled_pump(continuous(1.0))
    pump.inject(LowBatteryReset(onset_s=pump.now_s + hours(1)))
    pump.advance(pump.now_s + hours(2))
    assert pump.program.basal == Continuous(pump.config.min_rate_ml_per_day)
    assert AlarmKind.LOW_BATTERY_RESET in alarm_kinds(pump)
    assert pump.log.of_kind(LogKind.LOW_BATTERY_RESET)


def test_over_infusion_drift_runs_the_reservoir_dry_unannounced() -> None:
    pump = filled_pump(continuous(1.0), volume_ml=10.0)
    pump.inject(OverInfusionDrift(onset_s=pump.now_s, final_factor=1.5, ramp_s=days(1), steps=1))
    pump.advance(pump.now_s + days(7.5))
    truth = pump.physical()
    assert truth.reservoir_ml == pytest.approx(0.0, abs=1e-9)  # really empty
    assert pump.status().reservoir_ml > pump.program.low_reservoir_alarm_ml  # it thinks not
    assert alarm_kinds(pump) == []  # so no low or empty alarm: the hazard the domain warns of
    verdict = pump.withdraw_reservoir()
    assert verdict.verdict is RefillVerdict.OVER_INFUSION_SUSPECTED


def test_pocket_fill_puts_the_drug_outside_the_reservoir() -> None:
    pump = filled_pump(continuous(0.5))
    pump.inject(PocketFill(onset_s=pump.now_s))
    pump.withdraw_reservoir()
    pump.fill_reservoir(20.0, MORPHINE_10)
    assert pump.status().reservoir_ml == pytest.approx(20.0)  # the clinician believes it
    truth = pump.physical()
    assert truth.reservoir_ml == 0.0
    assert truth.pocket_ml == 20.0
    assert truth.pocket_mcg["morphine"] == pytest.approx(200_000.0)
    pump.withdraw_reservoir()
    pump.fill_reservoir(20.0, MORPHINE_10)  # only the next fill was affected
    assert pump.physical().reservoir_ml == 20.0


def test_memory_reset_reboots_into_a_stopped_pump() -> None:
    pump = filled_pump(continuous(0.5))
    pump.start_bolus(0.05, hours(1))
    pump.inject(MemoryReset(onset_s=pump.now_s + 60.0))
    pump.advance(pump.now_s + 120.0)
    assert isinstance(pump.program.basal, Stopped)
    assert pump.status().active_bolus is None
    assert AlarmKind.MEMORY_ERROR in alarm_kinds(pump)
    assert pump.log.of_kind(LogKind.PUMP_RESET)
    pumped = pump.physical().pumped_ml
    pump.advance(pump.now_s + days(1))
    assert pump.physical().pumped_ml == pumped


def test_records_lost_stop_the_pump_and_say_which_in_its_log() -> None:
    """`Pump.memory_lost`: what the firmware calls when its memory lost acknowledged records."""
    pump = filled_pump(continuous(0.5))
    pump.start_bolus(0.05, hours(1))
    pump.memory_lost("acknowledged records lost: entry 7")
    assert isinstance(pump.program.basal, Stopped)
    assert pump.status().active_bolus is None
    assert AlarmKind.MEMORY_ERROR in alarm_kinds(pump)
    (reset,) = pump.log.of_kind(LogKind.PUMP_RESET)
    assert reset.details == {"safe_state": "stopped", "lost": "acknowledged records lost: entry 7"}
    with pytest.raises(InvalidInputError):
        pump.memory_lost("")


@pytest.mark.parametrize(
    "fault",
    [
        CatheterOcclusion(onset_s=-1.0),
        CatheterOcclusion(onset_s=0.0, delivered_fraction=1.5),
        TipGranuloma(onset_s=0.0, growth_s=0.0),
        MotorStall(onset_s=0.0, duration_s=-5.0),
        OverInfusionDrift(onset_s=0.0, final_factor=math.nan, ramp_s=10.0),
    ],
)
def test_bad_faults_are_refused_and_change_nothing(fault: object) -> None:
    pump = filled_pump(continuous(0.5))
    before = pump.clone()
    with pytest.raises(FaultRejectedError):
        pump.inject(fault)  # type: ignore[arg-type]
    assert pump.faults == ()
    assert pump.status() == before.status()


def test_a_fault_in_the_past_is_refused() -> None:
    pump = filled_pump(continuous(0.5))
    pump.advance(days(1))
    with pytest.raises(FaultRejectedError):
        pump.inject(MotorStall(onset_s=days(0.5)))


def test_onset_is_exact() -> None:
    pump = filled_pump(continuous(1.0))
    onset = pump.now_s + hours(5)
    pump.inject(CatheterOcclusion(onset_s=onset, delivered_fraction=0.0))
    just_before = pump.clone()
    just_before.advance(onset - 1.0)
    at = pump.clone()
    at.advance(onset + 1.0)
    rate_per_s = 1.0 / 86400
    assert at.physical().delivered_ml - just_before.physical().delivered_ml == pytest.approx(
        rate_per_s, rel=1e-6
    )
