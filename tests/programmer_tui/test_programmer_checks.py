"""The programmer's form check and the pump's own verdict agree, on a pump unlike the default.

The pump is a 20 mL valve-gated one with a narrower rate range, a coarser resolution and fewer
schedule steps; the programmer learns all of it from the pump's description, so a program the
form accepts is one the pump accepts, and each refusal carries the same codes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.wire import convert
from programmer_tui.checks import PumpRules
from pumpsim import Continuous, Mix, PumpConfig, PumpVariant, TherapyProgram

from strategies import programs

UNUSUAL = PumpConfig(
    variant=PumpVariant.VALVE_GATED,
    reservoir_capacity_ml=20.0,
    min_rate_ml_per_day=0.1,
    max_rate_ml_per_day=3.0,
    rate_resolution_ml_per_day=0.01,
    max_schedule_steps_per_day=6,
)


@pytest.fixture(scope="module")
def client() -> Iterator[PumpClient]:
    pump = simulated_pump(seed=5, config=UNUSUAL)
    c = pump.client()
    c.refill_withdraw()
    c.refill_fill(18.0, Mix.of(morphine=2000.0, clonidine=100.0), TherapyProgram(Continuous(0.5)))
    yield c
    pump.close()


def test_the_description_is_the_pumps_configuration(client: PumpClient) -> None:
    rules = PumpRules.of(client.read_description())
    assert rules.reported
    for name in (
        "variant",
        "reservoir_capacity_ml",
        "min_rate_ml_per_day",
        "max_rate_ml_per_day",
        "rate_resolution_ml_per_day",
        "max_schedule_steps_per_day",
    ):
        assert getattr(rules.config, name) == getattr(UNUSUAL, name)
    # Every limit of every drug (a note for people does not travel).
    default = [dataclasses.replace(d, note="") for d in PumpRules().library.values()]
    assert list(rules.library.values()) == default


@settings(max_examples=60)
@given(program=programs(), alarm=st.sampled_from([1.0, 19.0, 25.0]))
def test_the_form_and_the_pump_give_the_same_verdict(
    client: PumpClient, program: TherapyProgram, alarm: float
) -> None:
    program = TherapyProgram(program.basal, program.patient_bolus, alarm)
    rules = PumpRules.of(client.read_description())
    mix = convert.mix_from_specs(client.read_status().mix)
    local = [str(v.code) for v in rules.violations(program, mix)]
    review = client.stage_program(program)
    assert review.accepted == (not local)
    assert [v.code for v in review.violations] == local
