"""Every validation code, produced by the smallest input that breaks its rule, and nothing else."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pumpsim import (
    DEFAULT_LIBRARY,
    Continuous,
    FlexibleSchedule,
    Mix,
    PatientBolusSettings,
    ProgramRejectedError,
    PumpConfig,
    SchedulePeriod,
    Step,
    Stopped,
    TherapyProgram,
    ViolationCode,
    validate_program,
)
from pumpsim.units import hours, minutes

from builders import MORPHINE_10, filled_pump

CONFIG = PumpConfig()
PB = PatientBolusSettings(0.01, minutes(10), hours(3), 4)


def codes(program: TherapyProgram, mix: Mix = MORPHINE_10) -> list[ViolationCode]:
    return [v.code for v in validate_program(program, mix, CONFIG, DEFAULT_LIBRARY)]


def steps(*spec: tuple[float, float, float]) -> FlexibleSchedule:
    return FlexibleSchedule(tuple(Step(hours(a), hours(b), r) for a, b, r in spec))


CASES: list[tuple[str, TherapyProgram, Mix, ViolationCode]] = [
    (
        "unknown drug",
        TherapyProgram(Continuous(0.1)),
        Mix.of(kryptonite=1.0),
        ViolationCode.UNKNOWN_DRUG,
    ),
    (
        "drug twice",
        TherapyProgram(Continuous(0.1)),
        Mix(Mix.of(morphine=1000.0).components * 2),
        ViolationCode.DUPLICATE_DRUG,
    ),
    (
        "zero concentration",
        TherapyProgram(Continuous(0.1)),
        Mix.of(morphine=0.0),
        ViolationCode.CONCENTRATION_INVALID,
    ),
    (
        "too concentrated",
        TherapyProgram(Continuous(0.1)),
        Mix.of(morphine=25_000.0),
        ViolationCode.CONCENTRATION_OVER_LIMIT,
    ),
    ("negative rate", TherapyProgram(Continuous(-0.1)), MORPHINE_10, ViolationCode.RATE_INVALID),
    ("NaN rate", TherapyProgram(Continuous(math.nan)), MORPHINE_10, ViolationCode.RATE_INVALID),
    (
        "below minimum",
        TherapyProgram(Continuous(0.02)),
        MORPHINE_10,
        ViolationCode.RATE_BELOW_MINIMUM,
    ),
    ("above maximum", TherapyProgram(Continuous(30.0)), Mix(), ViolationCode.RATE_ABOVE_MAXIMUM),
    (
        "off resolution",
        TherapyProgram(Continuous(0.1234)),
        MORPHINE_10,
        ViolationCode.RATE_OFF_RESOLUTION,
    ),
    ("no steps", TherapyProgram(FlexibleSchedule(())), MORPHINE_10, ViolationCode.NO_STEPS),
    (
        "too many steps",
        TherapyProgram(
            FlexibleSchedule(
                (
                    *tuple(Step(i * 3000.0, 3000.0, 0.1) for i in range(28)),
                    Step(84000.0, 2400.0, 0.1),
                )
            )
        ),
        MORPHINE_10,
        ViolationCode.TOO_MANY_STEPS,
    ),
    (
        "zero-length step",
        TherapyProgram(steps((0, 0, 0.1), (0, 24, 0.1))),
        MORPHINE_10,
        ViolationCode.STEP_INVALID,
    ),
    (
        "outside the day",
        TherapyProgram(steps((0, 12, 0.1), (12, 13, 0.1))),
        MORPHINE_10,
        ViolationCode.STEP_OUTSIDE_PERIOD,
    ),
    (
        "unordered",
        TherapyProgram(steps((12, 12, 0.1), (0, 12, 0.1))),
        MORPHINE_10,
        ViolationCode.STEPS_UNORDERED,
    ),
    (
        "overlapping",
        TherapyProgram(steps((0, 13, 0.1), (12, 12, 0.1))),
        MORPHINE_10,
        ViolationCode.STEPS_OVERLAP,
    ),
    (
        "gap",
        TherapyProgram(steps((0, 11, 0.1), (12, 12, 0.1))),
        MORPHINE_10,
        ViolationCode.STEPS_GAP,
    ),
    (
        "daily dose",
        TherapyProgram(Continuous(1.6)),
        MORPHINE_10,
        ViolationCode.DAILY_DOSE_OVER_LIMIT,
    ),
    (
        "patient bolus of baclofen",
        TherapyProgram(Continuous(0.1), PB),
        Mix.of(baclofen=500.0),
        ViolationCode.PATIENT_BOLUS_NOT_ALLOWED,
    ),
    (
        "lockout shorter than the bolus",
        TherapyProgram(Continuous(0.1), PatientBolusSettings(0.01, hours(1), minutes(30), 4)),
        MORPHINE_10,
        ViolationCode.PATIENT_BOLUS_INVALID,
    ),
    (
        "patient bolus too fast",
        TherapyProgram(Continuous(0.1), PatientBolusSettings(0.1, 60.0, hours(3), 1)),
        Mix(),
        ViolationCode.BOLUS_RATE_ABOVE_MAXIMUM,
    ),
    (
        "alarm volume",
        TherapyProgram(Continuous(0.1), None, 45.0),
        MORPHINE_10,
        ViolationCode.LOW_RESERVOIR_ALARM_INVALID,
    ),
]


@pytest.mark.parametrize(
    ("program", "mix", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rule_has_its_code(program: TherapyProgram, mix: Mix, code: ViolationCode) -> None:
    violations = validate_program(program, mix, CONFIG, DEFAULT_LIBRARY)
    assert [v.code for v in violations] == [code]
    assert violations[0].message  # a human sentence, not just a code
    assert code not in violations[0].message


def test_every_code_is_covered_here_or_by_a_command() -> None:
    by_commands = {
        ViolationCode.BOLUS_INVALID,
        ViolationCode.BOLUS_DOSE_OVER_LIMIT,
        ViolationCode.FILL_VOLUME_INVALID,
    }
    assert {c[3] for c in CASES} | by_commands == set(ViolationCode)


def test_bolus_and_fill_codes_come_from_the_commands() -> None:
    pump = filled_pump(TherapyProgram(Continuous(1.0)))
    for volume_ml, code in (
        (0.0, ViolationCode.BOLUS_INVALID),
        (0.6, ViolationCode.BOLUS_DOSE_OVER_LIMIT),
    ):
        with pytest.raises(ProgramRejectedError) as err:
            pump.start_bolus(volume_ml, hours(1))
        assert [v.code for v in err.value.violations] == [code]
    pump.withdraw_reservoir()
    with pytest.raises(ProgramRejectedError) as err:
        pump.fill_reservoir(41.0, MORPHINE_10)
    assert [v.code for v in err.value.violations] == [ViolationCode.FILL_VOLUME_INVALID]


def test_all_violations_are_reported_at_once() -> None:
    program = TherapyProgram(steps((0, 11, 0.02), (12, 12, 0.1234)), PB, 50.0)
    found = set(codes(program, Mix.of(baclofen=500.0)))
    assert {
        ViolationCode.RATE_BELOW_MINIMUM,
        ViolationCode.RATE_OFF_RESOLUTION,
        ViolationCode.STEPS_GAP,
        ViolationCode.PATIENT_BOLUS_NOT_ALLOWED,
        ViolationCode.LOW_RESERVOIR_ALARM_INVALID,
    } <= found


def test_the_daily_limit_counts_every_patient_bolus_the_settings_allow() -> None:
    # 1.4 mL/day of 10 mg/mL is 14 mg, under morphine's 15 mg; each bolus is 0.01 mL = 0.1 mg.
    ten = PatientBolusSettings(0.01, minutes(10), hours(2), 10)  # 10 fit in a day: +1 mg
    eleven = PatientBolusSettings(0.01, minutes(10), hours(2), 11)  # 11 would: +1.1 mg
    assert codes(TherapyProgram(Continuous(1.4), ten)) == []
    assert codes(TherapyProgram(Continuous(1.4), eleven)) == [ViolationCode.DAILY_DOSE_OVER_LIMIT]
    # The lockout caps the count too: 12 allowed, but a 3-hour lockout fits only 8.
    capped = PatientBolusSettings(0.01, minutes(10), hours(3), 12)
    assert codes(TherapyProgram(Continuous(1.4), capped)) == []


def test_weekly_worst_day_is_what_counts() -> None:
    week = FlexibleSchedule(
        (Step(0.0, hours(24 * 6), 0.5), Step(hours(24 * 6), hours(24), 1.6)),
        SchedulePeriod.WEEKLY,
    )
    assert codes(TherapyProgram(week)) == [ViolationCode.DAILY_DOSE_OVER_LIMIT]


def test_a_stopped_program_needs_no_rate() -> None:
    assert codes(TherapyProgram(Stopped())) == []


@given(
    rate=st.integers(0, 30_000).map(lambda k: k / 1000),
    volume=st.sampled_from([0.005, 0.01, 0.05]),
    lockout_h=st.sampled_from([0.1, 1.0, 3.0]),
    most=st.integers(1, 24),
)
def test_validation_and_the_pump_agree(
    rate: float, volume: float, lockout_h: float, most: int
) -> None:
    program = TherapyProgram(
        Continuous(rate), PatientBolusSettings(volume, minutes(5), hours(lockout_h), most)
    )
    expected = codes(program)
    pump = filled_pump(TherapyProgram(Continuous(0.1)), prime=False)
    before = pump.program
    if expected:
        with pytest.raises(ProgramRejectedError) as err:
            pump.set_program(program)
        assert [v.code for v in err.value.violations] == expected
        assert pump.program == before
    else:
        pump.set_program(program)
        assert pump.program == program
