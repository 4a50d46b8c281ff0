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

from firmware_protocol.client.pump_client import DeviceError
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
    Continuous,
    Pump,
    TherapyProgram,
)
from pumpsim.patient.profile import typical
from pumpsim.units import days
from pumpsim_scenarios.swarm.checks import Checks
from pumpsim_scenarios.swarm.history import History, Outcome
from pumpsim_scenarios.swarm.memory import PLANTED, TappedStore
from pumpsim_scenarios.swarm.report import HEAL_BOUND_S, report
from pumpsim_scenarios.swarm.seed_life import SeedResult, life_config, life_disk
from pumpsim_scenarios.swarm.steps import STEPS, Steps

__all__ = ["PLANTED", "STEPS", "SeedResult", "job", "report", "run_seed", "shortest_failing"]

# Refusals that come before a request becomes a transaction (so the pump keeps no record of it).
_NOT_TRANSACTIONS = {
    m.WireError.ROLE_FORBIDDEN,
    m.WireError.UNKNOWN_MESSAGE,
    m.WireError.MALFORMED_MESSAGE,
    m.WireError.TXN_REUSED,
}
Role = m.Role


# ------------------------------------------------------------------------------ one life


class Life(Checks, Steps):
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
            self._invoked(txn, msg)
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
            self._answered(txn)
        return reply

    def _invoked(self, txn: int, msg: Any) -> None:
        self.sent[txn] = msg
        self.result.commands += 1

    def _answered(self, txn: int) -> None:
        self.acknowledged.append(txn)
        self.result.acknowledged += 1

    def rig(self, msg: Any) -> Any:
        """The world's own doing (time passing) through the pump's rig port, as the classroom's
        console does it: no telemetry session is opened for it (none is, when time passes), but
        the same dispatch, journal and power cuts. A cut leaves it indeterminate, for healing."""
        self._revive_if_dead()
        txn = msg.txn
        self._invoked(txn, msg)
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
        self._answered(txn)
        return reply

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
