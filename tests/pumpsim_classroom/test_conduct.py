"""A seat's lesson as the class loop conducts it: the scenario's faults on their days, the seat's
clock stopped when its time is up, and the debrief the trainer mode would write."""

from __future__ import annotations

from pathlib import Path

from pumpsim import CatheterDislodgement
from pumpsim_classroom import conduct
from pumpsim_classroom.seats import open_seat
from pumpsim_scenarios.files import library, spec


def test_a_seat_plays_its_scenario_to_the_end_and_is_judged(tmp_path: Path) -> None:
    scenario = spec.load(library.resolve("dislodgement"))[0]
    seat = open_seat(1, tmp_path, scenario, 3600.0, paused=True)
    try:
        assert [type(f) for f in seat.firmware.pump.faults] == [CatheterDislodgement]
        conduct.turn(seat, 1)
        assert not seat.finished
        seat.rig.sim_advance(scenario.duration_s + 3600.0)  # nobody refilled, nobody noticed
        conduct.turn(seat, 2)
        assert seat.finished
        assert seat.firmware.clock.paused
        debrief = seat.debrief
        assert debrief is not None
        assert len(debrief.lines) == len(scenario.expectations)
        assert not debrief.passed  # the refill the lesson expects never happened
        assert any("withdrawal" in line for line in debrief.patient), debrief.patient
        look = conduct.glance(seat)
        assert look.finished
        assert look.paused
        assert look.progress == 1.0
        assert look.expectations == len(scenario.expectations)
        assert look.expectations_met == sum(ok for ok, _ in debrief.lines)
        assert any("time is up" in n for n in look.notes)
    finally:
        seat.close()


def test_a_fault_the_pump_refuses_is_said_so_and_changes_nothing(tmp_path: Path) -> None:
    scenario = spec.load(library.resolve("constant-flow-fever"))[0]
    seat = open_seat(1, tmp_path, scenario, 3600.0, paused=True)
    try:
        before = seat.firmware.pump.faults
        said = conduct.inject(seat, "motor stall (2 h)")  # a constant-flow pump has no motor
        assert "refused" in said
        assert seat.firmware.pump.faults == before
        assert "refused" in seat.notes[-1]
    finally:
        seat.close()
