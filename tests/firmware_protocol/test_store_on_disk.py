"""The pump's memory on a disk that loses unsynced writes: what was committed survives every power
cut, a commit cut short is all there or not at all, and an acknowledged record the medium lost
anyway (both copies of a sector gone, beyond what the swarm places) is named at power-up.

A stateful property: commits, cuts in the middle of a commit, power cycles and rot, in any order.
It found, in its first minute, that a disk which garbles a whole sector under a partial write
loses a synced commit: after recovery SQLite writes the next log frame into the sector holding the
tail of the last commit frame, and a tear there spoils both. The disk now promises power-safe
overwrite (a tear garbles only the torn write's own bytes), as SQLite assumes of a disk by default.
"""

from __future__ import annotations

import random

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from firmware_protocol.device.store import WAL_PAGES, NvStore
from firmware_protocol.line.virtual_time import PowerCut
from firmware_protocol.memory.sim_disk import DiskProfile, SimDisk


def _commit(store: NvStore, n: int, size: int = 200) -> None:
    store.commit(
        sim_s=float(n),
        op="request",
        args={"n": n},
        txn=n,
        request_type=1,
        request=b"q",
        response_type=2,
        response=bytes([n % 256]) * size,
        snapshot=b"s" * 3000 if n % 9 == 0 else None,  # compaction now and then
    )


def _commit_cut_at(disk: SimDisk, store: NvStore, n: int, write: int) -> bool:
    """Commit `n` with the power cut at the disk's `write`-th write from now: whether it was."""
    left = [write]

    def countdown() -> None:
        left[0] -= 1
        if left[0] == 0:
            disk.power_fail()
            raise PowerCut

    disk.on_write = countdown
    try:
        _commit(store, n)
    except PowerCut:
        return True
    finally:
        disk.on_write = None
    return False


class StoreOnDisk(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.disk: SimDisk | None = None
        self.store: NvStore | None = None
        self.committed: list[int] = []  # commits that returned
        self.maybe: set[int] = set()  # cut short: there or not, but whole
        self.next = 1

    @precondition(lambda self: self.store is None)
    @rule(
        seed=st.integers(0, 2**32),
        keep=st.sampled_from([0.0, 0.3, 0.9, 1.0]),
        tear=st.sampled_from([0.0, 0.5, 1.0]),
        rot=st.sampled_from([0.0, 1.0, 3.0]),
    )
    def power_up_a_new_pump(self, seed: int, keep: float, tear: float, rot: float) -> None:
        profile = DiskProfile(keep=keep, tear=tear * (1 - keep), rot_per_cut=rot)
        self.disk = SimDisk(random.Random(seed), profile)
        self.store = NvStore("pump.db", disk=self.disk)

    @precondition(lambda self: self.store is not None)
    @rule(size=st.sampled_from([10, 200, 5000]))
    def commit(self, size: int) -> None:
        assert self.store is not None
        _commit(self.store, self.next, size)
        self.committed.append(self.next)
        self.next += 1

    @precondition(lambda self: self.store is not None)
    @rule(writes=st.integers(1, 12))
    def cut_in_the_middle_of_a_commit(self, writes: int) -> None:
        assert self.store is not None
        assert self.disk is not None
        if _commit_cut_at(self.disk, self.store, self.next, writes):
            self.maybe.add(self.next)
        else:
            self.committed.append(self.next)  # it finished before the countdown ran out
        self.next += 1
        self.store.power_cycle()

    @precondition(lambda self: self.store is not None)
    @rule()
    def power_cycle(self) -> None:
        assert self.store is not None
        self.store.power_cycle()

    @invariant()
    def nothing_committed_is_lost_and_nothing_is_half_there(self) -> None:
        if self.store is None:
            return
        store = self.store
        assert store.loss is None
        txns = set(store.transaction_ids())
        assert set(self.committed) <= txns
        assert txns <= set(self.committed) | self.maybe
        # A reply kept means its journal entry was kept, unless a snapshot compacted it away.
        journalled = {int(e.args["n"]) for e in store.journal(after=0)}  # type: ignore[call-overload]
        assert {n for n in txns if n >= min(journalled, default=0)} <= journalled


TestStoreOnDisk = StoreOnDisk.TestCase


def _store_with(n: int, seed: int = 5) -> tuple[SimDisk, NvStore]:
    disk = SimDisk(random.Random(seed), DiskProfile(keep=0.0))
    store = NvStore("pump.db", disk=disk)
    for i in range(1, n + 1):
        _commit(store, i)
    return disk, store


def test_a_lost_sector_under_acknowledged_commits_is_named_at_power_up() -> None:
    disk, store = _store_with(6)
    wal = disk.synced_size("pump.db-wal")
    disk.corrupt("pump.db-wal", wal - 100, both_banks=True)  # the last commit's last frame
    store.power_cycle()
    assert store.loss is not None
    text = store.loss.describe()
    assert text.startswith("acknowledged records lost: entry 6")
    assert f"{6:016x}" in text
    store.accept_loss()
    store.power_cycle()
    assert store.loss is None  # said once, not at every power-up


def test_a_torn_register_slot_falls_back_to_the_other_and_loses_nothing() -> None:
    disk, store = _store_with(4)
    disk.write("pump.db-register", 0, b"\xff" * 512)  # both slots rewritten, never synced...
    disk.write("pump.db-register", 512, b"\xff" * 512)
    disk.profile = DiskProfile(keep=1.0)  # ...and kept: garbage where the slots were
    store.power_cycle()
    assert store.loss is None
    assert store.transaction_ids() == [1, 2, 3, 4]


def test_the_log_is_copied_back_often_so_it_stays_short_and_a_power_up_finds_everything() -> None:
    """SQLite's default (1000 pages) let the log grow to a megabyte that every power-up reads
    whole, and let a life go by without a checkpoint; the store asks for one every WAL_PAGES."""
    disk, store = _store_with(300)
    frame = 1024 + 24  # a page and its frame header
    assert disk.size("pump.db-wal") <= 32 + (WAL_PAGES + 16) * frame
    assert disk.synced_size("pump.db") > 1024  # pages reached the database itself
    store.power_cycle()
    assert store.loss is None
    assert store.transaction_ids() == list(range(1, 301))


def test_a_power_cut_anywhere_in_a_checkpoint_loses_nothing_committed() -> None:
    """The commit that fills the log to WAL_PAGES copies it back before it returns; the power is
    cut at each of its writes in turn (the log's frames, the database's pages, the register), on
    a disk that drops every write not synced."""
    disk, store = _store_with(0)
    n = 0
    while disk.size("pump.db") <= 1024:  # until a commit has checkpointed
        n += 1
        writes_before = disk.counts.writes
        _commit(store, n)
    writes = disk.counts.writes - writes_before  # its frames, the database's pages, the register
    for k in range(1, writes + 1):
        disk, store = _store_with(n - 1)
        assert _commit_cut_at(disk, store, n, k), k  # cut at its k-th write
        store.power_cycle()
        assert store.loss is None, k
        held = store.transaction_ids()
        assert held in (list(range(1, n)), list(range(1, n + 1))), k
