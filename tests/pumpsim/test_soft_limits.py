"""Soft limits: steps of a titration that are allowed only when the clinician says so.

Ziconotide (label): start at most 2.4 mcg/day, raise by at most 2.4 mcg/day, at most 2-3 times a
week. The pump refuses a step past a soft limit with SOFT_LIMIT_OVERRIDE_REQUIRED and changes
nothing; with an override it applies it and logs the override; over the wire the review lists the
warnings and the confirmation carries the override.
"""

from __future__ import annotations

import pytest

from firmware_protocol.client.pump_client import DeviceError
from pumpsim import (
    DEFAULT_LIBRARY,
    Continuous,
    Drug,
    DrugLibrary,
    FlexibleSchedule,
    LogKind,
    MassUnit,
    Mix,
    Pump,
    SchedulePeriod,
    SoftLimitCode,
    SoftLimitOverrideRequiredError,
    SoftLimits,
    Step,
    TherapyProgram,
    dose_to_rate,
)
from pumpsim.units import days

from protocol_helpers import bench

ZICONOTIDE = Mix.of(ziconotide=25.0)  # mcg/mL


def zico(dose_mcg_per_day: float) -> TherapyProgram:
    rate = dose_to_rate(dose_mcg_per_day, 25.0, 0.001).rate_ml_per_day
    return TherapyProgram(Continuous(rate))


def started_pump(dose_mcg_per_day: float = 2.4) -> Pump:
    pump = Pump()
    pump.fill_reservoir(20.0, ZICONOTIDE, zico(dose_mcg_per_day))
    pump.advance(days(1))
    return pump


def codes(e: pytest.ExceptionInfo[SoftLimitOverrideRequiredError]) -> set[SoftLimitCode]:
    return {w.code for w in e.value.warnings}


def test_the_ziconotide_jump_is_refused_without_an_override_and_nothing_changes() -> None:
    pump = started_pump()
    before = pump.program
    log_before = pump.log.next_index
    with pytest.raises(SoftLimitOverrideRequiredError) as e:
        pump.set_program(zico(19.0))
    assert e.value.code == "SOFT_LIMIT_OVERRIDE_REQUIRED"
    assert codes(e) == {SoftLimitCode.INCREASE_ABOVE_LIMIT}
    assert "ziconotide" in str(e.value)
    assert "2.4 mcg/day" in str(e.value)
    assert pump.program == before
    assert pump.log.next_index == log_before


def test_with_an_override_it_is_applied_and_the_override_logged() -> None:
    pump = started_pump()
    pump.set_program(zico(19.0), override_soft_limits=True)
    assert pump.program == zico(19.0)
    (record,) = pump.log.of_kind(LogKind.SOFT_LIMIT_OVERRIDDEN)
    assert record.details["codes"] == "INCREASE_ABOVE_LIMIT"
    assert record.details["drugs"] == "ziconotide"
    assert record.at_s == pump.now_s


def test_a_step_within_the_label_needs_no_override() -> None:
    pump = started_pump()
    assert pump.soft_limit_warnings(zico(4.8)) == ()
    pump.set_program(zico(4.8))
    assert pump.log.of_kind(LogKind.SOFT_LIMIT_OVERRIDDEN) == ()


def test_a_decrease_is_never_warned_about() -> None:
    pump = started_pump(2.4)
    pump.set_program(zico(4.8))
    assert pump.soft_limit_warnings(zico(1.2)) == ()


def test_starting_above_the_starting_dose_warns() -> None:
    pump = Pump()
    with pytest.raises(SoftLimitOverrideRequiredError) as e:
        pump.fill_reservoir(20.0, ZICONOTIDE, zico(4.8))
    assert codes(e) == {SoftLimitCode.STARTING_DOSE_ABOVE_LIMIT}
    assert pump.status().refill_in_progress  # the fill itself did not happen
    pump.fill_reservoir(20.0, ZICONOTIDE, zico(4.8), override_soft_limits=True)
    assert pump.program == zico(4.8)


