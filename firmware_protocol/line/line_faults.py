"""The one fault model of a serial line: what can happen to bytes and frames, from a seed.

Used by `FaultyPort` (around any real port), by the simulated line on virtual time and by
`pumpsim serve`, so a fault means the same wherever it is injected. Pure: a seeded generator
decides every fault, nothing here reads a clock.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class LineFaults:
    """Seeded faults for one direction of a line."""

    bit_flip_rate: float = 0.0  # per byte
    drop_byte_rate: float = 0.0
    duplicate_byte_rate: float = 0.0
    drop_frame_rate: float = 0.0
    duplicate_frame_rate: float = 0.0
    reorder_frame_rate: float = 0.0  # swap a frame with the next one
    delay_s: float = 0.0  # every frame held this long (reads only)
    drop_frames: set[int] = field(default_factory=set)  # by index in this direction
    drop_all_from_frame: int | None = None  # link loss from this frame on
    drop_every_nth: int | None = None  # lose frame n, 2n, 3n, ... of this direction


@dataclass
class FaultStats:
    frames: int = 0
    dropped: int = 0
    corrupted_bytes: int = 0


class FrameShaper:
    """Applies one direction's `LineFaults` to whole frames (split at the 0x00 delimiter)."""

    def __init__(self, faults: LineFaults, rng: random.Random) -> None:
        self.faults = faults
        self.rng = rng
        self.partial = bytearray()
        self.held: bytes | None = None
        self.stats = FaultStats()

    def shape(self, data: bytes, frame_filter: FrameFilter | None) -> bytes:
        f = self.faults
        out = bytearray()
        self.partial += data
        while True:
            end = self.partial.find(0)
            if end < 0:
                break
            frame = bytes(self.partial[: end + 1])
            del self.partial[: end + 1]
            index = self.stats.frames
            self.stats.frames += 1
            drop = (
                index in f.drop_frames
                or (f.drop_all_from_frame is not None and index >= f.drop_all_from_frame)
                or (f.drop_every_nth is not None and (index + 1) % f.drop_every_nth == 0)
                or self.rng.random() < f.drop_frame_rate
                or (frame_filter is not None and frame_filter(frame))
            )
            if drop:
                self.stats.dropped += 1
                continue
            frame = self._bytes(frame)
            copies = 2 if self.rng.random() < f.duplicate_frame_rate else 1
            for _ in range(copies):
                if self.held is not None:
                    out += frame
                    out += self.held
                    self.held = None
                elif self.rng.random() < f.reorder_frame_rate:
                    self.held = frame
                else:
                    out += frame
        return bytes(out)

    def _bytes(self, frame: bytes) -> bytes:
        f = self.faults
        if not (f.bit_flip_rate or f.drop_byte_rate or f.duplicate_byte_rate):
            return frame
        if not (f.drop_byte_rate or f.duplicate_byte_rate):
            return self._flips(frame, f.bit_flip_rate)
        out = bytearray()
        for b in frame:
            r = self.rng.random()
            if r < f.drop_byte_rate:
                self.stats.corrupted_bytes += 1
                continue
            if self.rng.random() < f.bit_flip_rate:
                b ^= 1 << self.rng.randrange(8)
                self.stats.corrupted_bytes += 1
            out.append(b)
            if self.rng.random() < f.duplicate_byte_rate:
                out.append(b)
        return bytes(out)

    def _flips(self, frame: bytes, rate: float) -> bytes:
        """Bit flips alone (the common bad line): the gaps between flipped bytes drawn from
        their geometric law, the same Bernoulli per byte without a draw for every byte."""
        scale = 0.0 if rate >= 1.0 else 1.0 / math.log1p(-rate)
        at = self._gap(scale)
        if at >= len(frame):
            return frame
        out = bytearray(frame)
        while at < len(out):
            out[at] ^= 1 << self.rng.randrange(8)
            self.stats.corrupted_bytes += 1
            at += 1 + self._gap(scale)
        return bytes(out)

    def _gap(self, scale: float) -> int:
        """Bytes left clean before the next flip (`scale` = 1/ln(1-p); 0: every byte flips)."""
        return int(math.log(1.0 - self.rng.random()) * scale) if scale else 0


class FrameFilter(Protocol):
    def __call__(self, encoded_frame: bytes, /) -> bool: ...
