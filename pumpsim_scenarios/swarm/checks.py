"""The swarm's checker: what the pump holds, against a reference model fed only what was sent.

Why apart from the life that drives it: deciding what the pump should hold (every committed
transaction applied once, in commit order, to an independent reference; every acknowledged one in
memory; nothing unsafe in force; the same patient outcome) is one job, and drawing a random life
is another. `Life` inherits these checks and supplies the state they read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from firmware_protocol.device.store import NvStore
from firmware_protocol.harness.simulated import SimulatedPump
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from pumpsim import Pump, TherapyProgram
from pumpsim_scenarios.swarm.memory import TappedStore
from pumpsim_scenarios.swarm.oracle import apply_request


class Checks:
    """The checks of one life; the state they read is the life's."""

    store: TappedStore
    sim: SimulatedPump
    reference: Pump
    sent: dict[int, Any]  # txn -> request, as the programmer sent it
    staged: dict[int, TherapyProgram]
    applied_txns: set[int]
    acknowledged: list[int]
    seen_commits: int
    reference_cpu_s: float  # time the reference model spent applying the commands (the bench's)
    # The bench's stopwatch for the reference (a life reads no clock of its own): perf_counter,
    # not process_time, whose every call costs a system call of about 0.3 ms on this VM, a
    # quarter of the swarm's time when the checker called it twice a command.
    reference_timer: Callable[[], float] | None = None

    def violation(self, message: str) -> None:
        raise NotImplementedError

    def _revive_if_dead(self) -> None:
        raise NotImplementedError

    def _catch_up_reference(self) -> None:
        """Feed the reference every commit it has not seen, in commit order."""
        committed = self.store.committed
        while self.seen_commits < len(committed):
            op, txn = committed[self.seen_commits]
            self.seen_commits += 1
            if txn is None:
                if op == "interrogate":
                    self.reference.interrogate()
                continue
            if txn in self.applied_txns:
                self.violation(f"transaction {txn:016x} committed twice")
                continue
            self.applied_txns.add(txn)
            request = self.sent.get(txn)
            stored = NvStore.txn(self.store, txn)  # the memory itself, whatever the firmware
            if request is None:
                self.violation(f"transaction {txn:016x} committed but never sent")
                continue
            if stored is None:
                self.violation(f"transaction {txn:016x} committed, then gone from the memory")
                continue
            error = None
            if stored.response_type == m.SPECS[m.ErrorReply].code:
                error = codec.decode(m.ErrorReply, stored.response).code
            if error == m.WireError.STAGE_UNKNOWN:
                continue  # the session that staged it was lost: nothing to apply
            timer = self.reference_timer
            started = timer() if timer is not None else 0.0
            refused = apply_request(self.reference, request, self.staged)
            if timer is not None:
                self.reference_cpu_s += timer() - started
            if refused != (error is not None):
                said = f"refused it ({error})" if error else "applied it"
                self.violation(f"{type(request).__name__}: the pump {said}, the reference not")

    def check(self) -> None:
        # The memory is judged as a power-up reads it: a pump left dead is powered up first.
        self._revive_if_dead()
        self._catch_up_reference()
        held = set(NvStore.transaction_ids(self.store))  # one query, not one per reply
        for txn in self.acknowledged:
            if txn not in held:
                self.violation(f"acknowledged transaction {txn:016x} is not in the pump's memory")
        if self.sim.world is not None and self.sim.world.device is None:
            return  # dead: judged once it is back
        pump, ref = self.sim.pump, self.reference
        if pump.validate(pump.program):
            self.violation(f"an unsafe program is in force: {pump.program}")
        a, b = pump.status(), ref.status()
        pa, pb = pump.physical(), ref.physical()
        pairs = {
            "time": (a.at_s, b.at_s),
            "reservoir": (a.reservoir_ml, b.reservoir_ml),
            "true reservoir": (pa.reservoir_ml, pb.reservoir_ml),
            "delivered": (pa.delivered_ml, pb.delivered_ml),
            "battery": (a.battery_mah, b.battery_mah),
        }
        for name, (x, y) in pairs.items():
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                self.violation(f"{name}: pump {x!r}, reference {y!r}")
        for name in ("program", "mix", "mri", "motor", "refill_in_progress"):
            if getattr(a, name) != getattr(b, name):
                self.violation(f"{name}: pump {getattr(a, name)}, reference {getattr(b, name)}")
        if [x.kind for x in a.alarms] != [x.kind for x in b.alarms]:
            self.violation(f"alarms: pump {a.alarms}, reference {b.alarms}")
        self._check_patients(pump, ref)

    def _check_patients(self, pump: Pump, ref: Pump) -> None:
        """The virtual patients met the same delivery: the same exposure and the same signs."""
        mine, theirs = pump.patients(), ref.patients()
        if len(mine) != len(theirs):
            self.violation(f"patients: pump {len(mine)}, reference {len(theirs)}")
            return
        for x, y in zip(mine, theirs, strict=True):
            if len(x.exposures) != len(y.exposures):
                self.violation(f"exposures: pump {x.exposures}, reference {y.exposures}")
                continue
            for e, f in zip(x.exposures, y.exposures, strict=True):
                if e.drug != f.drug or not math.isclose(
                    e.exposure, f.exposure, rel_tol=1e-9, abs_tol=1e-9
                ):
                    self.violation(f"exposure: pump {e}, reference {f}")
            signs_x = [(c.drug, c.sign, c.severity) for c in x.timeline]
            signs_y = [(c.drug, c.sign, c.severity) for c in y.timeline]
            if signs_x != signs_y:
                self.violation(f"signs: pump {signs_x}, reference {signs_y}")
