"""What a life does, step by step: the random acts of every role (programs valid and unsafe,
refills with right and wrong volumes, boluses, MRI, log downloads, simulator faults and clock
changes), the weather on the line, the power cuts it arms, and time passing on its calendar.

Why apart from `lives.Life`: drawing what happens next is one job; sending it, cutting the power
and checking the pump are others. `Life` inherits these steps and supplies what they send with
(`request`, `rig`) and the state they read.
"""

from __future__ import annotations

import random
from typing import Any

from firmware_protocol.client.pump_client import ClientError, DeviceError, PumpClient
from firmware_protocol.client.recovery import connect
from firmware_protocol.harness.simulated import SimulatedPump
from firmware_protocol.line.line_faults import LineFaults
from firmware_protocol.wire import convert
from firmware_protocol.wire import messages as m
from pumpsim import (
    CatheterOcclusion,
    Continuous,
    Fault,
    FlexibleSchedule,
    MotorStall,
    Pump,
    Step,
    TherapyProgram,
)
from pumpsim.domain.program import PatientBolusSettings
from pumpsim.units import days, hours, minutes
from pumpsim_scenarios.swarm.seed_life import SeedResult

Role = m.Role
STEPS = 40
MIXES = ((("morphine", 10_000.0),), (("ziconotide", 25.0),), (("baclofen", 500.0),))


