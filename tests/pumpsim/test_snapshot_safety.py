"""Snapshots hold values, never code: what `Pump.restore` refuses, and that it refuses only that.

The exploit that motivated format 2 is reproduced here: a pickle reaching `pickle.loads` through a
chain of `getattr` from a pumpsim class, which 0.1's allow-listed unpickler ran. It must now be
refused unread, whether in 0.1's format or dressed up as today's, and must run nothing.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pumpsim import Continuous, Mix, Pump, SnapshotError, TherapyProgram
from pumpsim.engine.snapshot import FORMAT_VERSION, MAGIC
from pumpsim.units import days

from exploits import getattr_chain_exploit


def _pump() -> Pump:
    pump = Pump()
    pump.fill_reservoir(20.0, Mix.of(morphine=1000.0), TherapyProgram(Continuous(0.5)))
    pump.advance(days(3))
    return pump


GOOD = _pump().snapshot()


def _framed(body: bytes, version: int = FORMAT_VERSION) -> bytes:
    """`body` with a header that passes every check but the body's own."""
    return MAGIC + version.to_bytes(2, "big") + zlib.crc32(body).to_bytes(4, "big") + body


def test_the_getattr_chain_of_0_1_is_refused_unread_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    exploit = getattr_chain_exploit(marker)
    old_format = MAGIC + (1).to_bytes(2, "big") + exploit
    with pytest.raises(SnapshotError) as outdated:
        Pump.restore(old_format)
    assert outdated.value.code == "SNAPSHOT_FORMAT_OUTDATED"
    with pytest.raises(SnapshotError) as dressed_up:
        Pump.restore(_framed(exploit))
    assert dressed_up.value.code == "SNAPSHOT_INVALID"
    assert not marker.exists()


def test_snapshot_is_versioned_checked_and_compact() -> None:
    assert GOOD.startswith(MAGIC)
    assert int.from_bytes(GOOD[len(MAGIC) : len(MAGIC) + 2], "big") == FORMAT_VERSION
    assert len(GOOD) < 60_000
    # The body alone, re-framed, is the same snapshot: the header holds nothing else.
    assert Pump.restore(_framed(GOOD[len(MAGIC) + 6 :])).status() == Pump.restore(GOOD).status()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "not a pumpsim snapshot"),
        (b"not a snapshot", "not a pumpsim snapshot"),
        (MAGIC + (FORMAT_VERSION + 1).to_bytes(2, "big") + b"xxxx", "this pumpsim reads 2"),
        (MAGIC + FORMAT_VERSION.to_bytes(2, "big") + b"\0\0\0\0garbage", "checksum"),
        (_framed(b"\x07\x02\x00\x00"), "does not hold a pump"),  # a tuple of two Nones
        (_framed(b"\x0f\x7f"), "no type at place 127"),
        (_framed(b"\x63"), "unknown tag 99"),
        (_framed(b"\x08\x05\x00"), "length past the end"),
        (_framed(b"\x10\x03"), "reference to nothing read yet"),
        (GOOD[: len(GOOD) // 2], "checksum"),
    ],
)
def test_what_is_not_a_snapshot_is_refused_with_its_reason(data: bytes, says: str) -> None:
    with pytest.raises(SnapshotError, match=says) as e:
        Pump.restore(data)
    assert e.value.code == "SNAPSHOT_INVALID"


def _restores_or_refuses(data: bytes) -> None:
    try:
        pump = Pump.restore(data)
    except SnapshotError:
        return
    pump.status()  # a pump that restored works


@given(st.binary(max_size=2000))
def test_random_bytes_restore_or_raise_snapshot_error(data: bytes) -> None:
    _restores_or_refuses(data)
    _restores_or_refuses(MAGIC + FORMAT_VERSION.to_bytes(2, "big") + data)
    _restores_or_refuses(_framed(data))


@given(
    st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=8)
)
def test_a_mutated_snapshot_restores_or_raises_snapshot_error(edits: list[tuple[int, int]]) -> None:
    data = bytearray(GOOD)
    for at, byte in edits:
        data[at] = byte
    _restores_or_refuses(bytes(data))
    # And as a forger would send it: the body's checksum made to match, so only decoding objects.
    _restores_or_refuses(_framed(bytes(data[len(MAGIC) + 6 :])))


@given(st.integers(0, len(GOOD) - 1), st.integers(1, 64))
def test_a_cut_or_spliced_snapshot_restores_or_raises_snapshot_error(at: int, n: int) -> None:
    body = GOOD[len(MAGIC) + 6 :]
    _restores_or_refuses(_framed(body[:at]))
    _restores_or_refuses(_framed(body[:at] + body[at + n :]))
    _restores_or_refuses(_framed(body[:at] + body[at - n : at] + body[at:]))
