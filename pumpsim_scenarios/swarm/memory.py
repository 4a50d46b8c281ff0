"""The pump's memory as the swarm sees it: every commit observed in order, and planted bugs.

The checker must read what the pump really made durable, whatever the firmware believes; the
planted variants are firmware bugs the checker has to catch (a test proves it does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firmware_protocol.device.store import NvStore, StoredTxn


class TappedStore(NvStore):
    """The pump's memory, with a window for the checker and a trigger for the saboteur."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.committed: list[tuple[str | None, int | None]] = []  # (op, txn) in commit order
        self.on_commit: Callable[[], None] | None = None
        self.snapshots = 0  # commits that carried a snapshot of the pump (compaction)

    def commit(self, **kw: Any) -> None:
        super().commit(**kw)
        self.committed.append((kw.get("op"), kw.get("txn")))
        self.snapshots += kw.get("snapshot") is not None
        if self.on_commit is not None:
            self.on_commit()


class AckBeforeJournal(TappedStore):
    """A planted bug: the command is made durable only after its reply has gone out."""

    def __init__(self) -> None:
        super().__init__()
        self._held: list[dict[str, Any]] = []

    def commit(self, **kw: Any) -> None:
        self.flush()
        self._held.append(kw)

    def flush(self) -> None:
        held, self._held = self._held, []
        for kw in held:
            super().commit(**kw)


class ForgetsTransactions(TappedStore):
    """A planted bug: the pump does not look up a repeated transaction id (no exactly-once)."""

    def txn(self, txn: int) -> StoredTxn | None:
        return None


PLANTED: dict[str, Callable[[], TappedStore]] = {
    "ack-before-journal": AckBeforeJournal,
    "forgets-transactions": ForgetsTransactions,
}
