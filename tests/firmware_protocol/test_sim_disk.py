"""The simulated medium: what a power cut does to writes never synced, and how a bad sector is
met (the mirror's copy) or not (both copies torn: garbage, for the checksums above to refuse)."""

from __future__ import annotations

import random

import pytest

from firmware_protocol.memory.sim_disk import SECTOR_BYTES, DiskProfile, Lie, SimDisk


def _disk(keep: float, tear: float = 0.0, lie: Lie = Lie.NONE, seed: int = 1) -> SimDisk:
    disk = SimDisk(random.Random(seed), DiskProfile(keep=keep, tear=tear), lie=lie)
    disk.create("f")
    return disk


def test_a_synced_write_survives_a_cut_and_an_unsynced_one_is_dropped() -> None:
    disk = _disk(keep=0.0)
    disk.write("f", 0, b"a" * 600)
    disk.sync("f")
    disk.write("f", 600, b"b" * 100)
    assert disk.read("f", 0, 700) == b"a" * 600 + b"b" * 100  # the process sees its cache
    disk.power_fail()
    disk.power_on()
    assert disk.read("f", 0, 700) == b"a" * 600
    assert (disk.counts.dropped, disk.counts.kept) == (1, 0)


def test_a_disk_that_keeps_everything_loses_nothing_at_a_cut() -> None:
    disk = _disk(keep=1.0)
    disk.write("f", 0, b"x" * 1000)
    disk.power_fail()
    disk.power_on()
    assert disk.read("f", 0, 1000) == b"x" * 1000


def test_a_torn_write_lands_a_prefix_then_a_sector_of_garbage_then_nothing() -> None:
    disk = _disk(keep=0.0, tear=1.0, seed=4)
    disk.write("f", 0, b"o" * (4 * SECTOR_BYTES))
    disk.sync("f")
    disk.write("f", 0, b"n" * (4 * SECTOR_BYTES))
    disk.power_fail()
    disk.power_on()
    sectors = [disk.read("f", i * SECTOR_BYTES, SECTOR_BYTES) for i in range(4)]
    garbage = [i for i, s in enumerate(sectors) if s not in (b"o" * 512, b"n" * 512)]
    assert len(garbage) == 1
    (torn,) = garbage
    assert all(s == b"n" * 512 for s in sectors[:torn])
    assert all(s == b"o" * 512 for s in sectors[torn + 1 :])
    assert disk.counts.torn == 1
    assert disk.counts.unreadable == 1


def test_a_bad_sector_in_one_bank_is_read_from_the_other_and_repaired() -> None:
    disk = _disk(keep=0.0)
    disk.write("f", 0, b"k" * 2048)
    disk.sync("f")
    disk.corrupt("f", 1000, both_banks=False)
    assert disk.read("f", 0, 2048) == b"k" * 2048
    assert disk.counts.repaired == 1
    assert disk.read("f", 0, 2048) == b"k" * 2048
    assert disk.counts.repaired == 1  # rewritten: the second read meets a good sector


def test_rot_at_power_cuts_never_takes_both_copies() -> None:
    disk = SimDisk(random.Random(9), DiskProfile(keep=1.0, rot_per_cut=3.0))
    disk.create("f")
    data = random.Random(2).randbytes(20 * SECTOR_BYTES)
    disk.write("f", 0, data)
    disk.sync("f")
    for _ in range(30):
        disk.power_fail()
        disk.power_on()
    assert disk.counts.rotted == 20  # every sector went bad in one bank, none in both
    assert disk.read("f", 0, len(data)) == data
    assert (disk.counts.repaired, disk.counts.unreadable) == (20, 0)


@pytest.mark.parametrize("lie", [Lie.NO_SYNC, Lie.REPLY_BEFORE_SYNC])
def test_a_lying_disk_loses_what_it_said_it_had_synced(lie: Lie) -> None:
    disk = _disk(keep=0.0, lie=lie)
    disk.write("f", 0, b"first")
    disk.sync("f")
    disk.write("f", 5, b"second")
    disk.sync("f")  # the one-late disk lands "first" only now; the honest one, both
    disk.power_fail()
    disk.power_on()
    expected = b"" if lie is Lie.NO_SYNC else b"first"
    assert disk.read("f", 0, 11) == expected


def test_handles_from_before_a_cut_touch_nothing_after_it() -> None:
    disk = _disk(keep=0.0)
    disk.write("f", 0, b"kept")
    disk.sync("f")
    disk.power_fail()
    disk.delete("f")  # a dead process closing its files
    disk.power_on()
    assert disk.exists("f")
    assert disk.read("f", 0, 4) == b"kept"
