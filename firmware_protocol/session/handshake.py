"""The pump's side of authentication: hello, challenge, auth, and what a session holds.

Mutual HMAC challenge-response over fresh nonces, per-direction keys from HKDF, then every frame
sealed. A retransmitted hello gets the same challenge and a repeated auth the same AuthOk, so a
lossy line cannot make the pump open two sessions; failures back off exponentially (up to 60 s).
The hello says the newest protocol version the programmer speaks (absent: version 1); the session
speaks the newest both know, which the sealed AuthOk confirms, or the hello is refused with
PROTOCOL_VERSION_UNSUPPORTED. The client's side of the same exchange is `client.channel`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import pumpsim
from firmware_protocol.line.link import Link
from firmware_protocol.session.security import (
    PumpKeys,
    SessionCipher,
    proof,
    proofs_equal,
    session_keys,
)
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m


@dataclass
class Pending:
    session: int
    device: str
    role: m.Role
    key: bytes
    programmer_nonce: bytes
    pump_nonce: bytes
    challenge: m.Challenge
    version: int


@dataclass
class Session:
    session: int
    device: str
    role: m.Role
    cipher: SessionCipher
    link: Link
    started_at: float
    last_seen: float
    auth_proof: bytes
    version: int = codec.CURRENT_VERSION  # of the protocol, negotiated at the hello
    staged: dict[int, pumpsim.TherapyProgram] = field(default_factory=dict)


@dataclass
class HandshakeOutcome:
    """What the firmware must do: plain replies to send, and a session opened (or confirmed)."""

    replies: list[Any] = field(default_factory=list)
    opened: Session | None = None  # a new session: interrogate, then send AuthOk
    confirm: Session | None = None  # the programmer missed AuthOk: send it again


class Handshake:
    def __init__(self, keys: PumpKeys, simulator: bool, rng: random.Random) -> None:
        self.keys = keys
        self.simulator = simulator
        self._rng = rng
        self.pending: Pending | None = None
        self.failures = 0
        self.auth_failures = 0
        self._backoff_until = 0.0

    def on_message(self, msg: Any, now: float, current: Session | None) -> HandshakeOutcome:
        if isinstance(msg, m.Hello):
            return self._on_hello(msg, now)
        if isinstance(msg, m.Auth):
            return self._on_auth(msg, now, current)
        return HandshakeOutcome()

    def _fail(self, code: m.WireError, message: str, now: float) -> HandshakeOutcome:
        self.failures += 1
        self.auth_failures += 1
        if self.failures >= 3:
            self._backoff_until = now + min(60.0, 2.0 ** (self.failures - 3))
        retry = max(0.0, self._backoff_until - now)
        return HandshakeOutcome([m.AuthFailed(code, message, retry)])

    def _on_hello(self, hello: m.Hello, now: float) -> HandshakeOutcome:
        if now < self._backoff_until:
            failed = m.AuthFailed(
                m.WireError.AUTH_BACKOFF,
                "too many failed authentications",
                self._backoff_until - now,
            )
            return HandshakeOutcome([failed])
        p = self.pending
        if p is not None and p.programmer_nonce == hello.nonce:
            return HandshakeOutcome([p.challenge])  # a retransmitted hello: the same challenge
        device = self.keys.devices.get(hello.device_id)
        retired = self.keys.retired.get(hello.device_id)
        if retired is not None:
            why = f"device {hello.device_id}'s key was {retired}: pair it again"
            return self._fail(m.WireError.KEY_REVOKED, why, now)
        try:
            role = m.Role(hello.role)
        except ValueError:
            return self._fail(m.WireError.AUTH_FAILED, f"unknown role {hello.role!r}", now)
        if role is m.Role.SIMULATOR and not self.simulator:
            off = m.AuthFailed(m.WireError.SIMULATOR_DISABLED, "simulator control is off", 0.0)
            return HandshakeOutcome([off])
        if device is None or device.role is not role or len(hello.nonce) != 16:
            return self._fail(m.WireError.AUTH_FAILED, "device not paired for that role", now)
        version = min(hello.protocol_version, codec.CURRENT_VERSION)
        if version < codec.OLDEST_VERSION:
            spoken = f"{codec.OLDEST_VERSION}-{codec.CURRENT_VERSION}"
            why = f"protocol version {hello.protocol_version} asked; this pump speaks {spoken}"
            refused = m.AuthFailed(m.WireError.PROTOCOL_VERSION_UNSUPPORTED, why, 0.0)
            return HandshakeOutcome([refused])  # not a failed authentication: no back-off
        session = self._rng.getrandbits(32) or 1
        pump_nonce = self._rng.randbytes(16)
        challenge = m.Challenge(
            session,
            self.keys.pump_id,
            pump_nonce,
            proof(device.key, "pump", session, hello.nonce, pump_nonce),
        )
        self.pending = Pending(
            session, hello.device_id, role, device.key, hello.nonce, pump_nonce, challenge, version
        )
        return HandshakeOutcome([challenge])

    def _on_auth(self, auth: m.Auth, now: float, current: Session | None) -> HandshakeOutcome:
        s = current
        if s is not None and s.session == auth.session and proofs_equal(auth.proof, s.auth_proof):
            return HandshakeOutcome(confirm=s)
        p = self.pending
        if p is None or p.session != auth.session:
            return self._fail(m.WireError.AUTH_FAILED, "no handshake in progress", now)
        expected = proof(p.key, "programmer", p.session, p.programmer_nonce, p.pump_nonce)
        if not proofs_equal(auth.proof, expected):
            self.pending = None
            return self._fail(m.WireError.AUTH_FAILED, "authentication failed", now)
        c2p, p2c = session_keys(p.key, p.session, p.programmer_nonce, p.pump_nonce)
        opened = Session(
            p.session,
            p.device,
            p.role,
            SessionCipher(p.session, send_key=p2c, receive_key=c2p),
            Link(),
            now,
            now,
            auth.proof,
            p.version,
        )
        self.pending = None
        self.failures = 0
        return HandshakeOutcome(opened=opened)
