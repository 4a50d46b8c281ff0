"""Frames: the checked unit on the wire, and a streaming decoder that never raises.

On the wire a frame is COBS(header + payload + CRC) followed by one 0x00. The CRC
(CRC-16/CCITT-FALSE, `binascii.crc_hqx(data, 0xFFFF)`) separates line noise, which is dropped and
counted, from everything after it; authenticity is the security layer's job (an AEAD tag).
The decoder holds at most `MAX_ENCODED` bytes of a frame in progress: past that it discards up to
the next delimiter, so no byte sequence can make it grow without bound or swallow good frames.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass, field
from enum import IntFlag

from firmware_protocol.wire import cobs

VERSION = 1
HEADER = struct.Struct(">BBIIHHHH")  # version, flags, session, counter, seq, ack, type, length
HEADER_SIZE = HEADER.size  # 18
CRC_SIZE = 2
# One message per frame, so the largest message sets this: a Status with a long weekly schedule
# and every alarm latched takes about 4 KB. Bulk reads still come in chunks of about 1 KB
# (bulk.CHUNK_BYTES), which a noisy line passes far more often than 4 KB ones.
MAX_PAYLOAD = 4096
MAX_BODY = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE
MAX_ENCODED = MAX_BODY + MAX_BODY // 254 + 1
DELIMITER = b"\x00"


class Flags(IntFlag):
    SECURE = 0x01  # payload is AEAD ciphertext + tag; header is its associated data
    ACK = 0x02  # the ack field is meaningful
    DATA = 0x04  # carries a message with a sequence number to be acknowledged


KNOWN_FLAGS = Flags.SECURE | Flags.ACK | Flags.DATA
# The same bits as plain ints, for the per-frame paths: an IntFlag operation builds enum members,
# which cost more than the rest of a frame's header handling.
SECURE, ACK, DATA = int(Flags.SECURE), int(Flags.ACK), int(Flags.DATA)


def crc16(data: bytes) -> int:
    return binascii.crc_hqx(data, 0xFFFF)


@dataclass(frozen=True, slots=True)
class Frame:
    flags: int  # a combination of `Flags`
    session: int
    counter: int
    seq: int
    ack: int
    msg_type: int
    payload: bytes = b""
    version: int = VERSION

    def header(self) -> bytes:
        return HEADER.pack(
            self.version,
            self.flags,
            self.session,
            self.counter,
            self.seq,
            self.ack,
            self.msg_type,
            len(self.payload),
        )

    def encode(self) -> bytes:
        """The bytes to put on the wire, delimiter included."""
        if len(self.payload) > MAX_PAYLOAD:
            raise ValueError(f"payload of {len(self.payload)} bytes exceeds {MAX_PAYLOAD}")
        body = self.header() + self.payload
        return cobs.encode(body + crc16(body).to_bytes(2, "big")) + DELIMITER


class FrameError(ValueError):
    pass


def parse_body(body: bytes) -> Frame:
    """A de-stuffed body (header, payload, CRC) to a Frame, or FrameError saying why not."""
    if len(body) < HEADER_SIZE + CRC_SIZE:
        raise FrameError("too short")
    if crc16(body[:-CRC_SIZE]) != int.from_bytes(body[-CRC_SIZE:], "big"):
        raise FrameError("crc")
    version, flags, session, counter, seq, ack, msg_type, length = HEADER.unpack_from(body)
    if version != VERSION:
        raise FrameError(f"version {version}")
    if flags & ~int(KNOWN_FLAGS):
        raise FrameError(f"unknown flags 0x{flags:02x}")
    if length != len(body) - HEADER_SIZE - CRC_SIZE or length > MAX_PAYLOAD:
        raise FrameError("length")
    payload = body[HEADER_SIZE : HEADER_SIZE + length]
    return Frame(flags, session, counter, seq, ack, msg_type, payload, version)


@dataclass
class DecoderStats:
    frames: int = 0
    crc_errors: int = 0
    malformed: int = 0
    oversize: int = 0
    bytes_discarded: int = 0
    rejected: dict[str, int] = field(default_factory=dict)


class FrameDecoder:
    """Feed it any bytes; it returns the good frames and counts the rest."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._discarding = False
        self.stats = DecoderStats()

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        start = 0
        while True:
            end = data.find(0, start)
            chunk = data[start:] if end < 0 else data[start:end]
            if self._discarding:
                self.stats.bytes_discarded += len(chunk)
            else:
                self._buf += chunk
                if len(self._buf) > MAX_ENCODED:
                    self.stats.oversize += 1
                    self.stats.bytes_discarded += len(self._buf)
                    self._buf.clear()
                    self._discarding = True
            if end < 0:
                return frames
            if not self._discarding and self._buf:
                frame = self._finish(bytes(self._buf))
                if frame is not None:
                    frames.append(frame)
            self._buf.clear()
            self._discarding = False
            start = end + 1

    def _finish(self, encoded: bytes) -> Frame | None:
        try:
            frame = parse_body(cobs.decode(encoded))
        except cobs.CobsError:
            self.stats.malformed += 1
            return None
        except FrameError as e:
            reason = str(e)
            if reason == "crc":
                self.stats.crc_errors += 1
            else:
                self.stats.malformed += 1
                self.stats.rejected[reason] = self.stats.rejected.get(reason, 0) + 1
            return None
        self.stats.frames += 1
        return frame
