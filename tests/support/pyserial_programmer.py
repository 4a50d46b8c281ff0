"""A programmer as a third party writes one: it touches its port only through pyserial's API.

It reads a frame with `read_until(b"\\x00")` (COBS frames end with a zero), writes and `flush()`es,
empties the input with `reset_input_buffer()`, looks at `in_waiting`, sets `timeout`, and holds
the port in a `with` block; the frames and their cryptography come from the documented wire
format (the package's own encoders, as a third party might use them), the reliable link is left
out (one request at a time, each acknowledged by its reply).
"""

from __future__ import annotations

import secrets
from typing import Any

from firmware_protocol.session.security import (
    DeviceKey,
    SessionCipher,
    proof,
    proofs_equal,
    session_keys,
)
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import ACK, DATA, Frame, FrameDecoder


class PyserialProgrammer:
    def __init__(self, port: Any, key: DeviceKey) -> None:
        """`port`: any pyserial port (`serial.Serial`, what `serial_for_url` opens)."""
        self.port = port
        self.key = key
        self.cipher: SessionCipher | None = None
        self.seq = 0  # of our next data frame (the link numbers from 0)
        self.expected = 0  # of the pump's next data frame: what we acknowledge

    def _frame(self) -> Frame:
        raw = self.port.read_until(b"\x00")
        frames = FrameDecoder().feed(raw)
        if len(frames) != 1:
            raise ConnectionError(f"no frame in {raw!r}")
        return frames[0]

    def _send(self, frame: Frame) -> None:
        self.port.write(frame.encode())
        self.port.flush()

    def handshake(self) -> m.AuthOk:
        self.port.reset_input_buffer()
        nonce = secrets.token_bytes(16)
        hello = m.Hello(str(self.key.role), self.key.device_id, nonce)
        self._send(Frame(0, 0, 0, 0, 0, m.SPECS[m.Hello].code, codec.encode(hello)))
        challenge = codec.decode(m.Challenge, self._frame().payload)
        mine = proof(self.key.key, "pump", challenge.session, nonce, challenge.nonce)
        if not proofs_equal(challenge.proof, mine):
            raise ConnectionError("the pump did not prove its key")
        c2p, p2c = session_keys(self.key.key, challenge.session, nonce, challenge.nonce)
        self.cipher = SessionCipher(challenge.session, send_key=c2p, receive_key=p2c)
        auth = m.Auth(
            challenge.session,
            proof(self.key.key, "programmer", challenge.session, nonce, challenge.nonce),
        )
        self._send(Frame(0, 0, 0, 0, 0, m.SPECS[m.Auth].code, codec.encode(auth)))
        sealed = self.cipher.open(self._frame())
        assert sealed is not None
        ok: m.AuthOk = codec.decode(m.AuthOk, sealed.payload)
        return ok

    def request(self, msg: object) -> object:
        assert self.cipher is not None
        code, body = m.SPECS[type(msg)].code, codec.encode(msg)
        self._send(self.cipher.seal(Frame(DATA | ACK, 0, 0, self.seq, self.expected, code, body)))
        self.seq += 1
        while True:
            opened = self.cipher.open(self._frame())
            if opened is not None and opened.flags & DATA:
                self.expected = opened.seq + 1
                ack = Frame(ACK, 0, 0, 0, self.expected, 0, b"")
                self._send(self.cipher.seal(ack))
                return codec.decode(m.MESSAGES[opened.msg_type], opened.payload)
