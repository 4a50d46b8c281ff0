"""The two link failures pump drivers get wrong in the field, aimed at the Nth command.

- `lose_command(n)`: every transmission of the Nth state-changing command is lost, so the pump
  never acts; the programmer's link gives up and the outcome is uncertain.
- `lose_reply(n)`: the Nth state-changing command arrives and the pump acts and commits, but
  nothing the pump sends afterwards in that session arrives; the outcome is just as uncertain.

Both look the same to the programmer until it reconnects and asks the pump about the transaction
id. Frames are recognised by their clear-text header (type, session, sequence), which the
security layer authenticates but does not hide.
"""

from __future__ import annotations

from firmware_protocol.line.transport import FaultyPort
from firmware_protocol.wire import cobs
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import DATA, FrameError, parse_body

MUTATING = {spec.code for spec in m.SPECS.values() if spec.mutating}


def _header(encoded: bytes) -> tuple[int, int, int, bool] | None:
    """(session, seq, type, is data) of an encoded frame, or None if it does not parse."""
    try:
        frame = parse_body(cobs.decode(encoded.rstrip(b"\x00")))
    except (cobs.CobsError, FrameError):
        return None
    return frame.session, frame.seq, frame.msg_type, bool(frame.flags & DATA)


class _CommandCounter:
    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError("commands are counted from 1")
        self.n = n
        self.seen: list[tuple[int, int]] = []
        self.target: tuple[int, int] | None = None

    def observe(self, encoded: bytes) -> tuple[int, int] | None:
        """The (session, seq) of a command data frame, counting each command once."""
        head = _header(encoded)
        if head is None:
            return None
        session, seq, msg_type, data = head
        if not data or msg_type not in MUTATING:
            return None
        key = (session, seq)
        if key not in self.seen:
            self.seen.append(key)
            if len(self.seen) == self.n:
                self.target = key
        return key


def lose_command(port: FaultyPort, n: int) -> None:
    """Drop every transmission of the Nth state-changing command sent after this call."""
    counter = _CommandCounter(n)

    def drop(encoded: bytes) -> bool:
        key = counter.observe(encoded)
        return key is not None and key == counter.target

    port.drop_outbound = drop


def lose_reply(port: FaultyPort, n: int) -> None:
    """Let the Nth command (after this call) through, then lose all the pump sends after it."""
    counter = _CommandCounter(n)

    def watch(encoded: bytes) -> bool:
        counter.observe(encoded)
        return False

    def drop(encoded: bytes) -> bool:
        if counter.target is None:
            return False
        head = _header(encoded)
        return head is not None and head[0] == counter.target[0]

    port.drop_outbound = watch
    port.drop_inbound = drop
