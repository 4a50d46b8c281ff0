"""The commit register: how the firmware knows what it acknowledged, even if the store forgets it.

Why: SQLite recovers its write-ahead log up to the first frame whose checksum fails and drops the
rest without a word, which is right for frames never synced and silent loss for frames that were.
A firmware that only trusts the database could therefore forget an acknowledged command. After
each commit, and before the reply goes out, the store also writes this small record: how far its
journal reaches, how many replies it holds, and the latest transaction ids. At power-up the
database is compared with it; anything the register promises and the database lacks is an
acknowledged record lost, which the firmware reports by name and alarms on.

Two slots written in turn, each with a sequence number and a CRC-32: a write torn by a power cut
spoils at most the slot being written, and the other still holds the previous state.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

SLOT_BYTES = 512
RECENT = 8  # transaction ids kept, newest last
_MAGIC = b"PSCR"
_HEAD = struct.Struct(">4sQQQB")
_TXN = struct.Struct(">Q")
_SYNC_FULL = 3  # SQLITE_SYNC_FULL, the flag a file's sync is asked with


class RegisterFile(Protocol):
    """The part of a file the register needs (apsw's VFS file methods)."""

    def xRead(self, amount: int, offset: int) -> bytes: ...  # noqa: N802
    def xWrite(self, data: bytes, offset: int) -> None: ...  # noqa: N802
    def xSync(self, flags: int) -> None: ...  # noqa: N802
    def xFileSize(self) -> int: ...  # noqa: N802
    def xClose(self) -> None: ...  # noqa: N802


@dataclass(frozen=True)
class Committed:
    """What the store had made durable by a commit."""

    sequence: int
    journal_id: int  # the highest journal entry
    txn_count: int  # replies held
    recent_txns: tuple[int, ...]  # the latest transaction ids, newest last

    def encode(self) -> bytes:
        recent = self.recent_txns[-RECENT:]
        body = _HEAD.pack(_MAGIC, self.sequence, self.journal_id, self.txn_count, len(recent))
        body += b"".join(_TXN.pack(t) for t in recent)
        body = body.ljust(SLOT_BYTES - 4, b"\0")
        return body + struct.pack(">I", zlib.crc32(body))

    @classmethod
    def decode(cls, slot: bytes) -> Committed | None:
        """The slot's record, or None where it is empty, torn or garbled."""
        if len(slot) != SLOT_BYTES:
            return None
        body, (crc,) = slot[:-4], struct.unpack(">I", slot[-4:])
        if zlib.crc32(body) != crc:
            return None
        magic, sequence, journal_id, txn_count, n = _HEAD.unpack_from(body)
        if magic != _MAGIC or n > RECENT:
            return None
        recent = tuple(_TXN.unpack_from(body, _HEAD.size + i * _TXN.size)[0] for i in range(n))
        return cls(sequence, journal_id, txn_count, recent)


class CommitRegister:
    """Two slots in one small file, written and synced alternately."""

    def __init__(self, file: RegisterFile) -> None:
        self.file = file
        self.last = self.read()

    def read(self) -> Committed | None:
        size = self.file.xFileSize()
        slots = [
            Committed.decode(self.file.xRead(SLOT_BYTES, i * SLOT_BYTES))
            for i in range(2)
            if size >= (i + 1) * SLOT_BYTES
        ]
        valid = [s for s in slots if s is not None]
        return max(valid, key=lambda s: s.sequence) if valid else None

    def write(self, journal_id: int, txn_count: int, recent_txns: tuple[int, ...]) -> None:
        sequence = 1 if self.last is None else self.last.sequence + 1
        record = Committed(sequence, journal_id, txn_count, recent_txns[-RECENT:])
        if self.last is not None and (
            (record.journal_id, record.txn_count, record.recent_txns)
            == (self.last.journal_id, self.last.txn_count, self.last.recent_txns)
        ):
            return  # nothing new to promise (the clock's row, say)
        self.file.xWrite(record.encode(), (sequence % 2) * SLOT_BYTES)
        self.file.xSync(_SYNC_FULL)
        self.last = record

    def close(self) -> None:
        self.file.xClose()


@dataclass(frozen=True)
class MemoryLoss:
    """Acknowledged records the register promises and the store no longer holds."""

    journal_ids: tuple[int, int] | None  # first and last journal entry lost
    txns: tuple[int, ...]  # lost transactions among the latest the register names
    txn_count_lost: int  # how many replies are missing in all
    unreadable: str = ""  # why the whole database was erased at power-up ("": it was not)

    def describe(self) -> str:
        parts = []
        if self.journal_ids is not None:
            first, last = self.journal_ids
            parts.append(f"journal entries {first}-{last}" if last > first else f"entry {first}")
        if self.txn_count_lost:
            named = ", ".join(f"{t:016x}" for t in self.txns)
            parts.append(
                f"{self.txn_count_lost} replies" + (f" (transactions {named})" if named else "")
            )
        lost = "acknowledged records lost: " + "; ".join(parts)
        return f"memory unreadable ({self.unreadable}), erased; {lost}" if self.unreadable else lost


def compare(
    promised: Committed | None,
    journal_id: int,
    txn_count: int,
    held: Callable[[int], bool],
    unreadable: str = "",
) -> MemoryLoss | None:
    """What the store lacks of what the register promised (None: nothing). `held(txn)`: whether
    the store still has that transaction's reply; `unreadable`: why the store was erased."""
    if promised is None:
        return None
    lost_ids = (journal_id + 1, promised.journal_id) if promised.journal_id > journal_id else None
    lost_txns = tuple(t for t in promised.recent_txns if not held(t))
    lost_count = max(promised.txn_count - txn_count, len(lost_txns))
    if lost_ids is None and not lost_count:
        return None
    return MemoryLoss(lost_ids, lost_txns, lost_count, unreadable)
