"""Consistent Overhead Byte Stuffing: frames without 0x00, so a zero always ends a frame.

A receiver that lost sync (noise, a cable plugged in mid-frame) needs only to wait for the next
zero. COBS costs at most one byte per 254.
"""

from __future__ import annotations


class CobsError(ValueError):
    pass


def encode(data: bytes) -> bytes:
    # Split at the zeros (C speed) rather than scanning byte by byte: each piece is one block
    # (a zero implied after it), or blocks of 254 (code 0xFF, no zero implied) and the rest.
    out = bytearray()
    parts = data.split(b"\x00")
    last = len(parts) - 1
    for i, part in enumerate(parts):
        n = len(part)
        at = 0
        while n - at >= 254:
            out.append(0xFF)
            out += part[at : at + 254]
            at += 254
        if at == n and n and i == last:
            break  # ends with a full block: nothing implied after it
        out.append(n - at + 1)
        out += part[at:]
    return bytes(out)


def decode(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        code = data[i]
        if code == 0:
            raise CobsError("zero byte inside a COBS frame")
        end = i + code
        if end > n:
            raise CobsError("COBS block runs past the end of the frame")
        block = data[i + 1 : end]
        if 0 in block:
            raise CobsError("zero byte inside a COBS block")
        out += block
        i = end
        if code < 0xFF and i < n:
            out.append(0)
    return bytes(out)
