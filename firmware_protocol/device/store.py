"""Non-volatile memory in SQLite: the configuration, a journal of commands, transactions, clock.

The pump model is deterministic, so its state is the configuration plus every command it accepted,
each at its simulated time. Every so often the firmware also stores an exact snapshot of the pump
in the same transaction as a command, and the journal up to it is compacted away: on restart the
firmware restores the snapshot and replays only what came after, so restart time does not grow
with the pump's history. A command's journal entry and its transaction record (the reply, kept
for retransmissions) are written in one SQLite transaction, committed before the reply is sent:
an acknowledged command survives `kill -9`, and an unacknowledged one either is fully there or
not at all.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from firmware_protocol.device.clock import ClockAnchor
from firmware_protocol.session.private_files import create_private

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY,
    sim_s REAL NOT NULL,
    op TEXT NOT NULL,
    args TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS txns (
    txn TEXT PRIMARY KEY,
    request_type INTEGER NOT NULL,
    request BLOB NOT NULL,
    response_type INTEGER NOT NULL,
    response BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    journal_id INTEGER PRIMARY KEY,
    sim_s REAL NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS log_chain (
    idx INTEGER PRIMARY KEY,
    value BLOB NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sim_s REAL NOT NULL,
    wall_s REAL NOT NULL,
    acceleration REAL NOT NULL,
    paused INTEGER NOT NULL,
    clock_offset_s REAL NOT NULL
);
"""


@dataclass(frozen=True)
class JournalEntry:
    id: int
    sim_s: float
    op: str
    args: dict[str, object]


@dataclass(frozen=True)
class StoredSnapshot:
    journal_id: int  # the last journal entry it includes
    sim_s: float
    data: bytes


@dataclass(frozen=True)
class StoredTxn:
    request_type: int
    request: bytes
    response_type: int
    response: bytes


_TEMPLATE_LOCK = threading.Lock()


@functools.cache
def _empty_memory() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    db.executescript(SCHEMA)
    return db


