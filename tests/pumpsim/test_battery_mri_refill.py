"""Battery life and its indicators, MRI-safe mode, and the refill's arithmetic."""

from __future__ import annotations

import pytest

from pumpsim import (
    AlarmKind,
    BatteryConfig,
    LogKind,
    Mix,
    MotorStall,
    MotorState,
    MriPhase,
    MriRefusedError,
    Pump,
    PumpConfig,
    RefillVerdict,
    valve_gated_config,
)
from pumpsim.units import SECONDS_PER_YEAR, days, hours

from builders import MORPHINE_10, continuous, filled_pump


def test_eri_when_ninety_days_of_life_remain_then_end_of_service() -> None:
    battery = BatteryConfig(capacity_mah=100.0, quiescent_mah_per_day=0.5, mah_per_ml=0.5)
    pump = filled_pump(continuous(1.0), config=PumpConfig(battery=battery), volume_ml=40.0)
    charge = pump.status().battery_mah
    # 1 mAh a day under this program: ERI when 90 mAh remain.
    expected_eri = pump.now_s + days(charge - 90.0)
    projected = pump.projections()
    assert projected.eri_at_s == pytest.approx(expected_eri)
    pump.advance(expected_eri + 60.0)
    assert pump.status().eri_at_s == pytest.approx(expected_eri, abs=1.0)
    assert AlarmKind.ELECTIVE_REPLACEMENT in [a.kind for a in pump.alarms]
    pump.advance(expected_eri + days(90) + 60.0)
    assert pump.status().end_of_service_at_s is not None
    assert pump.motor_state() is MotorState.END_OF_SERVICE


def test_the_life_cap_brings_eri_even_with_charge_left() -> None:
    cap = 7 * SECONDS_PER_YEAR
    battery = BatteryConfig(initial_age_s=cap - days(100))
    pump = filled_pump(continuous(0.1), config=PumpConfig(battery=battery))
    age_now = battery.initial_age_s + pump.now_s
    eri = pump.now_s + (cap - days(90) - age_now)
    pump.advance(eri + 1.0)
    assert pump.status().eri_at_s == pytest.approx(eri, abs=1e-3)
    assert pump.status().battery_mah > 900.0


def test_battery_costs_of_telemetry_and_tones_and_it_never_recharges() -> None:
    b = BatteryConfig()
    pump = filled_pump(continuous(0.5))
    before = pump.status().battery_mah
    pump.interrogate()
    assert before - pump.status().battery_mah == pytest.approx(b.mah_per_telemetry_session)
    levels = []
    for _ in range(10):
        pump.advance(pump.now_s + days(3))
        levels.append(pump.status().battery_mah)
    assert levels == sorted(levels, reverse=True)


def test_mri_suspends_and_resumes_after_the_recovery_lag() -> None:
    pump = filled_pump(continuous(1.0))
    pump.enter_mri_safe_mode()
    pumped = pump.physical().pumped_ml
    pump.advance(pump.now_s + hours(1))
    assert pump.physical().pumped_ml == pumped
    assert pump.motor_state() is MotorState.STALLED
    pump.exit_mri_safe_mode()
    exited = pump.now_s
    pump.advance(exited + pump.config.mri_recovery_lag_s - 60.0)
    assert pump.physical().pumped_ml == pumped  # still recovering
    pump.advance(exited + pump.config.mri_recovery_lag_s + hours(1))
    assert pump.status().mri is MriPhase.OFF
    assert pump.physical().pumped_ml == pytest.approx(pumped + 1.0 / 24)
    kinds = [r.kind for r in pump.log][-4:]
    assert kinds == [
        LogKind.MRI_ENTERED,
        LogKind.MOTOR_STALL,
        LogKind.MRI_EXITED,
        LogKind.MOTOR_STALL_RECOVERY,
    ]


