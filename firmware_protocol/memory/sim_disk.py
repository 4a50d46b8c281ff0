"""A simulated non-volatile medium: what a power cut does to writes that were never synced.

Why: an acknowledged command survives a power loss only if it reached the medium before the
reply, and a process that is merely killed loses nothing the kernel already holds. This disk holds
every write in a cache until its file is synced (as a drive's write cache or a flash controller's
buffer does); at a power cut each write still cached is, by a per-seed profile, kept, dropped or
torn (a prefix of its sectors lands, its part of the next is garbage, the rest never arrives),
the way SQLite's crash-test VFS (`src/test6.c`) and FoundationDB's `AsyncFileNonDurable` treat
them. A torn write garbles only its own bytes, never the rest of the sector: the disk promises
power-safe overwrite, as SQLite assumes of a disk by default (a disk that garbles a whole sector
under a partial write is a weaker promise, which tests/firmware_protocol/test_store_on_disk.py
found SQLite's log does not survive).

The medium is two banks of 512-byte sectors mirrored, each sector with its own error-correcting
check: a latent error (bit rot found only on reading) is placed in one bank at a time, so one good
copy always survives, and a read that meets it takes the other bank's copy and rewrites the bad
one. A sector torn at a cut is bad in both banks and reads back as the garbage it holds, for the
checksums above it (SQLite's WAL frames, the commit register) to refuse.

Two planted bugs make the disk lie about syncing, so that a test can prove the swarm's checker
catches a firmware whose acknowledgements run ahead of its memory: `NO_SYNC` (a sync does
nothing) and `REPLY_BEFORE_SYNC` (a sync returns at once, and what it should have made durable
reaches the medium only with the file's next sync: one command behind, after its reply is out).

Pure: no I/O, no clock; every choice is drawn from the disk's own seeded random generator.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

SECTOR_BYTES = 512
_IDS = itertools.count(1)


class Lie(Enum):
    """Planted bugs: a disk that does not keep its word about syncing."""

    NONE = "none"
    NO_SYNC = "no-sync"
    REPLY_BEFORE_SYNC = "reply-before-sync"


@dataclass(frozen=True)
class DiskProfile:
    """What a power cut does to each unsynced write, and how often the medium rots.

    `keep` and `tear` are probabilities (the rest of the writes are dropped); `rot_per_cut` is the
    expected number of synced sectors that turn bad (in one bank) at each power cut."""

    keep: float = 0.5
    tear: float = 0.2
    rot_per_cut: float = 0.0

    @classmethod
    def drawn(cls, rng: random.Random) -> DiskProfile:
        """A seed's profile: from a disk that keeps nearly everything to one that keeps nothing."""
        keep = rng.choice([0.0, 0.25, 0.5, 0.9])
        tear = rng.choice([0.0, 0.1, 0.3]) * (1.0 - keep)
        return cls(keep=keep, tear=tear, rot_per_cut=rng.choice([0.0, 0.5, 2.0]))


