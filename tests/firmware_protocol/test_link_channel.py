"""The reliable link over a simulated lossy channel, in simulated time (no threads, no sleeping)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from firmware_protocol.line.link import Link
from firmware_protocol.wire.frame import Flags, Frame

TICK = 0.01


def run(
    a: Link,
    b: Link,
    seed: int,
    loss: float,
    dup: float = 0.0,
    reorder: float = 0.0,
    max_ticks: int = 200_000,
) -> tuple[list[tuple[int, bytes]], list[tuple[int, bytes]], int, int]:
    """Drive both ends until idle (or failed): (received by a, by b, ticks, most in flight)."""
    rng = random.Random(seed)
    to_b: list[tuple[int, Frame]] = []
    to_a: list[tuple[int, Frame]] = []
    got_a: list[tuple[int, bytes]] = []
    got_b: list[tuple[int, bytes]] = []
    max_in_flight = 0
    for tick in range(max_ticks):
        now = tick * TICK
        for sender, queue in ((a, to_b), (b, to_a)):
            for frame in sender.due(now):
                if rng.random() < loss:
                    continue
                delay = 1 + (rng.randrange(5) if rng.random() < reorder else 0)
                queue.append((tick + delay, frame))
                if rng.random() < dup:
                    queue.append((tick + delay + 1, frame))
        max_in_flight = max(max_in_flight, a.in_flight)
        for receiver, queue, got in ((b, to_b, got_b), (a, to_a, got_a)):
            arrived = [f for t, f in queue if t <= tick]
            queue[:] = [(t, f) for t, f in queue if t > tick]
            for frame in arrived:
                got.extend(receiver.receive(frame, now))
        if (a.idle and b.idle and not to_a and not to_b) or a.failed or b.failed:
            return got_a, got_b, tick, max_in_flight
    raise AssertionError("the link neither finished nor failed")


@given(
    seed=st.integers(0, 2**32),
    loss=st.sampled_from([0.0, 0.05, 0.2, 0.3]),
    dup=st.sampled_from([0.0, 0.1]),
    reorder=st.sampled_from([0.0, 0.2]),
    n_a=st.integers(1, 120),
    n_b=st.integers(0, 40),
)
def test_exactly_once_in_order_both_ways(
    seed: int, loss: float, dup: float, reorder: float, n_a: int, n_b: int
) -> None:
    a, b = Link(window=8, max_retries=30), Link(window=8, max_retries=30)
    sent_a = [(1, i.to_bytes(4, "big")) for i in range(n_a)]
    sent_b = [(2, i.to_bytes(4, "big")) for i in range(n_b)]
    for msg in sent_a:
        a.send(*msg)
    for msg in sent_b:
        b.send(*msg)
    got_a, got_b, _, most_in_flight = run(a, b, seed, loss, dup, reorder)
    assert not a.failed
    assert not b.failed
    assert got_b == sent_a
    assert got_a == sent_b
    assert most_in_flight <= 8


def test_a_dead_channel_fails_in_bounded_time_and_delivers_nothing() -> None:
    a, b = Link(window=4, max_retries=5), Link(window=4)
    for i in range(10):
        a.send(1, bytes([i]))
    _, got_b, ticks, _ = run(a, b, seed=1, loss=1.0)
    assert a.failed
    assert got_b == []
    assert ticks * TICK < 120  # backed-off retries, then give up


def test_sequence_numbers_wrap() -> None:
    a, b = Link(window=64), Link(window=64)
    n = 70_000
    for i in range(n):
        a.send(1, i.to_bytes(4, "big"))
    _, got_b, _, _ = run(a, b, seed=3, loss=0.0)
    assert [int.from_bytes(p, "big") for _, p in got_b] == list(range(n))


def test_duplicates_are_acknowledged_again_but_delivered_once() -> None:
    a, b = Link(), Link()
    a.send(5, b"hello")
    frame = a.due(0.0)[0]
    assert b.receive(frame, 0.0) == [(5, b"hello")]
    assert b.receive(frame, 0.1) == []
    acks = b.due(0.1)
    assert len(acks) == 1
    assert acks[0].flags == Flags.ACK
    assert acks[0].ack == 1
    assert b.stats.duplicates == 1


def test_a_single_loss_is_repaired_by_fast_retransmit() -> None:
    a, b = Link(window=8, initial_rto_s=5.0), Link(window=8)
    for i in range(8):
        a.send(1, bytes([i]))
    frames = a.due(0.0)
    got: list[tuple[int, bytes]] = []
    for frame in frames[1:]:  # the first one is lost
        got += b.receive(frame, 0.01)
        for ack in b.due(0.01):
            a.receive(ack, 0.02)
    repair = a.due(0.03)
    assert a.stats.fast_retransmits == 1
    assert [f.seq for f in repair] == [0]
    got += b.receive(repair[0], 0.04)
    assert got == [(1, bytes([i])) for i in range(8)]