class NvStore:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            create_private(Path(self.path))  # 0600 in a 0700 folder: the journal files follow
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        if self.path == ":memory:":
            # A simulated pump's memory, often one per scenario: copying an empty memory with the
            # schema in it is ten times faster than creating the schema again (and a memory that
            # lasts as long as the process needs no write-ahead log).
            with _TEMPLATE_LOCK:
                _empty_memory().backup(self._db)
        else:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        self._clock_written: tuple[ClockAnchor, float] | None = None

    def close(self) -> None:
        self._db.close()

    @classmethod
    def read_only_copy(cls, path: Path | str) -> NvStore:
        """The memory of the state file at `path`, copied into this process: nothing done to the
        copy (a restore, a replay) can touch the file. FileNotFoundError if there is none."""
        if not Path(path).is_file():
            raise FileNotFoundError(2, "no such state file", str(path))
        copy = cls(":memory:")
        source = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        try:
            source.backup(copy._db)
        finally:
            source.close()
        return copy

    def copy_to(self, path: Path | str) -> None:
        """A consistent copy of the whole memory in another file (SQLite's online backup)."""
        target = sqlite3.connect(str(path))
        try:
            self._db.backup(target)
        finally:
            target.close()

    # meta
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # journal and transactions
    def commit(
        self,
        *,
        sim_s: float,
        op: str | None,
        args: dict[str, object] | None = None,
        txn: int | None = None,
        request_type: int = 0,
        request: bytes = b"",
        response_type: int = 0,
        response: bytes = b"",
        anchor: ClockAnchor | None = None,
        clock_offset_s: float = 0.0,
        snapshot: bytes | None = None,
        chain: Sequence[tuple[int, bytes, bytes]] = (),
        chain_from: int = 0,
    ) -> None:
        """Journal `op` (if any), record `txn` (if any), the clock and the event log's new seals
        (`chain`: index, value, signature), atomically and durably.

        With `snapshot` (the pump's state after `op`), older snapshots and the journal they
        cover are dropped in the same transaction, and the seals of records before `chain_from`
        (those the log no longer holds, but the anchor)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if op is not None:
                cursor = db.execute(
                    "INSERT INTO journal (sim_s, op, args) VALUES (?, ?, ?)",
                    (sim_s, op, json.dumps(args or {})),
                )
                if snapshot is not None:
                    journal_id = cursor.lastrowid
                    db.execute(
                        "INSERT INTO snapshots (journal_id, sim_s, data) VALUES (?, ?, ?)",
                        (journal_id, sim_s, snapshot),
                    )
                    db.execute("DELETE FROM snapshots WHERE journal_id < ?", (journal_id,))
                    # The entry the snapshot ends at stays, so that ids keep rising after it.
                    db.execute("DELETE FROM journal WHERE id < ?", (journal_id,))
                    db.execute(  # all but the anchor of the oldest record held
                        "DELETE FROM log_chain WHERE idx <"
                        " (SELECT MAX(idx) FROM log_chain WHERE idx < ?)",
                        (chain_from,),
                    )
            if chain:
                db.executemany(
                    "INSERT OR REPLACE INTO log_chain (idx, value, signature) VALUES (?, ?, ?)",
                    chain,
                )
            if txn is not None:
                db.execute(
                    "INSERT INTO txns (txn, request_type, request, response_type, response)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (f"{txn:016x}", request_type, request, response_type, response),
                )
            if anchor is not None:
                self._write_clock(anchor, clock_offset_s)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            self._clock_written = None  # the row may be back to what it was
            raise

    def journal(self, after: int = 0) -> list[JournalEntry]:
        """Entries after journal id `after` (those a snapshot does not cover), oldest first."""
        rows = self._db.execute(
            "SELECT id, sim_s, op, args FROM journal WHERE id > ? ORDER BY id", (after,)
        ).fetchall()
        return [JournalEntry(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def latest_snapshot(self) -> StoredSnapshot | None:
        row = self._db.execute(
            "SELECT journal_id, sim_s, data FROM snapshots ORDER BY journal_id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else StoredSnapshot(row[0], row[1], bytes(row[2]))

    def seal(self, index: int) -> tuple[bytes, bytes] | None:
        """The stored (chain value, signature) of event-log record `index`."""
        row = self._db.execute(
            "SELECT value, signature FROM log_chain WHERE idx = ?", (index,)
        ).fetchone()
        return None if row is None else (bytes(row[0]), bytes(row[1]))

    def seals(self) -> dict[int, tuple[bytes, bytes]]:
        rows = self._db.execute("SELECT idx, value, signature FROM log_chain").fetchall()
        return {int(r[0]): (bytes(r[1]), bytes(r[2])) for r in rows}

    def anchor_before(self, index: int) -> bytes:
        """The chain value a run of records from `index` starts from: the newest seal below it."""
        row = self._db.execute(
            "SELECT value FROM log_chain WHERE idx < ? ORDER BY idx DESC LIMIT 1", (index,)
        ).fetchone()
        return bytes(32) if row is None else bytes(row[0])

    def last_seal(self) -> tuple[int, bytes] | None:
        """The newest sealed record: (index, chain value)."""
        row = self._db.execute(
            "SELECT idx, value FROM log_chain ORDER BY idx DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def txn(self, txn: int) -> StoredTxn | None:
        row = self._db.execute(
            "SELECT request_type, request, response_type, response FROM txns WHERE txn = ?",
            (f"{txn:016x}",),
        ).fetchone()
        return None if row is None else StoredTxn(row[0], bytes(row[1]), row[2], bytes(row[3]))

    def transaction_ids(self) -> list[int]:
        """Every transaction id the memory holds a reply for, oldest first."""
        rows = self._db.execute("SELECT txn FROM txns ORDER BY rowid").fetchall()
        return [int(r[0], 16) for r in rows]

    def responses_of_type(self, response_type: int) -> list[bytes]:
        """Every stored reply of one message type, oldest first (the refusals, for a debrief)."""
        rows = self._db.execute(
            "SELECT response FROM txns WHERE response_type = ? ORDER BY rowid", (response_type,)
        ).fetchall()
        return [bytes(r[0]) for r in rows]

    # clock
    def _write_clock(self, anchor: ClockAnchor, clock_offset_s: float) -> None:
        if self._clock_written == (anchor, clock_offset_s):
            return  # most commands leave the clock as it was: the row already says so
        self._db.execute(
            "INSERT OR REPLACE INTO clock (id, sim_s, wall_s, acceleration, paused, clock_offset_s)"
            " VALUES (1, ?, ?, ?, ?, ?)",
            (anchor.sim_s, anchor.wall_s, anchor.acceleration, int(anchor.paused), clock_offset_s),
        )
        self._clock_written = (anchor, clock_offset_s)

    def save_clock(self, anchor: ClockAnchor, clock_offset_s: float) -> None:
        self._write_clock(anchor, clock_offset_s)

    def clock(self) -> tuple[ClockAnchor, float] | None:
        row = self._db.execute(
            "SELECT sim_s, wall_s, acceleration, paused, clock_offset_s FROM clock WHERE id = 1"
        ).fetchone()
        if row is None:
            return None
        return ClockAnchor(row[0], row[1], row[2], bool(row[3])), row[4]
