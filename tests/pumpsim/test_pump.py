"""Behaviour of the pump model that is not about faults: delivery, time, bad input, log, trend."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pumpsim import (
    AlarmKind,
    BatteryConfig,
    Continuous,
    FlexibleSchedule,
    InvalidInputError,
    LogKind,
    Mix,
    NotAllowedNowError,
    PatientBolusOutcome,
    PatientBolusSettings,
    ProgramRejectedError,
    Pump,
    PumpConfig,
    PumpError,
    RefillSequenceError,
    SchedulePeriod,
    Step,
    Stopped,
    TherapyProgram,
    TimeWentBackwardsError,
    dose_to_rate,
)
from pumpsim.testing.reference import integrate_fixed_step
from pumpsim.units import SECONDS_PER_DAY, days, hours, minutes

from builders import MORPHINE_10, continuous, day_night, filled_pump, patient_bolus


def test_continuous_delivery_matches_rate_times_time() -> None:
    pump = filled_pump(continuous(0.5))
    t0 = pump.now_s
    before = pump.physical()
    pump.advance(t0 + days(10))
    after = pump.physical()
    assert after.delivered_ml - before.delivered_ml == pytest.approx(5.0, rel=1e-12)
    mg = (after.delivered_mcg["morphine"] - before.delivered_mcg.get("morphine", 0.0)) / 1000
    assert mg == pytest.approx(50.0, rel=1e-12)  # 0.5 mL/day x 10 days x 10 mg/mL
    assert pump.status().reservoir_ml == pytest.approx(20.0 - 0.35 - 5.0, abs=1e-9)


def test_dose_entered_per_day_is_delivered_per_day() -> None:
    conversion = dose_to_rate(2_345.0, 10_000.0, 0.001)
    assert conversion.rate_ml_per_day == pytest.approx(0.235)
    pump = filled_pump(continuous(conversion.rate_ml_per_day))
    start = pump.physical().delivered_mcg.get("morphine", 0.0)
    pump.advance(pump.now_s + days(1))
    delivered = pump.physical().delivered_mcg["morphine"] - start
    assert delivered == pytest.approx(conversion.dose_mcg_per_day, rel=1e-12)
    assert delivered - 2_345.0 == pytest.approx(conversion.rounding_mcg_per_day)


def test_each_drug_of_a_mix_follows_its_concentration() -> None:
    mix = Mix.of(morphine=5_000.0, clonidine=200.0)
    pump = filled_pump(continuous(0.4), mix=mix)
    pump.advance(pump.now_s + days(3))
    mcg = pump.physical().delivered_mcg
    assert mcg["morphine"] / mcg["clonidine"] == pytest.approx(25.0)
    assert mcg["morphine"] == pytest.approx(1.2 * 5_000.0, rel=1e-9)


def test_priming_fills_the_catheter_before_any_drug_arrives() -> None:
    pump = Pump()
    pump.fill_reservoir(10.0, MORPHINE_10, continuous(0.5))
    priming = pump.start_priming_bolus()
    assert priming.volume_ml == pytest.approx(pump.config.dead_volume_ml)
    pump.advance(priming.ends_at_s)
    truth = pump.physical()
    assert truth.delivered_ml == pytest.approx(0.35)
    assert truth.delivered_mcg == {}  # the saline column came out, not drug
    pump.advance(pump.now_s + hours(1))
    assert pump.physical().delivered_mcg["morphine"] > 0


def test_flexible_schedule_rates_show_hour_by_hour_in_the_trend() -> None:
    pump = filled_pump(TherapyProgram(day_night(day=0.72, night=0.24)))
    pump.advance(days(3))
    trend = pump.trend(days(1), days(2))
    assert len(trend) == 24
    expected = np.array([0.24 if h < 8 or h >= 22 else 0.72 for h in range(24)]) / 24
    np.testing.assert_allclose(trend.delivered_ml, expected, rtol=1e-9)
    np.testing.assert_allclose(trend.delivered_mcg["morphine"], expected * 10_000.0, rtol=1e-9)


def test_weekly_schedule_runs_each_day_differently() -> None:
    week = FlexibleSchedule(
        (Step(0.0, days(5), 0.5), Step(days(5), days(2), 0.2)), SchedulePeriod.WEEKLY
    )
    pump = filled_pump(TherapyProgram(week), volume_ml=40.0)
    pump.advance(days(14))
    trend = pump.trend(days(7), days(14))
    per_day = trend.delivered_ml.reshape(7, 24).sum(axis=1)
    np.testing.assert_allclose(per_day, [0.5] * 5 + [0.2] * 2, rtol=1e-9)


def test_trend_totals_equal_the_accounting() -> None:
    pump = filled_pump(TherapyProgram(day_night(), patient_bolus()))
    for h in range(1, 24 * 5, 5):
        pump.advance(hours(h) + minutes(7))
        pump.request_patient_bolus()
    pump.advance(days(6))
    trend = pump.trend()
    truth = pump.physical()
    assert trend.delivered_ml.sum() == pytest.approx(truth.delivered_ml, rel=1e-12)
    assert trend.commanded_ml.sum() == pytest.approx(truth.commanded_ml, rel=1e-12)
    assert trend.reservoir_ml[-1] == pytest.approx(truth.reservoir_ml)
    assert trend.battery_mah[-1] == pytest.approx(pump.status().battery_mah)
    assert np.all(np.diff(trend.battery_mah) <= 1e-12)


def test_one_month_at_once_equals_ten_thousand_small_steps() -> None:
    program = TherapyProgram(day_night(), patient_bolus())
    one = filled_pump(program)
    many = filled_pump(program)
    one.request_patient_bolus()
    many.request_patient_bolus()
    end = one.now_s + days(30)
    one.advance(end)
    step = (end - many.now_s) / 10_000
    for k in range(1, 10_001):
        many.advance(min(end, many.now_s + step) if k < 10_000 else end)
    a, b = one.physical(), many.physical()
    assert a.delivered_ml == pytest.approx(b.delivered_ml, rel=1e-9)
    assert a.delivered_mcg["morphine"] == pytest.approx(b.delivered_mcg["morphine"], rel=1e-9)
    assert a.reservoir_ml == pytest.approx(b.reservoir_ml, rel=1e-9)
    assert one.status().battery_mah == pytest.approx(many.status().battery_mah, rel=1e-12)
    assert [x.kind for x in one.log] == [x.kind for x in many.log]
    assert [x.at_s for x in one.log] == pytest.approx([x.at_s for x in many.log], abs=1e-6)


def test_event_driven_pump_agrees_with_a_fixed_step_oracle() -> None:
    """Ninety days, flexible schedule, patient boluses, two refills: same totals, same alarm."""
    # The oracle knows no alarm tones, so this pump's tones cost nothing.
    config = PumpConfig(reservoir_capacity_ml=20.0, battery=BatteryConfig(mah_per_alarm_tone=0.0))
    program = TherapyProgram(day_night(0.5, 0.2), patient_bolus(0.03, 2.0, 6), 3.0)
    end = days(90)
    requests = [days(d) + hours(h) for d in range(90) for h in (8, 12, 18, 21)]
    refills = [days(35), days(70)]
    pump = Pump(config)
    pump.fill_reservoir(20.0, MORPHINE_10, program)
    events = sorted([(t, "request") for t in requests] + [(t, "refill") for t in refills])
    for t, what in events:
        pump.advance(t)
        if what == "request":
            pump.request_patient_bolus()
        else:  # the refill visit: alarms acknowledged, reservoir emptied and filled
            pump.acknowledge_alarms()
            pump.withdraw_reservoir()
            pump.fill_reservoir(20.0, MORPHINE_10)
    pump.advance(end)
    oracle = integrate_fixed_step(config, program, MORPHINE_10, 20.0, end, 10.0, requests, refills)
    truth = pump.physical()
    # The oracle starts with drug at the tip; the pump's first 0.35 mL was the catheter's saline.
    dead = config.dead_volume_ml * 10_000.0
    assert truth.delivered_ml == pytest.approx(oracle.delivered_ml, abs=1e-3)
    assert truth.delivered_mcg["morphine"] + dead == pytest.approx(
        oracle.delivered_mcg["morphine"], abs=10.0
    )
    assert pump.status().battery_mah == pytest.approx(oracle.battery_mah, abs=1e-3)
    assert truth.reservoir_ml == pytest.approx(oracle.reservoir_ml, abs=1e-3)
    low = [
        r.at_s
        for r in pump.log.of_kind(LogKind.ALARM_RAISED)
        if r.details["alarm"] == "low_reservoir"
    ]
    assert len(low) == len(oracle.low_reservoir_alarms_s) > 0
    for ours, theirs in zip(low, oracle.low_reservoir_alarms_s, strict=True):
        assert ours == pytest.approx(theirs, abs=10.0)
    hourly = pump.trend(0, end).delivered_ml
    np.testing.assert_allclose(hourly, oracle.hourly_delivered_ml, atol=2e-5)


def test_projected_low_reservoir_date_is_when_the_alarm_comes() -> None:
    pump = filled_pump(TherapyProgram(day_night(0.7, 0.3), None, 4.0))
    projected = pump.projections()
    assert projected.low_reservoir_at_s is not None
    assert projected.empty_at_s is not None
    pump.advance(projected.empty_at_s + hours(1))
    raised = {a.kind: a.raised_at_s for a in pump.alarms}
    assert raised[AlarmKind.LOW_RESERVOIR] == pytest.approx(projected.low_reservoir_at_s, abs=1e-3)
    assert raised[AlarmKind.EMPTY_RESERVOIR] == pytest.approx(projected.empty_at_s, abs=1e-3)


def test_empty_reservoir_drops_to_minimum_rate_and_refuses_boluses() -> None:
    pump = filled_pump(TherapyProgram(Continuous(1.0), patient_bolus()), volume_ml=3.0)
    pump.advance(days(4))
    status = pump.status()
    assert AlarmKind.EMPTY_RESERVOIR in {a.kind for a in status.alarms}
    assert status.commanded_rate_ml_per_day == pump.config.min_rate_ml_per_day
    assert pump.request_patient_bolus() is PatientBolusOutcome.DENIED_NOT_INFUSING
    with pytest.raises(NotAllowedNowError):
        pump.start_bolus(0.1, hours(1))


def test_patient_bolus_lockout_and_daily_cap() -> None:
    pump = filled_pump(TherapyProgram(Continuous(0.3), patient_bolus(0.01, 2.0, 3)))
    t = pump.now_s
    assert pump.request_patient_bolus() is PatientBolusOutcome.GRANTED
    pump.advance(t + hours(1))
    assert pump.request_patient_bolus() is PatientBolusOutcome.DENIED_LOCKOUT
    pump.advance(t + hours(2))
    assert pump.request_patient_bolus() is PatientBolusOutcome.GRANTED
    pump.advance(t + hours(4))
    assert pump.request_patient_bolus() is PatientBolusOutcome.GRANTED
    pump.advance(t + hours(6))
    assert pump.request_patient_bolus() is PatientBolusOutcome.DENIED_MAX_PER_24H
    pump.advance(t + days(1) + 1.0)
    assert pump.request_patient_bolus() is PatientBolusOutcome.GRANTED
    granted = pump.log.of_kind(LogKind.PATIENT_BOLUS_GRANTED)
    denied = pump.log.of_kind(LogKind.PATIENT_BOLUS_DENIED)
    assert len(granted) == 4
    assert [r.details["reason"] for r in denied] == ["denied_lockout", "denied_max_per_24h"]


def test_patient_bolus_delivers_its_volume_on_top_of_basal() -> None:
    pump = filled_pump(TherapyProgram(Continuous(0.24), patient_bolus(0.05, 1.0, 4)))
    start = pump.physical().delivered_ml
    pump.request_patient_bolus()
    pump.advance(pump.now_s + hours(1))
    assert pump.physical().delivered_ml - start == pytest.approx(0.01 + 0.05, rel=1e-9)


def test_patient_bolus_refused_without_settings_or_when_stopped() -> None:
    assert filled_pump(continuous()).request_patient_bolus() is (
        PatientBolusOutcome.DENIED_NOT_PROGRAMMED
    )
    stopped = filled_pump(TherapyProgram(Continuous(0.2), patient_bolus()))
    stopped.set_program(TherapyProgram(Stopped(), patient_bolus()))
    assert stopped.request_patient_bolus() is PatientBolusOutcome.DENIED_NOT_INFUSING


def test_clinician_bolus_then_back_to_the_prior_mode() -> None:
    pump = filled_pump(continuous(0.24))
    start = pump.physical().delivered_ml
    bolus = pump.start_bolus(0.2, hours(2))
    assert pump.status().commanded_rate_ml_per_day == pytest.approx(2.4)
    pump.advance(bolus.ends_at_s + hours(1))
    assert pump.status().commanded_rate_ml_per_day == pytest.approx(0.24)
    assert pump.physical().delivered_ml - start == pytest.approx(0.2 + 0.01, rel=1e-9)
    kinds = [r.kind for r in pump.log][-2:]
    assert kinds == [LogKind.BOLUS_STARTED, LogKind.BOLUS_COMPLETED]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda p: p.advance(math.nan), InvalidInputError),
        (lambda p: p.advance(math.inf), InvalidInputError),
        (lambda p: p.advance(p.now_s - 1.0), TimeWentBackwardsError),
        (lambda p: p.advance_by(-5.0), InvalidInputError),
        (lambda p: p.start_bolus(-1.0, 60.0), ProgramRejectedError),
        (lambda p: p.start_bolus(math.nan, 60.0), ProgramRejectedError),
        (lambda p: p.start_bolus(0.1, 0.0), ProgramRejectedError),
        (lambda p: p.start_priming_bolus(-0.2), InvalidInputError),
        (lambda p: p.set_program("fast please"), InvalidInputError),
        (lambda p: p.set_program(continuous(-0.5)), ProgramRejectedError),
        (lambda p: p.set_program(continuous(math.nan)), ProgramRejectedError),
        (lambda p: p.fill_reservoir(5.0, MORPHINE_10), RefillSequenceError),
        (lambda p: p.acknowledge_alarms(["no_such_alarm"]), InvalidInputError),
        (lambda p: p.exit_mri_safe_mode(), NotAllowedNowError),
        (lambda p: p.start_bridge_bolus(), NotAllowedNowError),
        (lambda p: p.cancel_bolus(), NotAllowedNowError),
    ],
)
def test_bad_input_raises_a_typed_error_and_changes_nothing(call, error) -> None:  # type: ignore[no-untyped-def]
    pump = filled_pump(TherapyProgram(day_night(), patient_bolus()))
    pump.advance(days(2))
    before = pump.clone()
    with pytest.raises(error) as info:
        call(pump)
    assert isinstance(info.value, PumpError)
    assert info.value.code in str(info.value)
    assert pump.status() == before.status()
    assert pump.physical() == before.physical()
    assert len(pump.log) == len(before.log)


def test_unknown_drug_and_nan_concentration_are_refused_at_fill() -> None:
    pump = filled_pump(continuous())
    pump.withdraw_reservoir()
    before = pump.clone()
    for mix in (Mix.of(unobtainium=1.0), Mix.of(morphine=math.nan), Mix.of(morphine=-1.0)):
        with pytest.raises(ProgramRejectedError) as info:
            pump.fill_reservoir(10.0, mix)
        assert info.value.violations
        assert pump.status() == before.status()
    with pytest.raises(InvalidInputError):
        pump.fill_reservoir(10.0, "morphine")  # type: ignore[arg-type]


def test_alarms_latch_until_acknowledged_and_sound_on_the_battery() -> None:
    pump = filled_pump(TherapyProgram(Continuous(1.0), None, 5.0), volume_ml=8.0)
    pump.advance(days(3))
    assert [a.kind for a in pump.alarms] == [AlarmKind.LOW_RESERVOIR]
    b = pump.config.battery
    quiet = b.quiescent_mah_per_day + b.mah_per_ml * 1.0
    tones = b.mah_per_alarm_tone * SECONDS_PER_DAY / b.alarm_tone_interval_s
    charge = pump.status().battery_mah
    pump.advance(pump.now_s + days(1))
    assert charge - pump.status().battery_mah == pytest.approx(quiet + tones, rel=1e-9)
    cleared = pump.acknowledge_alarms()
    assert [a.kind for a in cleared] == [AlarmKind.LOW_RESERVOIR]
    assert pump.alarms == ()
    assert AlarmKind.LOW_RESERVOIR in pump.alarm_conditions  # the condition itself persists
    charge = pump.status().battery_mah
    pump.advance(pump.now_s + days(1))
    assert charge - pump.status().battery_mah == pytest.approx(quiet, rel=1e-9)
    assert pump.log.of_kind(LogKind.ALARM_ACKNOWLEDGED)[-1].details["alarm"] == "low_reservoir"


def test_event_log_is_bounded_and_counts_what_it_dropped() -> None:
    pump = filled_pump(
        TherapyProgram(Continuous(0.3), patient_bolus(0.001, 0.2, 24)),
        config=PumpConfig(event_log_capacity=32),
    )
    for _k in range(50):
        pump.advance(pump.now_s + hours(1))
        pump.request_patient_bolus()
    log = pump.log
    assert len(log) == 32
    assert log.overflow_count == log.next_index - 32
    assert log.first_index == log.next_index - 32
    assert [r.index for r in log.since(0)] == list(range(log.first_index, log.next_index))
    assert [r.index for r in log.since(log.next_index - 3)] == [
        log.next_index - 3,
        log.next_index - 2,
        log.next_index - 1,
    ]


def test_program_change_mid_bolus_ends_the_bolus_and_is_logged() -> None:
    pump = filled_pump(continuous(0.3))
    pump.start_bolus(0.1, hours(1))
    pump.advance(pump.now_s + minutes(30))
    pump.set_program(continuous(0.5))
    assert pump.status().active_bolus is None
    aborted = pump.log.of_kind(LogKind.BOLUS_ABORTED)[-1]
    assert aborted.details["reason"] == "program_changed"
    assert aborted.details["given_ml"] == pytest.approx(0.05)
    assert pump.log.of_kind(LogKind.PROGRAM_CHANGED)[-1].details["avg_rate_ml_per_day"] == 0.5


@settings(max_examples=60)
@given(
    gaps=st.lists(st.floats(0.0, hours(8)), min_size=1, max_size=25),
    lockout=st.sampled_from([minutes(10), hours(1), hours(3)]),
    cap=st.integers(1, 6),
)
def test_the_handhelds_countdown_says_exactly_when_a_request_is_granted(
    gaps: list[float], lockout: float, cap: int
) -> None:
    """status().patient_bolus_next_at_s and patient_boluses_left_24h, as the patient's device
    shows them, agree with what the pump answers to a request at every moment."""
    pb = PatientBolusSettings(0.01, minutes(10), lockout, cap)
    pump = Pump()
    pump.fill_reservoir(20.0, Mix.of(morphine=1000.0), TherapyProgram(Continuous(0.5), pb))
    for gap in gaps:
        pump.advance(pump.now_s + gap)
        status = pump.status()
        assert status.patient_bolus_next_at_s is not None
        granted = pump.clone().request_patient_bolus() is PatientBolusOutcome.GRANTED
        assert granted == (status.patient_bolus_next_at_s <= pump.now_s)
        if status.patient_boluses_left_24h == 0:
            assert not granted
        if granted:
            pump.request_patient_bolus()
            assert pump.status().patient_boluses_left_24h == status.patient_boluses_left_24h - 1