def test_a_fourth_raise_within_a_week_warns_and_an_old_one_is_forgotten() -> None:
    pump = started_pump(2.4)
    for dose in (3.6, 4.8, 6.0):
        pump.set_program(zico(dose))
        pump.advance(pump.now_s + days(1))
    assert {w.code for w in pump.soft_limit_warnings(zico(7.2))} == {
        SoftLimitCode.TOO_MANY_INCREASES
    }
    pump.advance(pump.now_s + days(5))  # the first raise is now over a week old
    assert pump.soft_limit_warnings(zico(7.2)) == ()


def test_a_stronger_mix_at_refill_is_a_raise_too() -> None:
    pump = started_pump(2.4)
    pump.withdraw_reservoir()
    with pytest.raises(SoftLimitOverrideRequiredError) as e:
        pump.fill_reservoir(20.0, Mix.of(ziconotide=100.0))  # same rate, four times the dose
    assert codes(e) == {SoftLimitCode.INCREASE_ABOVE_LIMIT}


def test_a_weekly_pattern_that_climbs_too_steeply_or_too_often_warns() -> None:
    rate = dose_to_rate(2.4, 25.0, 0.001).rate_ml_per_day
    daily = [rate * k for k in (1, 2, 3, 4, 5, 1, 1)]  # four raises, each of 2.4 mcg/day
    steps = tuple(Step(days(d), days(1), r) for d, r in enumerate(daily))
    weekly = TherapyProgram(FlexibleSchedule(steps, SchedulePeriod.WEEKLY))
    pump = started_pump()
    found = {w.code for w in pump.soft_limit_warnings(weekly)}
    assert SoftLimitCode.TOO_MANY_INCREASES in found
    steep = [rate, rate * 4, rate, rate, rate, rate, rate]  # one jump of 7.2 mcg/day
    steps = tuple(Step(days(d), days(1), r) for d, r in enumerate(steep))
    warnings = pump.soft_limit_warnings(
        TherapyProgram(FlexibleSchedule(steps, SchedulePeriod.WEEKLY))
    )
    assert any(
        w.code is SoftLimitCode.INCREASE_ABOVE_LIMIT and w.field == "steps" for w in warnings
    )


def test_soft_limits_live_in_the_drug_library() -> None:
    soft = DrugLibrary(
        [
            *DEFAULT_LIBRARY.values(),
            Drug(
                "testamine", MassUnit.MG, 10_000, 5_000, soft=SoftLimits(max_daily_dose_mcg=1_000)
            ),
        ]
    )
    pump = Pump(library=soft)
    with pytest.raises(SoftLimitOverrideRequiredError) as e:
        pump.fill_reservoir(20.0, Mix.of(testamine=1000.0), TherapyProgram(Continuous(2.0)))
    assert codes(e) == {SoftLimitCode.DOSE_ABOVE_SOFT_MAXIMUM}
    assert DEFAULT_LIBRARY["ziconotide"].soft.max_increases_per_week == 3


def test_warnings_and_the_override_travel_over_the_wire() -> None:
    with bench() as b:
        c = b.client()
        c.refill_withdraw()
        c.refill_fill(20.0, ZICONOTIDE, zico(2.4))
        review = c.stage_program(zico(19.0))
        assert review.accepted
        assert [w.code for w in review.warnings] == ["INCREASE_ABOVE_LIMIT"]
        assert review.warnings[0].drug == "ziconotide"
        with pytest.raises(DeviceError) as e:
            c.confirm_program(review.stage_id)
        assert e.value.code == "SOFT_LIMIT_OVERRIDE_REQUIRED"
        assert [v.code for v in e.value.violations] == ["INCREASE_ABOVE_LIMIT"]
        assert b.firmware.pump.program == zico(2.4)
        c.confirm_program(review.stage_id, override_soft_limits=True)
        assert b.firmware.pump.program == zico(19.0)
        assert b.firmware.pump.log.of_kind(LogKind.SOFT_LIMIT_OVERRIDDEN)
        # The journal keeps the override: a restarted firmware rebuilds the same therapy.
        b.restart()
        assert b.firmware.pump.program == zico(19.0)
        assert len(b.firmware.pump.log.of_kind(LogKind.SOFT_LIMIT_OVERRIDDEN)) == 1
