"""Consistent Overhead Byte Stuffing: frames without 0x00, so a zero always ends a frame.

A receiver that lost sync (noise, a cable plugged in mid-frame) needs only to wait for the next
zero. COBS costs at most one byte per 254.
"""

from __future__ import annotations


class CobsError(ValueError):
    pass


def encode(data: bytes) -> bytes:
    out = bytearray()
    start = 0
    n = len(data)
    while True:
        limit = min(n, start + 254)
        zero = data.find(0, start, limit)
        if zero >= 0:
            out.append(zero - start + 1)
            out += data[start:zero]
            start = zero + 1
            if start == n:  # a trailing zero leaves an empty last block
                out.append(1)
                return bytes(out)
        else:
            out.append(limit - start + 1)
            out += data[start:limit]
            start = limit
            if start == n:
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
