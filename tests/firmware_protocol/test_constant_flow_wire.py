"""A constant-flow pump over the wire (protocol 4): it describes its factory rate, refuses a
program at staging and at a fill with NO_PROGRAM_ON_THIS_PUMP, and the simulator role sets the
world at the pump, which its flow follows (and a restart keeps)."""

from __future__ import annotations

import pytest

from firmware_protocol.client.errors import DeviceError
from firmware_protocol.wire import messages as m
from pumpsim import Continuous, Mix, TherapyProgram, constant_flow_config
from pumpsim.units import days

from protocol_helpers import bench


def test_a_constant_flow_pump_is_described_filled_and_moved_by_the_world() -> None:
    with bench(config=constant_flow_config()) as b:
        sim = b.client(m.Role.SIMULATOR)
        description = sim.read_description()
        assert description.variant == "constant_flow"
        assert description.factory_rate_ml_per_day == 1.0
        sim.refill_withdraw()
        sim.refill_fill(18.0, Mix.of(morphine=1000.0))
        assert sim.read_status().program.rate_ml_per_day == 1.0
        sim.sim_set_conditions(37.0, 75.0)
        sim.sim_advance(days(1))
        truth = sim.sim_truth()
        assert truth.ambient_pressure_kpa == 75.0
        assert truth.delivered_ml == pytest.approx(1.263, abs=0.002)
        b.restart()
        again = b.client(m.Role.SIMULATOR).sim_truth()
        assert again.ambient_pressure_kpa == 75.0
        assert again.delivered_ml == truth.delivered_ml


def test_a_program_is_refused_at_staging_and_with_a_fill() -> None:
    with bench(config=constant_flow_config()) as b:
        clinician = b.client(m.Role.CLINICIAN)
        clinician.refill_withdraw()
        with pytest.raises(DeviceError) as refused:
            clinician.refill_fill(18.0, Mix.of(morphine=1000.0), TherapyProgram(Continuous(0.5)))
        assert refused.value.code == "NO_PROGRAM_ON_THIS_PUMP"
        clinician.refill_fill(18.0, Mix.of(morphine=1000.0))
        with pytest.raises(DeviceError) as refused:
            clinician.stage_program(TherapyProgram(Continuous(0.5)))
        assert refused.value.code == "NO_PROGRAM_ON_THIS_PUMP"
        with pytest.raises(DeviceError) as refused:
            clinician.mri_enter()
        assert refused.value.code == "NO_PROGRAM_ON_THIS_PUMP"


@pytest.mark.parametrize(("temperature_c", "pressure_kpa"), [(50.0, 101.325), (37.0, 10.0)])
def test_conditions_outside_physical_ranges_are_refused(
    temperature_c: float, pressure_kpa: float
) -> None:
    with bench(config=constant_flow_config()) as b:
        sim = b.client(m.Role.SIMULATOR)
        with pytest.raises(DeviceError) as refused:
            sim.sim_set_conditions(temperature_c, pressure_kpa)
        assert refused.value.code == "INVALID_ARGUMENT"
        assert sim.sim_truth().body_temperature_c == 37.0


def test_only_the_simulator_sets_the_world() -> None:
    with bench() as b:
        with pytest.raises(DeviceError) as refused:
            b.client(m.Role.CLINICIAN).sim_set_conditions(39.0, 101.325)
        assert refused.value.code == "ROLE_FORBIDDEN"
