"""Reliable, ordered delivery of messages over frames: a sans-I/O state machine.

Nothing here reads a port or a clock: the caller feeds received frames in, asks which frames are
due at a time it supplies, and writes them out. That keeps the hard part (acknowledgements,
retransmission, the sliding window, duplicates) testable in a single thread against a simulated
lossy channel.

- Every data frame has a 16-bit sequence number; every frame carries the cumulative
  acknowledgement (next sequence expected) of the other direction.
- Up to `window` frames are in flight, so bulk transfers keep the line busy.
- The receiver buffers frames that arrive ahead of a gap and delivers in order; duplicates are
  acknowledged again and dropped, never delivered twice.
- Retransmission: the oldest unacknowledged frame after an adaptive timeout (Jacobson/Karels,
  Karn's rule), or at once on repeated duplicate acknowledgements (a gap behind good frames).
  After `max_retries` the link is declared failed: the caller turns that into a clear error.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from firmware_protocol.line.fault_sites import OFF
from firmware_protocol.wire.frame import ACK, DATA, Frame

SEQ_MOD = 1 << 16


@dataclass
class _Outstanding:
    msg_type: int
    payload: bytes
    sent_at: float
    tries: int
    echoed: bool = False  # sent again for a peer's duplicate: its round trip is ambiguous


@dataclass
class LinkStats:
    sent: int = 0
    retransmitted: int = 0
    fast_retransmits: int = 0
    duplicates: int = 0
    out_of_window: int = 0
    delivered: int = 0


def _unwrap(seq16: int, near: int) -> int:
    """The full sequence number closest to `near` whose low 16 bits are `seq16`."""
    delta = (seq16 - near) % SEQ_MOD
    if delta >= SEQ_MOD // 2:
        delta -= SEQ_MOD
    return near + delta


class Link:
    def __init__(
        self,
        *,
        window: int = 16,
        max_retries: int = 8,
        initial_rto_s: float = 1.0,
        min_rto_s: float = 0.2,
        max_rto_s: float = 8.0,
    ) -> None:
        if not 1 <= window <= 1024:
            raise ValueError("window must be in [1, 1024]")
        self.window = window
        self.max_retries = max_retries
        self.min_rto_s = min_rto_s
        self.max_rto_s = max_rto_s
        self._queue: deque[tuple[int, bytes]] = deque()
        self._outstanding: dict[int, _Outstanding] = {}
        self._next_seq = 0
        self._base = 0  # oldest unacknowledged
        self._expected = 0  # next sequence to deliver
        self._ahead: dict[int, tuple[int, bytes]] = {}
        self._ack_due = False
        self._dup_acks = 0
        self._fast_done_for = -1
        self._fast_pending = False
        self._echo_pending = False  # a peer's duplicate asks for our oldest frame again
        self._srtt: float | None = None
        self._rttvar = 0.0
        self.rto_s = initial_rto_s
        self.failed = False
        self.stats = LinkStats()
        self.sites = OFF  # fault sites (the swarm's, on virtual time)

    # ----------------------------------------------------------------- sending

    def send(self, msg_type: int, payload: bytes) -> None:
        self._queue.append((msg_type, payload))

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing awaiting acknowledgement."""
        return not self._queue and not self._outstanding

    @property
    def in_flight(self) -> int:
        return len(self._outstanding)

    def _data_frame(self, seq: int, entry: _Outstanding) -> Frame:
        return Frame(
            DATA | ACK,
            0,
            0,
            seq % SEQ_MOD,
            self._expected % SEQ_MOD,
            entry.msg_type,
            entry.payload,
        )

    def due(self, now: float, limit: int | None = None) -> list[Frame]:
        """Frames to transmit at `now`: a retransmission, new data within the window, an ack.

        `limit` caps the data frames returned, for a driver on a slow line that writes one frame
        at a time and reads acknowledgements in between (so round-trip samples stay honest).
        """
        out: list[Frame] = []
        if self.failed:
            return out
        if self._outstanding:
            oldest = self._outstanding[self._base]
            timed_out = now >= oldest.sent_at + self.rto_s
            if timed_out or self._fast_pending:
                if oldest.tries > self.max_retries:
                    self.failed = True
                    return out
                self._retransmit(oldest, now, out)
                if timed_out and not self._fast_pending:
                    self.rto_s = min(self.max_rto_s, self.rto_s * 2)  # back off
                self._fast_pending = False
            elif self._echo_pending and now >= oldest.sent_at + self.min_rto_s:
                # Not a try of its own (the peer's duplicates set the pace, and are bounded by
                # its own retries): the frame goes again, its timer restarts.
                oldest.sent_at, oldest.echoed = now, True
                out.append(self._data_frame(self._base, oldest))
                self.stats.retransmitted += 1
        self._echo_pending = False
        while (
            self._queue
            and len(self._outstanding) < self.window
            and (limit is None or len(out) < limit)
        ):
            msg_type, payload = self._queue.popleft()
            entry = _Outstanding(msg_type, payload, now, 1)
            seq = self._next_seq
            self._next_seq += 1
            self._outstanding[seq] = entry
            out.append(self._data_frame(seq, entry))
            self.stats.sent += 1
        if out:
            self._ack_due = False
        elif self._ack_due:
            self._ack_due = False
            out.append(Frame(ACK, 0, 0, 0, self._expected % SEQ_MOD, 0, b""))
            if self.sites.fires("link.duplicate_ack"):
                out.append(out[-1])
        return out

    def _retransmit(self, entry: _Outstanding, now: float, out: list[Frame]) -> None:
        entry.tries += 1
        entry.sent_at = now
        for other in self._outstanding.values():  # the rest are probably buffered: wait for them
            other.sent_at = max(other.sent_at, now)
        out.append(self._data_frame(self._base, entry))
        self.stats.retransmitted += 1

    def next_deadline(self) -> float | None:
        """When `due` next has something to do without new input (None: nothing pending)."""
        if (
            self._ack_due
            or self._fast_pending
            or (self._queue and len(self._outstanding) < self.window)
        ):
            return 0.0
        if self._outstanding:
            return self._outstanding[self._base].sent_at + self.rto_s
        return None

    # --------------------------------------------------------------- receiving

    def receive(self, frame: Frame, now: float) -> list[tuple[int, bytes]]:
        """Take one (already authenticated) frame; return messages now deliverable in order."""
        if frame.flags & ACK:
            self._on_ack(_unwrap(frame.ack, self._base), now)
        delivered: list[tuple[int, bytes]] = []
        if not frame.flags & DATA:
            return delivered
        seq = _unwrap(frame.seq, self._expected)
        self._ack_due = True
        if seq < self._expected:
            self.stats.duplicates += 1
            if self._outstanding:
                # The peer sends again what we delivered: it has not heard our acknowledgement,
                # which our oldest unacknowledged frame carries. Send that frame again now rather
                # than a bare acknowledgement: on a line that loses every other frame, bare acks
                # and retransmissions could alternate so that the data always fell on a lost one.
                self._echo_pending = True
            return delivered
        if seq >= self._expected + 4 * self.window:
            self.stats.out_of_window += 1
            return delivered
        if seq in self._ahead:
            self.stats.duplicates += 1
        self._ahead[seq] = (frame.msg_type, frame.payload)
        while self._expected in self._ahead:
            delivered.append(self._ahead.pop(self._expected))
            self._expected += 1
        self.stats.delivered += len(delivered)
        return delivered

    def _on_ack(self, ack: int, now: float) -> None:
        if ack > self._next_seq or ack < self._base:
            return  # stale or nonsense
        if ack == self._base:
            if self._outstanding:
                self._dup_acks += 1
                if self._dup_acks >= 2 and self._fast_done_for != self._base:
                    self._fast_done_for = self._base
                    self.stats.fast_retransmits += 1
                    self._fast_pending = True
            return
        newest = self._outstanding[ack - 1]
        if newest.tries == 1 and not newest.echoed:  # Karn: only unambiguous samples
            self._sample_rtt(now - newest.sent_at)
        for seq in range(self._base, ack):
            del self._outstanding[seq]
        self._base = ack
        self._dup_acks = 0
        self._fast_pending = False
        if self._srtt is not None:
            self.rto_s = self._rto_from_estimate()

    def _sample_rtt(self, rtt: float) -> None:
        if self._srtt is None:
            self._srtt = rtt
            self._rttvar = rtt / 2
        else:
            self._rttvar = 0.75 * self._rttvar + 0.25 * abs(self._srtt - rtt)
            self._srtt = 0.875 * self._srtt + 0.125 * rtt

    def _rto_from_estimate(self) -> float:
        assert self._srtt is not None
        return min(self.max_rto_s, max(self.min_rto_s, self._srtt + 4 * self._rttvar))
