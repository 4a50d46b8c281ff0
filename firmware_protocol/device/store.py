"""Non-volatile memory in SQLite: the configuration, a journal of commands, transactions, clock.

The pump model is deterministic, so its state is the configuration plus every command it accepted,
each at its simulated time. Every so often the firmware also stores an exact snapshot of the pump
in the same transaction as a command, and the journal up to it is compacted away: on restart the
firmware restores the snapshot and replays only what came after, so restart time does not grow
with the pump's history. A command's journal entry and its transaction record (the reply, kept
for retransmissions) are written in one SQLite transaction, committed and synced before the reply
is sent, and then the commit register (`memory.commit_register`) is synced too: an acknowledged
command survives a power cut, an unacknowledged one either is fully there or not at all, and one
the medium nevertheless lost is named at power-up (`loss`), never forgotten silently.

Three media, one store: process memory (`:memory:`, a simulated pump's default), a real file, or
a simulated disk that loses unsynced writes at a power cut (`disk=`, the swarm's). SQLite comes
through apsw, which lets the last of them be a VFS written in Python.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw

from firmware_protocol.device.clock import ClockAnchor
from firmware_protocol.line.virtual_time import PowerCut
from firmware_protocol.memory.commit_register import (
    CommitRegister,
    MemoryLoss,
    compare,
)
from firmware_protocol.memory.disk_vfs import VFS_NAME, DiskFile, disk_path
from firmware_protocol.memory.sim_disk import SimDisk
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


WAL_PAGES = 128  # pages of write-ahead log between two checkpoints (see `_prepare`)
_TEMPLATE_LOCK = threading.Lock()
_REGISTER_FLAGS = (
    apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE | apsw.SQLITE_OPEN_MAIN_JOURNAL
)


@functools.cache
def _empty_memory() -> apsw.Connection:
    db = apsw.Connection(":memory:")
    db.execute(SCHEMA)
    return db


def _copy(source: apsw.Connection, target: apsw.Connection) -> None:
    with target.backup("main", source, "main") as backup:
        backup.step()


class NvStore:
    def __init__(self, path: Path | str, *, disk: SimDisk | None = None) -> None:
        self.path = str(path)
        self.disk = disk
        if disk is None and self.path != ":memory:":
            create_private(Path(self.path))  # 0600 in a 0700 folder: the journal files follow
            create_private(Path(self.path + "-register"))
        self._open()

    def _open(self) -> None:
        """Open the medium as a power-up finds it: SQLite recovers its log, and what the register
        promised is compared with what the database holds (`loss`)."""
        self._register: CommitRegister | None = None
        self._unreadable = ""  # why the medium's database was erased at this power-up
        if self.path == ":memory:":
            # A simulated pump's memory, often one per scenario: copying an empty memory with the
            # schema in it is ten times faster than creating the schema again (and a memory that
            # lasts as long as the process needs no write-ahead log, nor a register).
            self._db = apsw.Connection(":memory:")
            with _TEMPLATE_LOCK:
                _copy(_empty_memory(), self._db)
        elif self.disk is None:
            self._db = apsw.Connection(self.path)
            self._prepare()
            self._register = CommitRegister(
                apsw.VFSFile("", self.path + "-register", [_REGISTER_FLAGS, 0])
            )
        else:
            self.disk.create(self.path + "-register")
            self._register = CommitRegister(DiskFile(self.disk, self.path + "-register"))
            unreadable = self._open_on_disk(self.disk)
            if unreadable:
                self._start_empty(self.disk, unreadable)
        self._clock_written: tuple[ClockAnchor, float] | None = None
        self._load_counts()
        self.loss: MemoryLoss | None = None
        if self._register is not None:
            self.loss = compare(
                self._register.last, self._journal_id, self._txn_count, self.held, self._unreadable
            )

    def _prepare(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        # The log is copied back into the database every WAL_PAGES pages, not SQLite's 1000: a
        # power-up reads the whole log to recover it, so a short one bounds the time to boot, and
        # a pump's life then meets checkpoints (and power cuts in the middle of them) often,
        # where at 1000 pages three lives in a hundred of the swarm's ever did.
        self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
        self._db.execute(SCHEMA)

    def _open_on_disk(self, disk: SimDisk) -> str:
        """Open the database on a simulated disk and check it whole, as a device checks its
        memory at boot: "" if it reads back sound, else what is wrong with it."""
        try:
            self._connect_to(disk)
            verdict = str(self._one("PRAGMA quick_check"))
        except apsw.Error as e:
            return f"{type(e).__name__}: {e}"
        return "" if verdict == "ok" else verdict

    def _connect_to(self, disk: SimDisk) -> None:
        self._db = apsw.Connection(disk_path(disk, self.path), vfs=VFS_NAME)
        self._db.execute("PRAGMA locking_mode=EXCLUSIVE")  # no shared memory on the disk
        self._db.execute("PRAGMA page_size=1024")  # a small medium: a commit writes less
        self._prepare()

    def _start_empty(self, disk: SimDisk, unreadable: str) -> None:
        """A memory that fails its check is not guessed around: it is erased and begun again,
        and everything the register promised is reported lost (`loss`), for the firmware to
        say so and alarm."""
        with contextlib.suppress(apsw.Error):
            self._db.close(True)
        for name in (self.path, self.path + "-wal", self.path + "-journal"):
            disk.delete(name)
        self._connect_to(disk)
        self._unreadable = unreadable

    def _load_counts(self) -> None:
        self._journal_id = int(self._one("SELECT COALESCE(MAX(id), 0) FROM journal"))
        self._txn_count = int(self._one("SELECT COUNT(*) FROM txns"))
        rows = self._rows("SELECT txn FROM txns ORDER BY rowid DESC LIMIT 8")
        self._recent = tuple(int(r[0], 16) for r in reversed(rows))

    def _row(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        """One row of a query, its values as SQLite gives them (typed by the schema above)."""
        row: tuple[Any, ...] | None = self._db.execute(sql, params).fetchone()
        return row

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._db.execute(sql, params).fetchall()
        return rows

    def _one(self, sql: str) -> Any:
        row = self._row(sql)
        return None if row is None else row[0]

    def power_cycle(self) -> None:
        """The power failed and came back. Process memory and a real file keep all they were
        given (a killed process loses nothing the kernel holds); a simulated disk loses what it
        had not synced, and the store reopens on what is left."""
        if self.disk is None:
            return
        self.disk.power_fail()  # if the saboteur has not already cut it
        # A dead process's handles: nothing they do reaches the medium, and closing them may
        # fail (their reads find no power); they are let go all the same.
        with contextlib.suppress(apsw.Error):
            self._db.close(True)
        self.disk.power_on()
        self._open()

    def close(self) -> None:
        with contextlib.suppress(apsw.Error):  # (a simulated disk left without power)
            self._db.close()
        if self._register is not None:
            self._register.close()

    def accept_loss(self) -> None:
        """The firmware has reported `loss`: the register is brought down to what the store
        holds, so the same loss is not reported at every power-up."""
        self.loss = None
        self._promise()

    def _promise(self) -> None:
        if self._register is not None:
            self._register.write(self._journal_id, self._txn_count, self._recent)

    @classmethod
    def read_only_copy(cls, path: Path | str) -> NvStore:
        """The memory of the state file at `path`, copied into this process: nothing done to the
        copy (a restore, a replay) can touch the file. FileNotFoundError if there is none."""
        if not Path(path).is_file():
            raise FileNotFoundError(2, "no such state file", str(path))
        copy = cls(":memory:")
        source = apsw.Connection(str(Path(path).resolve()), flags=apsw.SQLITE_OPEN_READONLY)
        try:
            _copy(source, copy._db)
        finally:
            source.close()
        copy._load_counts()
        return copy

    def copy_to(self, path: Path | str) -> None:
        """A consistent copy of the whole memory in another file (SQLite's online backup)."""
        target = apsw.Connection(str(path))
        try:
            _copy(self._db, target)
        finally:
            target.close()

    # meta
    def get_meta(self, key: str) -> str | None:
        row = self._row("SELECT value FROM meta WHERE key = ?", (key,))
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
                db.execute(
                    "INSERT INTO journal (sim_s, op, args) VALUES (?, ?, ?)",
                    (sim_s, op, json.dumps(args or {})),
                )
                journal_id = db.last_insert_rowid()
                if snapshot is not None:
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
        except BaseException as e:
            with contextlib.suppress(apsw.Error):  # gone already if the medium failed under it
                db.execute("ROLLBACK")
            self._clock_written = None  # the row may be back to what it was
            if self.disk is not None and not self.disk.powered and not isinstance(e, PowerCut):
                raise PowerCut from e  # the medium lost its power: so did the firmware
            raise
        if op is not None:
            self._journal_id = journal_id
        if txn is not None:
            self._txn_count += 1
            self._recent = (*self._recent[-7:], txn)
        self._promise()  # synced before the reply, like the commit it describes

    def journal(self, after: int = 0) -> list[JournalEntry]:
        """Entries after journal id `after` (those a snapshot does not cover), oldest first."""
        rows = self._rows(
            "SELECT id, sim_s, op, args FROM journal WHERE id > ? ORDER BY id", (after,)
        )
        return [JournalEntry(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def latest_snapshot(self) -> StoredSnapshot | None:
        row = self._row(
            "SELECT journal_id, sim_s, data FROM snapshots ORDER BY journal_id DESC LIMIT 1"
        )
        return None if row is None else StoredSnapshot(row[0], row[1], bytes(row[2]))

    def seal(self, index: int) -> tuple[bytes, bytes] | None:
        """The stored (chain value, signature) of event-log record `index`."""
        row = self._row("SELECT value, signature FROM log_chain WHERE idx = ?", (index,))
        return None if row is None else (bytes(row[0]), bytes(row[1]))

    def seals(self) -> dict[int, tuple[bytes, bytes]]:
        rows = self._rows("SELECT idx, value, signature FROM log_chain")
        return {int(r[0]): (bytes(r[1]), bytes(r[2])) for r in rows}

    def anchor_before(self, index: int) -> bytes:
        """The chain value a run of records from `index` starts from: the newest seal below it."""
        row = self._row(
            "SELECT value FROM log_chain WHERE idx < ? ORDER BY idx DESC LIMIT 1", (index,)
        )
        return bytes(32) if row is None else bytes(row[0])

    def last_seal(self) -> tuple[int, bytes] | None:
        """The newest sealed record: (index, chain value)."""
        row = self._row("SELECT idx, value FROM log_chain ORDER BY idx DESC LIMIT 1")
        return None if row is None else (int(row[0]), bytes(row[1]))

    def held(self, txn: int) -> bool:
        """Whether the memory holds transaction `txn`'s reply (what the medium gives, whatever
        a subclass's `txn` answers)."""
        return NvStore.txn(self, txn) is not None

    def txn(self, txn: int) -> StoredTxn | None:
        row = self._row(
            "SELECT request_type, request, response_type, response FROM txns WHERE txn = ?",
            (f"{txn:016x}",),
        )
        return None if row is None else StoredTxn(row[0], bytes(row[1]), row[2], bytes(row[3]))

    def transaction_ids(self) -> list[int]:
        """Every transaction id the memory holds a reply for, oldest first."""
        rows = self._rows("SELECT txn FROM txns ORDER BY rowid")
        return [int(r[0], 16) for r in rows]

    def responses_of_type(self, response_type: int) -> list[bytes]:
        """Every stored reply of one message type, oldest first (the refusals, for a debrief)."""
        rows = self._rows(
            "SELECT response FROM txns WHERE response_type = ? ORDER BY rowid", (response_type,)
        )
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
        row = self._row(
            "SELECT sim_s, wall_s, acceleration, paused, clock_offset_s FROM clock WHERE id = 1"
        )
        if row is None:
            return None
        return ClockAnchor(row[0], row[1], row[2], bool(row[3])), row[4]
