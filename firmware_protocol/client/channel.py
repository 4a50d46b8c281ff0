"""The client's line to the pump: the handshake, then sealed frames over the reliable link.

Why apart from `PumpClient`: turning bytes into authenticated messages and back (the port, the
frame decoder, the session cipher, the link's timers) is one job; knowing which request to send
and what its reply means is another. The channel drives the link as it waits, so a plain script
needs no threads, and turns every way a line can fail into `LinkLostError`.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import serial

from firmware_protocol.client.errors import (
    AuthenticationError,
    LinkLostError,
    RequestTooLargeError,
)
from firmware_protocol.line.link import Link, LinkStats
from firmware_protocol.line.transport import Port, read_available
from firmware_protocol.session.security import (
    MAX_PLAINTEXT,
    DeviceKey,
    SessionCipher,
    proof,
    proofs_equal,
    session_keys,
)
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import SECURE, Frame, FrameDecoder

POLL_S = 0.05  # longest wait for bytes; a read returns as soon as any arrive


class Carrier(Protocol):
    """What a `PumpClient` needs of whatever carries its requests: a `Channel` over a port, or
    (in-process, for a simulator's bench) something that hands them to a firmware directly."""

    port: Port
    key: DeviceKey
    session: m.AuthOk | None

    @property
    def link_stats(self) -> LinkStats | None: ...
    @property
    def connected(self) -> bool: ...
    def connect(self) -> m.AuthOk: ...
    def close(self) -> None: ...
    def send(self, msg: Any) -> None: ...
    def next_reply(self, timeout_s: float) -> Any: ...


class Channel:
    """One programmer's authenticated, reliable channel to a pump over `port`."""

    def __init__(
        self,
        port: Port,
        key: DeviceKey,
        *,
        handshake_timeout_s: float,
        monotonic: Callable[[], float],
        window: int,
        rng: random.Random,
        protocol_version: int = codec.CURRENT_VERSION,
    ) -> None:
        self.port = port
        self.protocol_version = protocol_version  # asked for; `version` is what the session speaks
        self.version = protocol_version
        self.key = key
        self.handshake_timeout_s = handshake_timeout_s
        self._monotonic = monotonic
        self._window = window
        self._rng = rng
        self._decoder = FrameDecoder()
        self.cipher: SessionCipher | None = None
        self.link: Link | None = None
        self._inbox: deque[Any] = deque()
        self.session: m.AuthOk | None = None
        port.timeout = POLL_S

    @property
    def link_stats(self) -> LinkStats | None:
        return self.link.stats if self.link is not None else None

    @property
    def connected(self) -> bool:
        return self.cipher is not None and self.link is not None and not self.link.failed

    # ---------------------------------------------------------------- handshake

    def connect(self) -> m.AuthOk:
        """Mutual authentication; on success every later frame is encrypted and authenticated."""
        self.cipher = None
        self.link = None
        self._inbox.clear()
        nonce = self._rng.randbytes(16)
        hello = m.Hello(str(self.key.role), self.key.device_id, nonce, self.protocol_version)

        def proves_itself(c: m.Challenge) -> bool:
            if c.pump_id != self.key.pump_id:
                raise AuthenticationError(
                    "WRONG_PUMP",
                    f"the pump answering is {c.pump_id}; this key is paired with "
                    f"{self.key.pump_id}",
                )
            expected = proof(self.key.key, "pump", c.session, nonce, c.nonce)
            return proofs_equal(c.proof, expected)

        # A challenge that does not prove the pump's key for *this* hello's nonce may be the late
        # answer to an earlier attempt's hello (a slow line, a backoff waited out): it is passed
        # over, not taken as the pump's failure, or every attempt would read the one before's
        # answer for ever (swarm seed 5, healing). Only if none proves itself in time does the
        # pump count as not authentic. A challenge from another pump is no late answer of this
        # one's: the key was chosen for another pump, said at once.
        challenge = self._handshake_exchange(hello, m.Challenge, accept=proves_itself)
        assert isinstance(challenge, m.Challenge)
        c2p, p2c = session_keys(self.key.key, challenge.session, nonce, challenge.nonce)
        cipher = SessionCipher(challenge.session, send_key=c2p, receive_key=p2c)
        auth = m.Auth(
            challenge.session,
            proof(self.key.key, "programmer", challenge.session, nonce, challenge.nonce),
        )
        ok = self._handshake_exchange(auth, m.AuthOk, cipher)
        assert isinstance(ok, m.AuthOk)
        if not codec.OLDEST_VERSION <= ok.protocol_version <= self.protocol_version:
            raise AuthenticationError(
                "PROTOCOL_VERSION_UNSUPPORTED",
                f"the pump speaks protocol version {ok.protocol_version}, "
                f"this programmer {codec.OLDEST_VERSION}-{self.protocol_version}",
            )
        self.version = ok.protocol_version
        self.cipher = cipher
        self.link = Link(window=self._window)
        self.session = ok
        return ok

    def _handshake_exchange(
        self,
        msg: Any,
        want: type,
        cipher: SessionCipher | None = None,
        accept: Callable[[Any], bool] | None = None,
    ) -> Any:
        # A version-1 programmer's hello has no version field; any other says what it asks for.
        layout = codec.OLDEST_VERSION if self.protocol_version == 1 else codec.CURRENT_VERSION
        payload = codec.encode(msg, layout)
        frame = Frame(0, 0, 0, 0, 0, m.SPECS[type(msg)].code, payload)
        deadline = self._monotonic() + self.handshake_timeout_s
        resend_at = 0.0
        passed_over = False  # an answer of the wanted type that `accept` refused
        while True:
            now = self._monotonic()
            if now >= deadline:
                if passed_over:
                    raise AuthenticationError(
                        "PUMP_NOT_AUTHENTIC", "the pump failed to prove its key"
                    )
                raise LinkLostError("no answer from the pump during authentication")
            try:
                if now >= resend_at:
                    self.port.write(frame.encode())
                    resend_at = now + 0.5
                # Wait for bytes until the next resend at most, and never not at all: a timeout
                # of 0 left over from the link (its timer was due) made this loop spin without
                # time passing, for ever on virtual time (swarm seed 4869).
                self.port.timeout = max(0.001, min(POLL_S, resend_at - now, deadline - now))
                data = read_available(self.port)
            except (OSError, serial.SerialException) as e:
                raise LinkLostError(f"the port failed: {e}") from None
            for f in self._decoder.feed(data):
                if f.flags & SECURE:
                    if cipher is None or f.msg_type != m.SPECS[want].code:
                        continue
                    opened = cipher.open(f)
                    if opened is None:
                        continue
                    return codec.decode(want, opened.payload)
                cls = m.MESSAGES.get(f.msg_type)
                if cls is m.AuthFailed:
                    failed = codec.decode(m.AuthFailed, f.payload)
                    raise AuthenticationError(failed.code, failed.message, failed.retry_after_s)
                if cls is want and cipher is None:
                    answer = codec.decode(want, f.payload)
                    if accept is None or accept(answer):
                        return answer
                    passed_over = True

    def close(self) -> None:
        """Say goodbye (best effort) and forget the session."""
        if self.connected:
            assert self.link is not None
            self.link.send(m.SPECS[m.Bye].code, b"")
            deadline = self._monotonic() + 1.0
            while not self.link.idle and self._monotonic() < deadline and not self.link.failed:
                self.pump_io()
        self.cipher = None
        self.link = None

    # ------------------------------------------------------------------- I/O

    def pump_io(self) -> None:
        try:
            self._pump_io_once()
        except (OSError, serial.SerialException) as e:
            if self.link is not None:
                self.link.failed = True
            raise LinkLostError(f"the port failed: {e}") from None

    def _pump_io_once(self) -> None:
        link, cipher = self.link, self.cipher
        assert link is not None
        assert cipher is not None
        now = self._monotonic()
        for frame in link.due(now):
            self.port.write(cipher.seal(frame).encode())
        # Wait for bytes, but not past the link's next timer (a retransmission is due then).
        deadline = link.next_deadline()
        wait = POLL_S if deadline is None else min(POLL_S, max(0.0, deadline - now))
        self.port.timeout = wait
        data = read_available(self.port)
        if not data:
            return
        now = self._monotonic()
        for frame in self._decoder.feed(data):
            if not frame.flags & SECURE:
                if frame.msg_type == m.SPECS[m.ErrorReply].code:
                    try:
                        err = codec.decode(m.ErrorReply, frame.payload)
                    except codec.DecodeError:
                        continue
                    if err.code == m.WireError.SESSION_EXPIRED:
                        link.failed = True
                continue
            opened = cipher.open(frame)
            if opened is None:
                continue
            for msg_type, payload in link.receive(opened, now):
                cls = m.MESSAGES.get(msg_type)
                if cls is not None:
                    self._inbox.append(codec.decode(cls, payload))
        for frame in link.due(self._monotonic()):  # acknowledge promptly
            self.port.write(cipher.seal(frame).encode())

    def next_reply(self, timeout_s: float) -> Any:
        if not self.connected:
            raise LinkLostError("not connected")
        assert self.link is not None
        deadline = self._monotonic() + timeout_s
        while not self._inbox:
            if self.link.failed:
                raise LinkLostError("the pump stopped acknowledging")
            if self._monotonic() > deadline:
                self.link.failed = True
                raise LinkLostError("no reply from the pump in time")
            self.pump_io()
        return self._inbox.popleft()

    def send(self, msg: Any) -> None:
        if not self.connected:
            raise LinkLostError("not connected")
        assert self.link is not None
        payload = codec.encode(msg, self.version)
        if len(payload) > MAX_PLAINTEXT:
            raise RequestTooLargeError(
                f"{type(msg).__name__} takes {len(payload)} bytes; a message holds at most "
                f"{MAX_PLAINTEXT} (a schedule that long has too many steps to send)"
            )
        self._inbox.clear()
        self.link.send(m.SPECS[type(msg)].code, payload)
