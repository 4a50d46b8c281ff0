"""Bulk reads: the event log and the hourly trend, cut into chunks that each fit one frame.

A download is many replies to one request; the link's window keeps a slow line full while the
client counts chunks for its progress bar (each says whether more follow).
"""

from __future__ import annotations

import dataclasses
import math
import struct
from typing import Any

from firmware_protocol.device.reject import RejectError
from firmware_protocol.session.security import MAX_PLAINTEXT
from firmware_protocol.wire import codec, convert
from firmware_protocol.wire import messages as m
from pumpsim import Pump

# Bulk reads (log, trend, library) come in chunks this size: on a noisy line a frame's chance to
# arrive whole falls with its length, and a lost chunk is resent whole.
CHUNK_BYTES = 1008


def log_chunks(pump: Pump, msg: m.ReadLog) -> list[Any]:
    """The event log since an index, in chunks that each fit one frame."""
    log = pump.log
    records = log.since(msg.since_index)[: msg.max_records or None]
    chunks: list[Any] = []
    batch: list[m.LogRecordSpec] = []
    size = 64
    for r in records:
        spec = convert.log_record_to_spec(r)
        rec_size = 20 + len(spec.kind) + len(spec.details_json.encode())
        if batch and size + rec_size > CHUNK_BYTES:
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
    rows_per_chunk = max(1, (CHUNK_BYTES - overhead) // per_row)
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


def description_chunks(pump: Pump) -> list[Any]:
    """The pump's description, its drug library spread over as many messages as frames need."""
    whole = convert.describe(pump.config, pump.library)
    empty = dataclasses.replace(whole, drugs=())
    room = CHUNK_BYTES - len(codec.encode(empty))
    batches: list[list[m.LibraryDrugSpec]] = [[]]
    used = 0
    for drug in whole.drugs:
        size = len(codec.encode(dataclasses.replace(empty, drugs=(drug,)))) - len(
            codec.encode(empty)
        )
        if batches[-1] and used + size > room:
            batches.append([])
            used = 0
        batches[-1].append(drug)
        used += size
    return [
        dataclasses.replace(empty, drugs=tuple(b), more=i < len(batches) - 1)
        for i, b in enumerate(batches)
    ]


def fit_review(review: m.ProgramReview) -> m.ProgramReview:
    """A review that fits one frame. A long schedule changed step by step lists more changes (and
    a long refused one more violations) than a frame holds: the verdict and every code stay, the
    changes past what fits become one "... N more" line, then violations' sentences are dropped
    from the end (their codes and fields kept)."""
    if len(codec.encode(review)) <= MAX_PLAINTEXT:
        return review
    changes = list(review.changes)
    while changes and len(codec.encode(_with_changes(review, changes))) > MAX_PLAINTEXT:
        changes.pop()
    review = _with_changes(review, changes)
    violations = list(review.violations)
    for i in reversed(range(len(violations))):
        if len(codec.encode(review)) <= MAX_PLAINTEXT:
            break
        violations[i] = dataclasses.replace(violations[i], message="")
        review = dataclasses.replace(review, violations=tuple(violations))
    return review


def _with_changes(review: m.ProgramReview, kept: list[m.ChangeSpec]) -> m.ProgramReview:
    left_out = len(review.changes) - len(kept)
    more = (m.ChangeSpec("...", "", f"{left_out} more changes"),) if left_out else ()
    return dataclasses.replace(review, changes=(*kept, *more))