@dataclass
class DiskCounts:
    """What happened on the medium, for the swarm's report."""

    writes: int = 0
    syncs: int = 0
    power_cuts: int = 0
    kept: int = 0
    dropped: int = 0
    torn: int = 0
    rotted: int = 0  # sectors turned bad in one bank
    repaired: int = 0  # reads that met a bad sector and took the mirror's copy
    unreadable: int = 0  # reads of a sector bad in both banks (torn): garbage returned

    def add(self, other: DiskCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _File:
    medium: bytearray = field(default_factory=bytearray)  # what both banks hold where good
    view: bytearray = field(default_factory=bytearray)  # the medium with the cache over it
    pending: list[tuple[int, bytes | None]] = field(default_factory=list)  # (offset, data|size)
    dirty: set[int] = field(default_factory=set)  # sectors the cache covers
    bad: dict[int, int] = field(default_factory=dict)  # sector -> banks bad (1, 2, or 3: both)
    owed: int = 0  # REPLY_BEFORE_SYNC: the pending writes the last sync promised and left


class SimDisk:
    """A mirrored medium with a write cache, files by name, and power that can fail."""

    def __init__(
        self, rng: random.Random, profile: DiskProfile | None = None, lie: Lie = Lie.NONE
    ) -> None:
        self.id = next(_IDS)
        self.rng = rng
        self.profile = profile or DiskProfile()
        self.lie = lie
        self.epoch = 0  # a power cut starts a new one: handles from before go dead
        self.powered = True
        self.counts = DiskCounts()
        self.on_write: Callable[[], None] | None = None  # a saboteur's hook, before each write
        self._files: dict[str, _File] = {}

    # ------------------------------------------------------------------------ files

    def exists(self, name: str) -> bool:
        return name in self._files

    def create(self, name: str) -> None:
        self._files.setdefault(name, _File())  # directory entries are durable at once

    def delete(self, name: str) -> None:
        if not self.powered:
            return  # a dead process closing its files deletes nothing
        self._files.pop(name, None)

    def size(self, name: str) -> int:
        return len(self._files[name].view)

    def synced_size(self, name: str) -> int:
        """How much of the file the medium holds (what a power-up would find, less any rot)."""
        return len(self._files[name].medium)

    def read(self, name: str, offset: int, amount: int) -> bytes:
        f = self._files[name]
        end = min(offset + amount, len(f.view))
        if f.bad and end > offset:
            for sector in range(offset // SECTOR_BYTES, (end - 1) // SECTOR_BYTES + 1):
                if sector in f.bad and sector not in f.dirty:
                    self._met_bad_sector(f, sector)
        return bytes(f.view[offset:end])

    def write(self, name: str, offset: int, data: bytes) -> None:
        if self.on_write is not None:
            self.on_write()
        f = self._files[name]
        self.counts.writes += 1
        f.pending.append((offset, bytes(data)))
        _put(f.view, offset, data)
        f.dirty.update(_sectors(offset, len(data)))

    def truncate(self, name: str, size: int) -> None:
        f = self._files[name]
        f.pending.append((size, None))
        del f.view[size:]

    def sync(self, name: str) -> None:
        self.counts.syncs += 1
        if self.lie is Lie.NO_SYNC:
            return
        f = self._files.get(name)
        if f is None:
            return
        if self.lie is Lie.REPLY_BEFORE_SYNC:  # what the previous sync promised, only now
            owed, f.owed = f.owed, 0
            self._flush(f, owed)
            f.owed = len(f.pending)
            return
        self._flush(f, len(f.pending))

    # ------------------------------------------------------------------ the medium's faults

    def power_fail(self) -> None:
        """The power goes: each cached write is kept, dropped or torn; some synced sectors rot.
        Every handle opened before goes dead; the medium is as the next power-up will read it."""
        if not self.powered:
            return  # already down
        self.powered = False
        self.epoch += 1
        self.counts.power_cuts += 1
        profile = self.profile
        for f in self._files.values():
            for offset, data in f.pending:
                roll = self.rng.random()
                if roll < profile.keep:
                    self.counts.kept += 1
                    self._land(f, offset, data)
                elif roll < profile.keep + profile.tear and data is not None:
                    self.counts.torn += 1
                    self._tear(f, offset, data)
                else:
                    self.counts.dropped += 1
            f.pending.clear()
            f.dirty.clear()
            f.owed = 0
            f.view = bytearray(f.medium)
        self._rot()

    def power_on(self) -> None:
        self.powered = True

    def corrupt(self, name: str, offset: int, *, both_banks: bool) -> None:
        """A test's hand on the medium: the synced sector holding byte `offset` goes bad in one
        bank or, beyond what the swarm ever places, in both (then its copy is lost for good)."""
        f = self._files[name]
        sector = offset // SECTOR_BYTES
        if not 0 <= offset < len(f.medium):
            raise ValueError(f"byte {offset} of {name} is not on the medium (not synced)")
        if both_banks:
            start = sector * SECTOR_BYTES
            garbage = self.rng.randbytes(min(SECTOR_BYTES, len(f.medium) - start))
            f.medium[start : start + len(garbage)] = garbage
            if sector not in f.dirty:
                f.view[start : start + len(garbage)] = garbage
        f.bad[sector] = 3 if both_banks else 1

    # --------------------------------------------------------------------------- inside

    def _flush(self, f: _File, count: int) -> None:
        """The first `count` cached writes reach the medium."""
        for offset, data in f.pending[:count]:
            self._land(f, offset, data)
        del f.pending[:count]
        f.dirty = {s for offset, data in f.pending for s in _covered(offset, data)}

    def _land(self, f: _File, offset: int, data: bytes | None) -> None:
        if data is None:
            del f.medium[offset:]
            for sector in [s for s in f.bad if s * SECTOR_BYTES >= offset]:
                del f.bad[sector]
            return
        _put(f.medium, offset, data)
        for sector in _sectors(offset, len(data)):
            f.bad.pop(sector, None)  # written whole again (read-modify-write of its mirror)

    def _tear(self, f: _File, offset: int, data: bytes) -> None:
        """A prefix of the write's sectors lands, then the part of it in the next sector lands
        as garbage (the sector reads back bad in both banks), and the rest never arrives."""
        sectors = _sectors(offset, len(data))
        torn = sectors[self.rng.randrange(len(sectors))]
        start = max(offset, torn * SECTOR_BYTES)
        end = min(offset + len(data), (torn + 1) * SECTOR_BYTES)
        if start > offset:
            self._land(f, offset, data[: start - offset])
        _put(f.medium, start, self.rng.randbytes(end - start))
        f.bad[torn] = 3

    def _rot(self) -> None:
        expected = self.profile.rot_per_cut
        count = int(expected) + (self.rng.random() < expected - int(expected))
        names = sorted(n for n, f in self._files.items() if f.medium)
        for _ in range(count if names else 0):
            f = self._files[self.rng.choice(names)]
            sector = self.rng.randrange((len(f.medium) - 1) // SECTOR_BYTES + 1)
            if sector not in f.bad:  # never both banks: one good copy always survives
                f.bad[sector] = self.rng.choice((1, 2))
                self.counts.rotted += 1

    def _met_bad_sector(self, f: _File, sector: int) -> None:
        if f.bad[sector] == 3:
            self.counts.unreadable += 1  # both copies gone: the garbage is what there is
            return
        del f.bad[sector]  # the other bank's copy, written back over the bad one
        self.counts.repaired += 1


def _covered(offset: int, data: bytes | None) -> range:
    return range(0) if data is None else _sectors(offset, len(data))


def _sectors(offset: int, length: int) -> range:
    if length <= 0:
        return range(0)
    return range(offset // SECTOR_BYTES, (offset + length - 1) // SECTOR_BYTES + 1)


def _put(buffer: bytearray, offset: int, data: bytes) -> None:
    end = offset + len(data)
    if len(buffer) < offset:
        buffer.extend(bytes(offset - len(buffer)))
    buffer[offset:end] = data
