"""The class's conduct: each seat's scenario turn, the console's glance at a seat, its faults, the
class clock. Every call here blocks on a seat's rig port; the server runs them off its event loop.

Why the scenario runs here and not in the trainee's programmer: in a classroom the instructor
owns the scenario (LLEAP's split of roles), the trainee sees only a clinician's programmer, and a
reloaded page must not restart the lesson. The turn is the trainer mode's own
(`inject_due_faults`, the player's `over` and `debrief`), so a seat's debrief is the one the
trainer mode writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from firmware_protocol.client.pump_client import DeviceError
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from programmer_tui import format as fmt
from programmer_tui.panes.simulator import FAULTS
from programmer_tui.training import Debrief, inject_due_faults
from pumpsim_classroom.seats import Seat

JUDGE_EVERY = 5  # turns between two judgements of a running seat's expectations (they read logs)
MAX_NOTES = 8


@dataclass(frozen=True)
class SeatGlance:
    """What the console shows of one seat (plain values, ready for JSON)."""

    number: int
    connected: bool  # a programmer holds the seat's telemetry session
    at_s: float
    day: str
    paused: bool
    acceleration: float
    program: str
    reservoir_ml: float
    capacity_ml: float
    alarms: tuple[str, ...]
    patient: str  # "" when the scenario has no patient
    patient_worst: str
    progress: float  # of the scenario's duration, 0-1
    expectations_met: int | None  # None: not judged yet
    expectations: int
    finished: bool
    notes: tuple[str, ...]


def refusals(seat: Seat) -> list[str]:
    """The codes the pump refused the trainee's commands with, from the replies it stored (the
    trainer mode counts what its own programmer was refused; here the programmer is elsewhere)."""
    stored = seat.firmware.store.responses_of_type(m.SPECS[m.ErrorReply].code)
    return [str(codec.decode(m.ErrorReply, response).code) for response in stored]


def judge(seat: Seat) -> Debrief:
    with seat.firmware.lock:  # one consistent reading while the trainee's line waits
        seat.debrief = seat.player.debrief(seat.rig, refusals(seat))
    return seat.debrief


def turn(seat: Seat, count: int) -> None:
    """One turn of a seat's scenario: inject what is due, end it when its time is up."""
    if seat.finished:
        return
    status = seat.rig.read_status()
    for note in inject_due_faults(seat.player, seat.rig, status.at_s):
        _note(seat, status.at_s, note.replace("Something has changed in the pump…", "fault due"))
    if seat.player.over(status.at_s):
        seat.rig.sim_set_speed(status.acceleration, True)  # as the trainer mode pauses
        seat.finished = seat.player.finished = True
        judge(seat)
        _note(seat, status.at_s, "the scenario's time is up: the seat's clock is stopped")
    elif count % JUDGE_EVERY == 0:
        judge(seat)


def glance(seat: Seat) -> SeatGlance:
    status = seat.rig.read_status()
    patient, worst = "", ""
    if seat.player.scenario.patient is not None:
        report = seat.rig.sim_patient(0)
        if report.attached:
            worst = report.worst
            exposure = ", ".join(f"{e.drug} {e.exposure:.2f}x baseline" for e in report.exposures)
            signs = "; ".join(f"{s.sign} ({s.severity})" for s in report.signs_now) or "no sign"
            patient = f"{exposure}: {signs}"
    debrief = seat.debrief
    sc = seat.player.scenario
    return SeatGlance(
        number=seat.number,
        connected=seat.firmware.sessions.session is not None,
        at_s=status.at_s,
        day=fmt.when(status.at_s, status.clock_offset_s),
        paused=status.paused,
        acceleration=status.acceleration,
        program=_program(status),
        reservoir_ml=round(status.reservoir_ml, 3),
        capacity_ml=status.reservoir_capacity_ml,
        alarms=tuple(str(a.kind) for a in fmt.by_urgency(status.alarms)),
        patient=patient,
        patient_worst=worst,
        progress=min(1.0, status.at_s / sc.duration_s) if sc.duration_s else 1.0,
        expectations_met=None if debrief is None else sum(ok for ok, _ in debrief.lines),
        expectations=len(sc.expectations),
        finished=seat.finished,
        notes=tuple(seat.notes[-MAX_NOTES:]),
    )


def _program(status: m.Status) -> str:
    mode = fmt.program_mode(status.program)
    if status.variant == "constant_flow":
        mode = f"constant flow {status.commanded_rate_ml_per_day:g} mL/day (factory rate)"
    return f"{mode} of {fmt.mix(status.mix, 'nothing')}"


def fault_names() -> list[str]:
    """The faults the console offers: the Simulator tab's own list."""
    return list(FAULTS)


def inject(seat: Seat, name: str) -> str:
    """Inject one of the named faults into a seat now; what happened, in words."""
    status = seat.rig.read_status()
    try:
        seat.rig.sim_inject_fault(json.dumps({**FAULTS[name], "in_s": 0}))
    except DeviceError as e:
        _note(seat, status.at_s, f"instructor's fault refused ({e.code}): {name}")
        return f"seat {seat.number}: refused ({e.code}) {e.message}"
    _note(seat, status.at_s, f"instructor injected: {name}")
    return f"seat {seat.number}: {name} injected"


def set_speed(seats: Iterable[Seat], acceleration: float | None, paused: bool) -> None:
    """The class clock: every seat still in its scenario runs at one speed, or stops."""
    for seat in seats:
        if seat.finished:
            continue
        speed = acceleration if acceleration is not None else seat.rig.read_status().acceleration
        seat.rig.sim_set_speed(speed, paused)


def step(seats: Iterable[Seat], seconds: float) -> None:
    """Move every seat still in its scenario on by `seconds` of pump time at once."""
    for seat in seats:
        if not seat.finished:
            seat.rig.sim_advance(seconds)


def end(seats: Iterable[Seat]) -> list[Debrief]:
    """Stop every seat's clock and judge it: the class debrief's material."""
    out = []
    for seat in seats:
        status = seat.rig.read_status()
        seat.rig.sim_set_speed(status.acceleration, True)
        seat.finished = seat.player.finished = True
        out.append(judge(seat))
    return out


def _note(seat: Seat, at_s: float, text: str) -> None:
    seat.notes.append(f"day {at_s / 86400:.1f}: {text}")
