"""A peer that sends again what was delivered has not heard the acknowledgement, which rides on
our oldest unacknowledged frame: the link sends that frame again, not a bare acknowledgement.

Why it matters: on a line that loses every other frame one way (`pumpsim serve
--line-lose-reply-every 2`), bare acknowledgements and retransmissions could alternate so that
the reply always fell on a lost frame; the programmer then timed out (a wall-clock test failed
about once in fifteen runs).
"""

from __future__ import annotations

from firmware_protocol.line.link import Link
from firmware_protocol.wire.frame import DATA, Frame, FrameDecoder


def _through(frames: list[Frame]) -> list[Frame]:
    """Frames as the other end reads them (encoded and decoded, as on a line)."""
    return list(FrameDecoder().feed(b"".join(f.encode() for f in frames)))


def test_a_duplicate_request_is_answered_with_the_reply_again() -> None:
    programmer, pump = Link(), Link()
    programmer.send(0x0101, b"request")
    (request,) = _through(programmer.due(0.0))
    assert [p for _, p in pump.receive(request, 0.01)] == [b"request"]
    pump.send(0x0102, b"reply")
    (reply,) = pump.due(0.02)  # carries the acknowledgement of the request
    assert reply.flags & DATA
    # The reply is lost and the request comes again (well before the pump's own timer, 1 s).
    assert pump.receive(request, 0.3) == []  # already delivered: not delivered twice
    answer = pump.due(0.31)
    assert [(f.flags & DATA, f.payload) for f in answer] == [(DATA, b"reply")]
    (reply_again,) = _through(answer)
    assert [p for _, p in programmer.receive(reply_again, 0.32)] == [b"reply"]


def test_duplicates_in_a_burst_do_not_resend_faster_than_the_shortest_timeout() -> None:
    programmer, pump = Link(), Link()
    programmer.send(0x0101, b"request")
    (request,) = _through(programmer.due(0.0))
    pump.receive(request, 0.0)
    pump.send(0x0102, b"reply")
    pump.due(0.0)
    pump.receive(request, 0.05)  # a duplicate at once: too soon to resend (min_rto_s 0.2)
    assert all(not f.flags & DATA for f in pump.due(0.05))
    pump.receive(request, 0.3)
    assert any(f.flags & DATA for f in pump.due(0.3))
