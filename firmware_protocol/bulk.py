"""Bulk reads: the event log and the hourly trend, cut into chunks that each fit one frame.

A download is many replies to one request; the link's window keeps a slow line full while the
client counts chunks for its progress bar (each says whether more follow).
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

from firmware_protocol import messages as m
from firmware_protocol.reject import RejectError
from firmware_protocol.security import MAX_PLAINTEXT
from pumpsim import Pump


def log_chunks(pump: Pump, msg: m.ReadLog) -> list[Any]:
    """The event log since an index, in chunks that each fit one frame."""
    log = pump.log
    records = log.since(msg.since_index)[: msg.max_records or None]
    chunks: list[Any] = []
    batch: list[m.LogRecordSpec] = []
    size = 64
    for r in records:
        spec = m.LogRecordSpec(r.index, r.at_s, str(r.kind), json.dumps(dict(r.details)))
        rec_size = 20 + len(spec.kind) + len(spec.details_json.encode())
        if batch and size + rec_size > MAX_PLAINTEXT:
            chunks.append(batch)
            batch, size = [], 64
        batch.append(spec)
        size += rec_size
    chunks.append(batch)
    first, nxt, overflow = log.first_index, log.next_index, log.overflow_count
    return [
        m.LogChunk(first, nxt, overflow, tuple(b), i < len(chunks) - 1)
        for i, b in enumerate(chunks)
    ]


def trend_chunks(pump: Pump, msg: m.ReadTrend) -> list[Any]:
    """The hourly trend of a window as packed rows, in chunks that each fit one frame."""
    end = min(msg.end_s, pump.now_s)
    start = max(0.0, msg.start_s)
    if not (math.isfinite(start) and math.isfinite(end)) or end < start:
        raise RejectError(m.WireError.MALFORMED_MESSAGE, "bad trend window")
    trend = pump.trend(start, end)
    drugs = tuple(d for d, v in trend.delivered_mcg.items() if v.any())
    columns = [trend.delivered_ml, trend.reservoir_expected_ml, trend.battery_mah]
    columns += [trend.delivered_mcg[d] for d in drugs]
    rows = len(trend)
    per_row = 8 * len(columns)
    overhead = 64 + sum(len(d) + 2 for d in drugs)
    rows_per_chunk = max(1, (MAX_PLAINTEXT - overhead) // per_row)
    chunks: list[Any] = []
    for begin in range(0, max(rows, 1), rows_per_chunk):
        stop = min(rows, begin + rows_per_chunk)
        data = b"".join(
            struct.pack(f">{len(columns)}d", *(float(c[i]) for c in columns))
            for i in range(begin, stop)
        )
        hour0 = float(trend.hour_start_s[begin]) if rows else start
        chunks.append(m.TrendChunk(hour0, stop - begin, rows, drugs, data, stop < rows))
    return chunks
