"""The firmware's side of the tamper-evident event log: seal each new record as it is kept.

A record's chain value links it to the newest record sealed before it, so a run of records
starting at index i is checked from the anchor: the newest seal below i (zero bytes if none).

Every record the pump logs gets its chain value and the pump's signature (`session.log_seal`),
stored with the command that caused it, in the same transaction; records the pump logs on its own
between commands (an alarm, a bolus ending) are sealed with the next write or when a seal is asked
for. A record is sealed once: a power-up that replays the journal finds its seal already stored.
"""

from __future__ import annotations

from firmware_protocol.device.reject import RejectError
from firmware_protocol.device.store import NvStore
from firmware_protocol.session import log_seal
from firmware_protocol.session.security import PumpKeys
from firmware_protocol.wire import convert
from firmware_protocol.wire import messages as m
from pumpsim import Pump

Seal = tuple[int, bytes, bytes]  # index, chain value, signature


class LogChain:
    def __init__(self, store: NvStore, keys: PumpKeys) -> None:
        self.store = store
        self.keys = keys
        last = store.last_seal()
        self.next_index = 0 if last is None else last[0] + 1
        self.head = log_seal.GENESIS if last is None else last[1]

    def pending(self, pump: Pump) -> list[Seal]:
        """Seals for the records logged since the last one sealed (not yet stored)."""
        log = pump.log
        start = max(self.next_index, log.first_index)
        if start >= log.next_index:
            return []
        value = self.head  # (across a gap, if the log wrapped past unsealed records: see anchor)
        seals = []
        for record in log.since(start):
            value = log_seal.link(value, convert.log_record_to_spec(record))
            signature = log_seal.sign(
                self.keys.signing_seed, self.keys.pump_id, record.index, value
            )
            seals.append((record.index, value, signature))
        return seals

    def stored(self, seals: list[Seal]) -> None:
        """`seals` are durable: the chain goes on from the last."""
        if seals:
            self.next_index = seals[-1][0] + 1
            self.head = seals[-1][1]

    def seal_of(self, pump: Pump, msg: m.ReadLogSeal) -> m.LogSeal:
        """The seal of record `msg.index`, anchored before `msg.first_index`."""
        log = pump.log
        if not log.first_index <= msg.first_index <= msg.index < log.next_index:
            held = f"{log.first_index}-{log.next_index - 1}"
            raise RejectError(
                m.WireError.LOG_INDEX_NOT_HELD,
                f"records {msg.first_index}-{msg.index} asked, the log holds {held}",
            )
        pending = self.pending(pump)
        if pending:
            self.store.commit(sim_s=pump.now_s, op=None, chain=pending)
            self.stored(pending)
        sealed = self.store.seal(msg.index)
        if sealed is None:
            raise RejectError(m.WireError.LOG_INDEX_NOT_HELD, f"record {msg.index} has no seal")
        anchor = self.store.anchor_before(msg.first_index)
        return m.LogSeal(msg.first_index, anchor, msg.index, sealed[0], sealed[1])
