"""The pump's clock over the wire: SetClock moves a schedule's steps, a clock outside the
calendar is refused with its code and changes nothing, and a restart keeps the clock, from the
journal or, for a state saved before the pump held its own clock, from the store."""

from __future__ import annotations

import pytest

from firmware_protocol.client.errors import DeviceError
from firmware_protocol.wire import messages as m
from pumpsim import FlexibleSchedule, LogKind, Mix, SchedulePeriod, Step, TherapyProgram
from pumpsim.units import days, hours

from protocol_helpers import bench

WEEK = FlexibleSchedule(
    (Step(0.0, days(3), 0.2), Step(days(3), days(4), 0.5)), SchedulePeriod.WEEKLY
)


def test_set_clock_moves_the_steps_and_a_restart_keeps_them() -> None:
    with bench() as b:
        sim = b.client(m.Role.SIMULATOR)
        sim.refill_withdraw()
        sim.refill_fill(20.0, Mix.of(morphine=1000.0), TherapyProgram(WEEK))
        assert sim.read_status().commanded_rate_ml_per_day == 0.2  # Monday
        sim.set_clock(days(3) + hours(12))  # the clinic's clock reads Thursday noon
        status = sim.read_status()
        assert status.clock_offset_s == days(3) + hours(12)
        assert status.commanded_rate_ml_per_day == 0.5  # Thursday's step, as the clock says
        b.restart()
        after = b.client(m.Role.SIMULATOR).read_status()
        assert after.clock_offset_s == days(3) + hours(12)
        assert after.commanded_rate_ml_per_day == 0.5


@pytest.mark.parametrize("offset_s", [1e12, -1e12])
def test_a_clock_outside_the_calendar_is_refused_with_its_code(offset_s: float) -> None:
    with bench() as b:
        clinician = b.client(m.Role.CLINICIAN)
        before = clinician.read_status()
        with pytest.raises(DeviceError) as refused:
            clinician.set_clock(offset_s)
        assert refused.value.code == "CLOCK_OUT_OF_RANGE"
        after = clinician.read_status()
        assert after.clock_offset_s == before.clock_offset_s == 0.0
        assert after.log_next_index == before.log_next_index


def test_a_state_saved_before_the_pump_held_its_clock_takes_the_stores_at_power_up() -> None:
    """An older pumpsim kept the clock beside the pump: its stored offset wins, once, logged."""
    with bench() as b:
        b.client(m.Role.SIMULATOR).read_status()
        fw = b.firmware
        fw.store.save_clock(fw.clock.anchor, hours(-5))  # what an older firmware would have kept
        fw = b.restart()
        assert fw.pump.clock_offset_s == hours(-5)
        assert [r.details["offset_s"] for r in fw.pump.log.of_kind(LogKind.CLOCK_SET)] == [
            hours(-5)
        ]
        fw = b.restart()  # the next power-up finds them agreeing: nothing more is logged
        assert len(fw.pump.log.of_kind(LogKind.CLOCK_SET)) == 1