def test_a_pump_alarming_during_mri_waits_for_interrogation() -> None:
    pump = filled_pump(continuous(1.0))
    pump.enter_mri_safe_mode()
    pump.inject(MotorStall(onset_s=pump.now_s + 60.0, duration_s=600.0))  # alarms in the scanner
    pump.advance(pump.now_s + hours(1))
    pump.exit_mri_safe_mode()
    pump.advance(pump.now_s + days(1))
    assert pump.status().mri is MriPhase.AWAITING_INTERROGATION
    pumped = pump.physical().pumped_ml
    pump.interrogate()
    pump.advance(pump.now_s + hours(1))
    assert pump.status().mri is MriPhase.OFF
    assert pump.physical().pumped_ml > pumped


def test_valve_gated_pump_needs_an_empty_reservoir_for_mri() -> None:
    pump = Pump(valve_gated_config())
    pump.fill_reservoir(20.0, MORPHINE_10, continuous(0.5))
    with pytest.raises(MriRefusedError) as err:
        pump.enter_mri_safe_mode()
    assert err.value.code == "MRI_REQUIRES_EMPTY_RESERVOIR"
    pump.withdraw_reservoir()
    pump.enter_mri_safe_mode()
    assert pump.status().mri is MriPhase.SCANNING


@pytest.mark.parametrize(
    ("capacity", "left_ml", "verdict"),
    [
        (20.0, 0.9, RefillVerdict.WITHIN_TOLERANCE),
        (20.0, 1.1, RefillVerdict.UNDER_INFUSION_SUSPECTED),
        (20.0, -1.1, RefillVerdict.OVER_INFUSION_SUSPECTED),
        (40.0, 1.9, RefillVerdict.WITHIN_TOLERANCE),
        (40.0, 2.1, RefillVerdict.UNDER_INFUSION_SUSPECTED),
        (40.0, -2.1, RefillVerdict.OVER_INFUSION_SUSPECTED),
    ],
)
def test_refill_tolerance_is_1_ml_for_20_ml_pumps_and_2_ml_for_40(
    capacity: float, left_ml: float, verdict: RefillVerdict
) -> None:
    # Flow at (1 + x) times commanded for 10 days at 1 mL/day leaves -10x mL of discrepancy.
    factor = 1.0 - left_ml / 10.0
    pump = filled_pump(
        continuous(1.0),
        config=PumpConfig(reservoir_capacity_ml=capacity, accuracy_factor=factor),
        volume_ml=15.0,
        prime=False,
    )
    pump.advance(days(10))
    result = pump.withdraw_reservoir()
    assert result.discrepancy_ml == pytest.approx(left_ml)
    assert result.verdict is verdict


def test_bridge_bolus_pushes_the_old_drug_at_the_old_rate() -> None:
    pump = filled_pump(continuous(0.5))
    pump.advance(days(2))
    pump.withdraw_reservoir()
    weak = Mix.of(morphine=5_000.0)
    result = pump.fill_reservoir(20.0, weak, continuous(1.0))
    offer = result.bridge_offer
    assert offer is not None
    assert offer.rate_ml_per_day == pytest.approx(0.5)
    assert offer.volume_ml == pytest.approx(pump.config.dead_volume_ml)
    start = pump.physical().delivered_mcg["morphine"]
    bolus = pump.start_bridge_bolus()
    pump.advance(bolus.ends_at_s)
    # The whole tubing and catheter of 10 mg/mL came out, at the old 0.5 mL/day pace.
    bridged = pump.physical().delivered_mcg["morphine"] - start
    assert bridged == pytest.approx(pump.config.dead_volume_ml * 10_000.0)
    assert bolus.ends_at_s - bolus.started_at_s == pytest.approx(days(0.35 / 0.5))
    pump.advance(bolus.ends_at_s + days(1))
    after = pump.physical().delivered_mcg["morphine"] - start - bridged
    assert after == pytest.approx(1.0 * 5_000.0)  # then the new program, new drug


def test_refill_date_reached_raises_its_alarm() -> None:
    pump = filled_pump(continuous(0.2))
    pump.withdraw_reservoir()
    due = pump.now_s + days(30)
    pump.fill_reservoir(20.0, MORPHINE_10, refill_due_at_s=due)
    pump.advance(due + 60.0)
    assert {a.kind: a.raised_at_s for a in pump.alarms}[AlarmKind.REFILL_DUE] == pytest.approx(due)