class Steps:
    """The steps of one life; what they send through and the state they read are the life's."""

    rng: random.Random
    result: SeedResult
    faults: tuple[LineFaults, LineFaults]
    sim: SimulatedPump
    clients: dict[m.Role, PumpClient]
    reference: Pump
    staged: dict[int, TherapyProgram]
    span_s: float
    next_refill_s: float
    armed: str | None
    writes_left: int

    def request(self, role: m.Role, msg: Any) -> Any:
        raise NotImplementedError

    def rig(self, msg: Any) -> Any:
        raise NotImplementedError

    def check(self) -> None:
        raise NotImplementedError

    def violation(self, message: str) -> None:
        raise NotImplementedError

    def _revive_if_dead(self) -> None:
        raise NotImplementedError

    def step(self) -> None:
        rng = self.rng
        if self.reference.now_s >= self.next_refill_s:
            self.note("the refill is due")
            self.refill()
            self.next_refill_s = self.reference.now_s + days(rng.uniform(30.0, 90.0))
            return
        roll = rng.random()
        if roll < 0.12:
            self.weather()
        elif roll < 0.24:
            self.arm()
        elif roll < 0.40:
            self.program()
        elif roll < 0.52:
            self.refill()
        elif roll < 0.64:
            self.patient()
        elif roll < 0.74:
            self.advance()
        elif roll < 0.82:
            self.bolus()
        elif roll < 0.88:
            self.mri()
        elif roll < 0.94:
            self.read_log()
        else:
            self.misc()

    def note(self, text: str) -> None:
        self.result.trace.append(text)

    def _clear_line(self) -> None:
        for f in self.faults:
            f.drop_frame_rate = f.bit_flip_rate = 0.0
            f.duplicate_frame_rate = f.reorder_frame_rate = 0.0

    def weather(self) -> None:
        out, inn = self.faults
        if self.rng.random() < 0.3:
            self._clear_line()
            self.note("the line clears")
            return
        for f in (out, inn):
            f.drop_frame_rate = self.rng.choice([0.0, 0.05, 0.2])
            f.bit_flip_rate = self.rng.choice([0.0, 1e-4, 1e-3])
            f.duplicate_frame_rate = self.rng.choice([0.0, 0.1])
            f.reorder_frame_rate = self.rng.choice([0.0, 0.1])
        self.note(f"the line turns bad: {out}")

    def arm(self) -> None:
        kind = self.rng.choice(["commit", "bulk", "handshake", "write", "disk"])
        self.armed = kind
        # A cut at a write to the memory may fall anywhere in the next commit or two: one that
        # checkpoints writes some forty times (its log's frames, then the database's pages).
        self.writes_left = self.rng.randint(1, 48 if kind == "disk" else 6)
        self.note(f"a power cut is armed ({kind})")
        if kind == "handshake":
            for client in self.clients.values():
                client.close()

    def _stage_and_confirm(self, program: TherapyProgram, override: bool) -> None:
        review = self.request(Role.CLINICIAN, m.StageProgram(convert.program_to_spec(program)))
        if not isinstance(review, m.ProgramReview) or not review.accepted:
            return
        self.staged[review.stage_id] = program
        client = self.clients[Role.CLINICIAN]
        self.request(Role.CLINICIAN, m.ConfirmProgram(client.new_txn(), review.stage_id, override))

    def _random_program(self) -> TherapyProgram:
        rng = self.rng
        rate = rng.choice([0.048, 0.1, 0.25, 0.5, 1.5, 6.0])  # the last ones are unsafe doses
        pb = None
        if rng.random() < 0.5:
            pb = PatientBolusSettings(0.02, minutes(10), hours(rng.choice([1, 3])), 4)
        if rng.random() < 0.5:
            steps = (Step(0.0, hours(8), rate / 2), Step(hours(8), hours(16), rate))
            return TherapyProgram(FlexibleSchedule(steps), pb)
        return TherapyProgram(Continuous(rate), pb)

    def program(self) -> None:
        program = self._random_program()
        override = self.rng.random() < 0.5
        self.note(f"program {program.basal} override={override}")
        self._stage_and_confirm(program, override)

    def refill(self) -> None:
        client = self.clients[Role.CLINICIAN]
        self.request(Role.CLINICIAN, m.RefillWithdraw(client.new_txn()))
        mix = self.rng.choice(MIXES)
        volume = self.rng.choice([5.0, 18.0, 20.0, 25.0])  # 25 mL does not fit a 20 mL pump
        programs: tuple[m.ProgramSpec, ...] = ()
        if self.rng.random() < 0.5:
            programs = (convert.program_to_spec(self._random_program()),)
        override = self.rng.random() < 0.5
        self.note(f"refill {volume} mL of {mix}")
        specs = tuple(m.DrugSpec(d, c) for d, c in mix)
        fill = m.RefillFill(client.new_txn(), volume, specs, programs, None, override)
        self.request(Role.CLINICIAN, fill)

    def patient(self) -> None:
        client = self.clients[Role.PATIENT]
        self.note("the patient asks for a bolus")
        self.request(Role.PATIENT, m.PatientBolusRequest(client.new_txn()))
        if self.rng.random() < 0.2:
            self.note("the patient's device tries a clinician bolus")
            bolus = m.ClinicianBolus(client.new_txn(), 0.1, 3600.0)
            reply = self.request(Role.PATIENT, bolus)
            refused = isinstance(reply, DeviceError) and reply.code == m.WireError.ROLE_FORBIDDEN
            if reply is not None and not refused:
                self.violation(f"a patient device was not refused a clinician bolus: {reply}")

    def days_go_by(self, index: int) -> None:
        """The life's calendar: step `index` comes at its share of the life's span (a year or
        two over the default steps), so that refills fall due every one to three months."""
        # STEPS, not this life's own count: a shorter life is then a prefix of a longer one
        # (which `shortest_failing` needs), whatever its length.
        left = self.span_s * index / STEPS - self.reference.now_s
        if left > 0:
            self._pass(left)

    def advance(self) -> None:
        """A short while passes between two of the calendar's steps (a bolus running out, a
        lockout, a day)."""
        self._pass(self.rng.choice([minutes(30), hours(6), days(1)]))

    def _pass(self, seconds: float) -> None:
        self.note(f"time passes: {seconds:g} s")
        client = self.clients[Role.SIMULATOR]
        self.rig(m.SimAdvance(client.new_txn(), seconds))

    def to_the_end(self) -> None:
        """The rest of the life's span, at once, if the steps did not use it all up (again if a
        power cut took the first try: the life is to span its year)."""
        for _ in range(4):
            self.check()  # the pump powered up, the reference caught up with what it holds
            left = self.span_s - self.reference.now_s
            if left <= 0 or self.result.violations:
                return
            self._pass(left)

    def bolus(self) -> None:
        client = self.clients[Role.CLINICIAN]
        volume = self.rng.choice([0.01, 0.1, 1.0, 50.0])
        self.note(f"clinician bolus {volume} mL")
        self.request(Role.CLINICIAN, m.ClinicianBolus(client.new_txn(), volume, hours(1)))

    def mri(self) -> None:
        client = self.clients[Role.CLINICIAN]
        self.note("MRI")
        self.request(Role.CLINICIAN, m.MriEnter(client.new_txn()))
        self.request(Role.CLINICIAN, m.MriExit(client.new_txn()))

    def read_log(self) -> None:
        self.note("the log is downloaded")
        client = self.clients[Role.CLINICIAN]
        for _ in range(4):
            if not client.connected and not connect(
                client, before_each=self._revive_if_dead, wait=self.sim.advance
            ):
                continue
            try:
                client.read_log()
                return
            except ClientError:
                self._revive_if_dead()

    def misc(self) -> None:
        client = self.clients[Role.SIMULATOR]
        roll = self.rng.random()
        if roll < 0.4:
            faults: list[Fault] = [
                CatheterOcclusion(0.0, 0.5),
                MotorStall(0.0, hours(2)),
                MotorStall(0.0, None),
            ]
            fault = self.rng.choice(faults)
            self.note(f"fault {fault}")
            text = convert.fault_to_json(fault)
            self.request(Role.SIMULATOR, m.SimInjectFault(client.new_txn(), text))
        elif roll < 0.7:
            self.note("alarms acknowledged")
            self.request(Role.SIMULATOR, m.AcknowledgeAlarms(client.new_txn(), ()))
        else:
            offset = self.rng.choice([-3600.0, 0.0, 7200.0])
            self.note(f"clock set to {offset:+g} s")
            self.request(Role.SIMULATOR, m.SetClock(client.new_txn(), offset))
