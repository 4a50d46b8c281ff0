"""The constant-flow class: one factory rate set by a propellant through a capillary, moved by the
world at the pump (temperature, ambient pressure); no program, bolus, MRI mode, battery, motor or
alarm; the other classes meter their volume whatever the world does."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pumpsim import (
    CatheterOcclusion,
    Continuous,
    ErrorCode,
    FaultRejectedError,
    InvalidInputError,
    Mix,
    MotorStall,
    NoProgramOnThisPumpError,
    PrematureEri,
    Pump,
    TherapyProgram,
)
from pumpsim.domain.config import constant_flow_config
from pumpsim.domain.propellant import Conditions, PropellantDrive, flow_factor
from pumpsim.units import days, hours

from builders import filled_pump

TEMPERATURES = st.floats(25.0, 45.0)
PRESSURES = st.floats(20.0, 600.0)
MORPHINE_1 = Mix.of(morphine=1000.0)


def constant_flow_pump(volume_ml: float = 18.0) -> Pump:
    pump = Pump(constant_flow_config())
    pump.fill_reservoir(volume_ml, MORPHINE_1)
    return pump


def test_at_body_temperature_and_sea_level_it_flows_at_its_factory_rate() -> None:
    pump = constant_flow_pump()
    assert pump.program.basal == Continuous(1.0)
    pump.advance(days(5))
    assert pump.physical().delivered_ml == pytest.approx(5.0, rel=1e-12)
    # Its catheter was primed by hand at implant: drug reaches the tip from the first minute.
    assert pump.physical().delivered_mcg["morphine"] == pytest.approx(5000.0, rel=1e-12)


@given(TEMPERATURES, TEMPERATURES, PRESSURES)
def test_warmer_flows_faster_and_higher_pressure_slower(t1: float, t2: float, p: float) -> None:
    drive = PropellantDrive()
    lo, hi = sorted((t1, t2))
    slow, fast = flow_factor(drive, Conditions(lo, p)), flow_factor(drive, Conditions(hi, p))
    assert 0.0 <= slow <= fast
    assert flow_factor(drive, Conditions(hi, min(p + 10.0, 600.0))) <= fast


def test_the_figures_the_readme_gives() -> None:
    drive = PropellantDrive()
    assert flow_factor(drive, Conditions()) == 1.0
    assert flow_factor(drive, Conditions(38.0)) == pytest.approx(1.077, abs=0.002)  # a fever
    assert flow_factor(drive, Conditions(ambient_pressure_kpa=75.0)) == pytest.approx(
        1.263, abs=0.002
    )
    assert flow_factor(drive, Conditions(ambient_pressure_kpa=201.3)) < 0.001  # 10 m under water
    assert flow_factor(drive, Conditions(ambient_pressure_kpa=250.0)) == 0.0  # 15 m: it holds


@given(TEMPERATURES, PRESSURES, st.floats(hours(1), days(3)))
def test_what_it_delivers_follows_the_world(t: float, p: float, span_s: float) -> None:
    pump = constant_flow_pump()
    pump.advance(days(1))
    before = pump.physical()
    pump.set_conditions(Conditions(t, p))
    pump.advance(pump.now_s + span_s)
    after = pump.physical()
    want = flow_factor(PropellantDrive(), Conditions(t, p)) * span_s / days(1)
    assert after.pumped_ml - before.pumped_ml == pytest.approx(want, rel=1e-9, abs=1e-12)
    # The clinic reckons the reservoir at the factory rate: only a refill tells the difference.
    assert pump.status().reservoir_ml == pytest.approx(18.0 - 1.0 - span_s / days(1), rel=1e-9)


@given(TEMPERATURES, PRESSURES)
def test_a_peristaltic_pump_meters_its_volume_whatever_the_world(t: float, p: float) -> None:
    still, moved = filled_pump(), filled_pump()
    moved.set_conditions(Conditions(t, p))
    for pump in (still, moved):
        pump.advance(pump.now_s + days(2))
    assert moved.physical().delivered_ml == still.physical().delivered_ml
    assert moved.conditions == Conditions(t, p)


@pytest.mark.parametrize(
    "conditions",
    [
        Conditions(24.9, 101.325),
        Conditions(45.1, 101.325),
        Conditions(37.0, 19.0),
        Conditions(37.0, 601.0),
        Conditions(math.nan, 101.325),
        Conditions(37.0, math.inf),
    ],
)
def test_conditions_outside_physical_ranges_are_refused_and_change_nothing(
    conditions: Conditions,
) -> None:
    pump = constant_flow_pump()
    before = pump.snapshot()
    with pytest.raises(InvalidInputError) as refused:
        pump.set_conditions(conditions)
    assert refused.value.code is ErrorCode.INVALID_ARGUMENT
    assert pump.snapshot() == before


@pytest.mark.parametrize(
    "ask",
    [
        lambda p: p.set_program(TherapyProgram(Continuous(0.5))),
        lambda p: p.start_bolus(0.1, hours(1)),
        lambda p: p.start_priming_bolus(),
        lambda p: p.enter_mri_safe_mode(),
    ],
    ids=["program", "bolus", "priming", "mri"],
)
def test_a_program_bolus_or_mri_mode_is_refused_with_its_code(ask: object) -> None:
    pump = constant_flow_pump()
    before = pump.snapshot()
    with pytest.raises(NoProgramOnThisPumpError) as refused:
        ask(pump)  # type: ignore[operator]
    assert refused.value.code is ErrorCode.NO_PROGRAM_ON_THIS_PUMP
    assert pump.snapshot() == before


def test_a_fill_with_a_program_is_refused_and_a_new_concentration_changes_the_dose() -> None:
    pump = constant_flow_pump()
    pump.advance(days(10))
    pump.withdraw_reservoir()
    with pytest.raises(NoProgramOnThisPumpError):
        pump.fill_reservoir(18.0, MORPHINE_1, TherapyProgram(Continuous(0.5)))
    pump.fill_reservoir(18.0, Mix.of(morphine=2000.0))
    assert pump.program.basal == Continuous(1.0)  # the same factory rate
    start = pump.physical().delivered_mcg["morphine"]
    pump.advance(pump.now_s + days(5))  # the tubing's old drug first, then twice the dose
    assert pump.physical().delivered_mcg["morphine"] - start == pytest.approx(
        (5.0 - 0.35) * 2000.0 + 0.35 * 1000.0, rel=1e-6
    )


def test_no_motor_no_battery_faults_but_a_catheter_can_still_block() -> None:
    pump = constant_flow_pump()
    for fault in (MotorStall(pump.now_s, days(1)), PrematureEri(pump.now_s)):
        with pytest.raises(FaultRejectedError, match="constant-flow"):
            pump.inject(fault)
    pump.inject(CatheterOcclusion(pump.now_s, 0.0))
    pump.advance(days(1))
    assert pump.physical().delivered_ml == 0.0


def test_it_runs_dry_in_silence_and_has_no_battery_to_replace() -> None:
    pump = constant_flow_pump(volume_ml=5.0)
    pump.advance(days(30))
    assert pump.physical().reservoir_ml == pytest.approx(0.0, abs=1e-9)
    assert pump.status().alarms == ()  # no electronics, no alarm
    projections = pump.projections()
    assert projections.eri_at_s is None
    assert projections.end_of_service_at_s is None


def test_a_snapshot_keeps_the_world_and_the_drive() -> None:
    pump = constant_flow_pump()
    pump.set_conditions(Conditions(39.0, 75.0))
    copy = Pump.restore(pump.snapshot())
    assert copy.conditions == Conditions(39.0, 75.0)
    assert copy.config == pump.config
    for p in (pump, copy):
        p.advance(days(4))
    assert copy.physical() == pump.physical()
