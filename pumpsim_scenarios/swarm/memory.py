"""The pump's memory as the swarm sees it: every commit observed in order, and planted bugs.

The checker must read what the pump really made durable, whatever the firmware believes; the
planted variants are firmware bugs the checker has to catch (a test proves it does). The memory
stands on a simulated disk (`firmware_protocol.memory.sim_disk`) that loses, keeps or tears what
was not synced when the power goes, so a commit cut short may yet have landed: after each power-up
the tap asks the medium whether the commit in flight did, and counts it if so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firmware_protocol.device.store import NvStore, StoredTxn
from firmware_protocol.memory.sim_disk import Lie, SimDisk


class TappedStore(NvStore):
    """The pump's memory, with a window for the checker and a trigger for the saboteur."""

    def __init__(self, disk: SimDisk) -> None:
        super().__init__("pump.db", disk=disk)
        self.committed: list[tuple[str | None, int | None]] = []  # (op, txn) in commit order
        self.on_commit: Callable[[], None] | None = None
        self.snapshots = 0  # commits that carried a snapshot of the pump (compaction)
        self._in_flight: tuple[dict[str, Any], int] | None = None  # a commit and the id before

    def commit(self, **kw: Any) -> None:
        self._in_flight = (kw, self._journal_id)
        super().commit(**kw)
        self._in_flight = None
        self._count(kw)
        if self.on_commit is not None:
            self.on_commit()

    def _count(self, kw: dict[str, Any]) -> None:
        self.committed.append((kw.get("op"), kw.get("txn")))
        self.snapshots += kw.get("snapshot") is not None

    def power_cycle(self) -> None:
        super().power_cycle()
        if self._in_flight is None:
            return
        kw, journal_before = self._in_flight
        self._in_flight = None
        txn, op = kw.get("txn"), kw.get("op")
        landed = self.held(txn) if txn is not None else self._journal_id > journal_before
        if landed and (op is not None or txn is not None):
            self._count(kw)  # cut short, but its every write reached the medium


class AckBeforeJournal(TappedStore):
    """A planted bug: the command is made durable only after its reply has gone out."""

    def __init__(self, disk: SimDisk) -> None:
        super().__init__(disk)
        self._held: list[dict[str, Any]] = []

    def commit(self, **kw: Any) -> None:
        self.flush()
        self._held.append(kw)

    def flush(self) -> None:
        held, self._held = self._held, []
        for kw in held:
            super().commit(**kw)

    def power_cycle(self) -> None:
        self._held.clear()  # what it held in RAM is gone
        super().power_cycle()


class ForgetsTransactions(TappedStore):
    """A planted bug: the pump does not look up a repeated transaction id (no exactly-once)."""

    def txn(self, txn: int) -> StoredTxn | None:
        return None


PLANTED: dict[str, Callable[[SimDisk], TappedStore]] = {
    "ack-before-journal": AckBeforeJournal,
    "forgets-transactions": ForgetsTransactions,
    "no-sync": TappedStore,  # the bug is the disk's: it ignores every sync
    "reply-before-sync": TappedStore,  # each sync reaches the medium one command late
}
LIES = {"no-sync": Lie.NO_SYNC, "reply-before-sync": Lie.REPLY_BEFORE_SYNC}
