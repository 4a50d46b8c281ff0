"""The firmware's session keeping: frames in, authenticated requests out, replies sealed back.

Why apart from the firmware's loop: which programmer holds the pump, whether a frame belongs to
its session, the handshake, expiry and goodbye are one job (the line's side of security); what a
request does to the pump is another (`firmware`, `handlers`). The keeper hands the firmware only
requests that arrived sealed in the session in force, in order, once each.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from firmware_protocol.line.fault_sites import OFF, FaultSites
from firmware_protocol.session.handshake import Handshake, Session
from firmware_protocol.session.security import MAX_PLAINTEXT, PumpKeys
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import SECURE, Frame

HANDSHAKE_TYPES = {spec.code for spec in m.SPECS.values() if spec.handshake}
log = logging.getLogger("pumpsim.firmware")  # sessions, refusals, faults: one record each


@dataclass
class FirmwareStats:
    frames_in: int = 0
    frames_out: int = 0
    auth_failures: int = 0
    rejected_unauthenticated: int = 0
    commands: int = 0
    replayed_txns: int = 0


class SessionKeeper:
    """The one session a pump holds at a time, and the handshake that opens the next."""

    def __init__(
        self,
        keys: PumpKeys,
        simulator: bool,
        rng: random.Random,
        *,
        idle_timeout_s: float,
        max_session_s: float,
        write: Callable[[Frame], None],
        opened: Callable[[Session], None],
        stats: FirmwareStats,
        sites: FaultSites = OFF,
    ) -> None:
        self.simulator = simulator
        self.idle_timeout_s = idle_timeout_s
        self.max_session_s = max_session_s
        self.handshake = Handshake(keys, simulator, rng)
        self.session: Session | None = None
        self.stats = stats
        self._write = write
        self._opened = opened
        self._closing = False
        self.sites = sites

    def reset(self) -> None:
        """A new connection: no session carried over, no handshake half done."""
        self.session = None
        self._closing = False
        self.handshake.pending = None

    def close_after_ack(self) -> None:
        """The programmer said goodbye: drop the session once its acknowledgement is out."""
        self._closing = True

    def next_wake_s(self) -> float:
        """When the session next has work without new bytes: a link timer or its expiry."""
        s = self.session
        if s is None:
            return math.inf
        deadline = s.link.next_deadline()
        expiry = min(s.last_seen + self.idle_timeout_s, s.started_at + self.max_session_s)
        return min(math.inf if deadline is None else deadline, expiry)

    # ------------------------------------------------------------------ frames

    def requests(self, frame: Frame, now: float) -> Iterator[tuple[Session, int, bytes]]:
        """The requests `frame` delivers in the session in force (handshake frames are answered
        here; anything else outside the session is refused in clear and delivers nothing)."""
        if not frame.flags & SECURE:
            if frame.msg_type in HANDSHAKE_TYPES:
                self._on_handshake(frame, now)
            else:
                self.stats.rejected_unauthenticated += 1
                refusal = m.ErrorReply(
                    frame.msg_type, 0, m.WireError.NOT_AUTHENTICATED, "authenticate first", ()
                )
                self.reply_plain(refusal)
            return
        s = self.session
        if s is None or frame.session != s.session:
            self.stats.rejected_unauthenticated += 1
            pending = self.handshake.pending
            if pending is None or frame.session != pending.session:
                expired = m.ErrorReply(0, 0, m.WireError.SESSION_EXPIRED, "no such session", ())
                self.reply_plain(expired)
            return
        opened = s.cipher.open(frame)
        if opened is None:
            return  # forged or replayed: counted by the cipher, changes nothing
        s.last_seen = now
        for msg_type, payload in s.link.receive(opened, now):
            yield s, msg_type, payload

    def send(self, s: Session, msg_type: int, replies: list[Any]) -> None:
        """Queue the replies to a request on the session's link."""
        for reply in replies:
            payload = codec.encode(reply, s.version)
            if len(payload) > MAX_PLAINTEXT:  # a reply that cannot fit a frame is a bug:
                log.error("%s reply too large (%d bytes)", type(reply).__name__, len(payload))
                too_big = m.ErrorReply(msg_type, 0, m.WireError.INTERNAL, "reply too large", ())
                reply, payload = too_big, codec.encode(too_big)  # say so, do not go down
            s.link.send(m.SPECS[type(reply)].code, payload)

    def reply_plain(self, msg: Any) -> None:
        self._write(Frame(0, 0, 0, 0, 0, m.SPECS[type(msg)].code, codec.encode(msg)))

    def flush(self, now: float) -> None:
        """Write (at most one frame) the link says is due; end a session that is over."""
        s = self.session
        if s is None:
            return
        for frame in s.link.due(now, limit=1):
            self._write(s.cipher.seal(frame))
        if s.link.failed or self._closing:
            reason = "said goodbye" if self._closing else "stopped acknowledging"
            log.info("session %08x ended: the programmer %s", s.session, reason)
            self.session = None  # the programmer is gone; it will authenticate again
            self._closing = False

    def expire(self, now: float) -> None:
        s = self.session
        if s is None:
            return
        # The same sums as next_wake_s: `now - last_seen >= idle` can round below while
        # `last_seen + idle` does not, and a world woken at that time would wake it for ever.
        if now >= s.last_seen + self.idle_timeout_s or now >= s.started_at + self.max_session_s:
            log.info("session %08x expired", s.session)
            self.session = None
        elif self.sites.fires("sessions.early_expiry"):
            log.info("session %08x ended early (fault site)", s.session)
            self.session = None

    # --------------------------------------------------------------- handshake

    def _on_handshake(self, frame: Frame, now: float) -> None:
        cls = m.MESSAGES[frame.msg_type]
        try:
            msg = codec.decode(cls, frame.payload)
        except codec.DecodeError as e:
            self.reply_plain(
                m.ErrorReply(frame.msg_type, 0, m.WireError.MALFORMED_MESSAGE, str(e), ())
            )
            return
        outcome = self.handshake.on_message(msg, now, self.session)
        self.stats.auth_failures = self.handshake.auth_failures
        for reply in outcome.replies:
            if isinstance(reply, m.AuthFailed):
                log.warning("authentication refused: %s (%s)", reply.code, reply.message)
            self.reply_plain(reply)
        if outcome.opened is not None:
            old = self.session
            if old is not None and old.session != outcome.opened.session:
                # One programmer at a time: whoever handshakes now (the same one back on a pty
                # after vanishing, or another) takes the pump; the old session is over.
                log.info("session %08x ended: replaced by a new handshake", old.session)
            self.session = outcome.opened
            opened = outcome.opened
            opened.link.sites = self.sites
            log.info("session %08x opened by %s as %s", opened.session, opened.device, opened.role)
            self._opened(opened)
        session = outcome.opened or outcome.confirm
        if session is not None:
            ok = m.AuthOk(
                session.session,
                session.role,
                self.idle_timeout_s,
                self.max_session_s,
                self.simulator,
                session.version,
            )
            payload = codec.encode(ok, session.version)
            frame = Frame(0, 0, 0, 0, 0, m.SPECS[m.AuthOk].code, payload)
            self._write(session.cipher.seal(frame))
