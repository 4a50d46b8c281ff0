"""Swarm testing of the whole stack: random lives from a seed, crashes and a bad line, checked.

In the spirit of FoundationDB's simulation testing and TigerBeetle's VOPR: each seed draws a life
(commands from every role, valid and unsafe; line faults that come and go; the firmware's power
cut at chosen points: right after a command is made durable, in the middle of a log download,
during a handshake, at a random write to the line or to the memory) and runs it through the real
firmware, link and client on virtual time (time itself passes through the pump's rig port, as
it does without a telemetry session). The memory stands on a simulated disk (`seed_life`)
that keeps, drops or tears what was not synced when the power goes, and rots sectors in one of
its two banks. After every step the checker asks:

- every acknowledged command is in the pump's memory, and no transaction was committed twice;
- the pump equals a reference model fed each committed command once, in commit order, from what
  the programmer sent (not from the firmware's own journal);
- nothing unsafe was applied (the program in force passes the pump's own validation);
- the firmware never raised (and never answered INTERNAL).

Then the life heals (TigerBeetle's liveness mode): a clean line and no more power cuts; within
`HEAL_BOUND_S` of virtual time every programmer reconnects and every command left without an
answer is settled by its transaction id, the pump must equal the reference again, and the
history of every command invoked (`history`) must show none lost, duplicated or unexpected.

The same seed gives the same life and the same bytes: `digest` hashes every byte on the line.
A failing seed is reported with the command that reproduces it and the shortest prefix of its
life that still fails.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from firmware_protocol.client.pump_client import ClientError, DeviceError
from firmware_protocol.client.recovery import connect, deliver
from firmware_protocol.device.store import NvStore
from firmware_protocol.harness.simulated import SimulatedPump, simulated_pump
from firmware_protocol.line.fault_sites import FaultSites
from firmware_protocol.line.line_faults import LineFaults
from firmware_protocol.line.virtual_time import PowerCut
from firmware_protocol.wire import convert
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import FrameDecoder
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
from pumpsim.patient.profile import typical
from pumpsim.units import days, hours, minutes
from pumpsim_scenarios.swarm.checks import Checks
from pumpsim_scenarios.swarm.history import History, Outcome
from pumpsim_scenarios.swarm.memory import PLANTED, TappedStore
from pumpsim_scenarios.swarm.report import HEAL_BOUND_S, report
from pumpsim_scenarios.swarm.seed_life import SeedResult, life_config, life_disk

__all__ = ["PLANTED", "STEPS", "SeedResult", "job", "report", "run_seed", "shortest_failing"]

STEPS = 40
# Refusals that come before a request becomes a transaction (so the pump keeps no record of it).
_NOT_TRANSACTIONS = {
    m.WireError.ROLE_FORBIDDEN,
    m.WireError.UNKNOWN_MESSAGE,
    m.WireError.MALFORMED_MESSAGE,
    m.WireError.TXN_REUSED,
}
Role = m.Role
MIXES = ((("morphine", 10_000.0),), (("ziconotide", 25.0),), (("baclofen", 500.0),))


# ------------------------------------------------------------------------------ one life


class Life(Checks):
    """One seed's life: a simulated pump on virtual time, its programmers, a saboteur that cuts
    the power at armed moments, and the checker's reference pump."""

    def __init__(self, seed: int, steps: int, plant: str | None) -> None:
        self.rng = random.Random(seed)
        self.result = SeedResult(seed, steps)
        self.faults = (LineFaults(), LineFaults())
        self.armed: str | None = None
        self.writes_left = 0
        self.disk = life_disk(seed, plant)
        self.store = PLANTED.get(plant or "", TappedStore)(self.disk)
        self.disk.on_write = self._on_disk_write
        self.config = life_config(self.rng)
        # A life of years: its span, and refills every one to three months of it.
        self.span_s = days(self.rng.uniform(365.0, 730.0))
        self.next_refill_s = days(self.rng.uniform(30.0, 90.0))
        self.sites = FaultSites(random.Random(f"fault sites {seed}"))
        self.sim: SimulatedPump = simulated_pump(
            seed=seed, config=self.config, faults=self.faults, store=self.store, sites=self.sites
        )
        self.digest = hashlib.sha256()
        assert self.sim.line is not None
        self.sim.line.tap = self._tap
        self.store.on_commit = self._on_commit
        self.reference = Pump(self.config)
        self.sent: dict[int, Any] = {}  # txn -> request, as the programmer sent it
        self.staged: dict[int, TherapyProgram] = {}
        self.applied_txns: set[int] = set()
        self.acknowledged: list[int] = []
        self.history = History()
        self.seen_commits = 0
        self.reference_cpu_s = 0.0
        self.clients = {
            role: self.sim.client(role, connect=False, reply_timeout_s=2.0) for role in Role
        }

    def close(self) -> None:
        """Let the life's memory go: SQLite holds its disk's files until the store is closed,
        which the garbage collector cannot see (10,000 lives held 12 GB before this)."""
        self.disk.on_write = None
        self.store.on_commit = None
        self.store.close()

    # ----------------------------------------------------------------- saboteur and taps

    def _tap(self, side: int, data: bytes) -> None:
        self.digest.update(bytes([side]) + len(data).to_bytes(4, "big") + data)
        if side != 1 or self.armed is None:
            return
        if self.armed == "handshake":
            for frame in FrameDecoder().feed(data):
                if frame.msg_type == m.SPECS[m.Challenge].code:
                    self._cut()
        elif self.armed in ("bulk", "write"):
            self.writes_left -= 1
            if self.writes_left <= 0:
                self._cut()

    def _on_commit(self) -> None:
        if self.armed == "commit":
            self._cut()

    def _on_disk_write(self) -> None:
        if self.armed == "disk":
            self.writes_left -= 1
            if self.writes_left <= 0:
                self._cut()  # mid-commit: its writes not yet synced meet the power cut

    def _cut(self) -> None:
        self.disk.power_fail()
        self.armed = None
        self.result.crashes += 1
        raise PowerCut

    def violation(self, message: str) -> None:
        entry = f"step {len(self.result.trace)}: {message}"
        if len(self.result.violations) < 20 and entry not in self.result.violations:
            self.result.violations.append(entry)

    # ------------------------------------------------------------------ talking to the pump

    def _revive_if_dead(self) -> None:
        while self.sim.world is not None and self.sim.world.device is None:
            try:
                self.sim.restart()
            except PowerCut:  # cut again while powering up (its recovery writes): once more
                self.sim.kill()

    def request(self, role: Role, msg: Any) -> Any:
        """Send until its outcome is known (`recovery.deliver`), powering the pump back up when
        it is dead; the reply, the pump's refusal, or None if it never got through."""
        txn = getattr(msg, "txn", None)
        if txn is not None:
            self.sent[txn] = msg
            self.result.commands += 1
        try:
            reply = deliver(
                self.clients[role], msg, before_retry=self._revive_if_dead, wait=self.sim.advance
            )
        except DeviceError as e:
            if e.code == m.WireError.INTERNAL:
                self.violation(f"the firmware answered INTERNAL: {e}")
            if txn is not None:
                self.history.record(txn, type(msg).__name__, Outcome.FAILED)
            if e.code in _NOT_TRANSACTIONS:
                return e  # refused before it became a transaction: nothing to keep
            reply = e
        if txn is not None and not isinstance(reply, DeviceError):
            outcome = Outcome.INDETERMINATE if reply is None else Outcome.OK
            self.history.record(txn, type(msg).__name__, outcome)
        if reply is not None and txn is not None:
            self.acknowledged.append(txn)
            self.result.acknowledged += 1
        return reply

    # ----------------------------------------------------------------------- the steps

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
        self.writes_left = self.rng.randint(1, 6)
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

    def rig(self, msg: Any) -> Any:
        """The world's own doing (time passing) through the pump's rig port, as the classroom's
        console does it: no telemetry session is opened for it (none is, when time passes), but
        the same dispatch, journal and power cuts. A cut leaves it indeterminate, for healing."""
        self._revive_if_dead()
        txn = msg.txn
        self.sent[txn] = msg
        self.result.commands += 1
        try:
            (reply,) = self.sim.firmware.rig(msg)
        except PowerCut:
            self.sim.kill()
            self.history.record(txn, type(msg).__name__, Outcome.INDETERMINATE)
            return None
        refused = isinstance(reply, m.ErrorReply)
        if refused and reply.code == m.WireError.INTERNAL:
            self.violation(f"the firmware answered INTERNAL: {reply.message}")
        self.history.record(txn, type(msg).__name__, Outcome.FAILED if refused else Outcome.OK)
        self.acknowledged.append(txn)
        self.result.acknowledged += 1
        return reply

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

    def run(self) -> SeedResult:
        self.note("implant")
        client = self.clients[Role.CLINICIAN]
        self.request(Role.CLINICIAN, m.RefillWithdraw(client.new_txn()))
        spec = convert.program_to_spec(TherapyProgram(Continuous(0.1)))
        mix = (m.DrugSpec("morphine", 10_000.0),)
        self.request(
            Role.CLINICIAN, m.RefillFill(client.new_txn(), 18.0, mix, (spec,), None, False)
        )
        # A virtual patient rides every life (stable on morphine, knowing the other drugs the
        # refills may bring by their absence): the reference carries the same one and must agree.
        sim = self.clients[Role.SIMULATOR]
        person = convert.patient_to_spec(typical({"morphine": 1000.0}, f"life-{self.result.seed}"))
        self.request(Role.SIMULATOR, m.SimAttachPatient(sim.new_txn(), (person,)))
        self.check()
        for index in range(self.result.steps):
            try:
                self.days_go_by(index)
                self.step()
            except Exception as e:  # the firmware (or a client) raised: never acceptable
                self.violation(f"raised {type(e).__name__}: {e}")
                break
            self.check()
        try:
            if not self.result.violations:
                self.to_the_end()
            self._revive_if_dead()
            self.check()
            if not self.result.violations:
                self.heal()
        except Exception as e:  # a firmware that cannot power up, say: a violation, not a crash
            self.violation(f"raised {type(e).__name__}: {e}")
        assert self.sim.line is not None
        dropped, corrupted = self.sim.line.fault_stats()
        self.result.line_faults = dropped + corrupted
        self.result.digest = self.digest.hexdigest()
        self._note_coverage()
        self.result.sites_enabled = tuple(sorted(self.sites.enabled))
        self.result.sites_fired = dict(sorted(self.sites.fired.items()))
        self.result.disk = self.disk.counts
        return self.result

    def _note_coverage(self) -> None:
        """What of a pump's life this one met, for the report (a life of years should)."""
        if self.sim.world is not None and self.sim.world.device is None:
            return
        pump = self.sim.pump
        status = pump.status()
        self.result.sim_days = pump.now_s / 86400.0
        self.result.reached_eri = status.eri_at_s is not None
        self.result.reached_end_of_service = status.end_of_service_at_s is not None
        self.result.log_wrapped = pump.log.first_index > 0
        self.result.snapshots = self.store.snapshots

    def heal(self) -> None:
        """The second phase: a clean line, no more power cuts. Within `HEAL_BOUND_S` of virtual
        time every programmer reconnects and every command left indeterminate is settled (asked
        about by its id); then the pump must equal the reference and the history must hold."""
        self.note("heal: a clean line, no more power cuts")
        self.armed = None
        self._clear_line()
        self._revive_if_dead()
        assert self.sim.clock is not None
        started = self.sim.clock.monotonic()
        for role, client in self.clients.items():
            if not connect(client, wait=self.sim.advance):
                self.violation(f"did not converge: the {role} programmer cannot reconnect")
        asker = self.clients[Role.SIMULATOR]
        for invocation in self.history.pending():
            status = deliver(asker, m.TxnQuery(invocation.txn), wait=self.sim.advance)
            if status is None:
                self.violation(f"did not converge: {invocation.command} never settled")
                continue
            stored_error = status.response_type == m.SPECS[m.ErrorReply].code
            invocation.found_applied = bool(status.known) and not stored_error
        self.result.heal_s = self.sim.clock.monotonic() - started
        if self.result.heal_s > HEAL_BOUND_S:
            self.violation(f"did not converge within {HEAL_BOUND_S:g} s: {self.result.heal_s:.1f}")
        self.check()
        commits = [txn for _, txn in self.store.committed if txn is not None]
        counts = self.history.check(NvStore.transaction_ids(self.store), commits)
        self.result.history = counts
        for message in counts.violations:
            self.violation(message)


def run_seed(seed: int, steps: int = STEPS, plant: str | None = None) -> SeedResult:
    life = Life(seed, steps, plant)
    try:
        return life.run()
    finally:
        life.close()


def shortest_failing(seed: int, steps: int, plant: str | None = None) -> SeedResult:
    """The shortest prefix of a failing life that still fails (lives are prefixes of each other)."""
    low, high = 0, steps
    failing = run_seed(seed, steps, plant)
    while low < high:
        middle = (low + high) // 2
        attempt = run_seed(seed, middle, plant)
        if attempt.violations:
            high, failing = middle, attempt
        else:
            low = middle + 1
    return failing


def job(item: tuple[int, int, str | None]) -> SeedResult:
    """One seed, as a picklable job for `spread`."""
    return run_seed(*item)
