"""The event log made tamper-evident: each record chained to the one before by a hash, and every
link signed by the pump's own Ed25519 key.

Why: a clinic or an investigator must be able to tell that a pump's log was not altered, on the
pump's memory or in a file downloaded from it. The chain value after record i is
SHA-256(domain | value after record i-1 | the record's wire encoding), starting from 32 zero
bytes (or, on a log that has wrapped, from the value the pump reports before its oldest record).
The pump signs (pump id, i, value) for every record it writes; a programmer that learnt the
pump's public key at pairing checks a downloaded log against the signature of its last record,
and `pumpsim verify-log` checks every record of a state file against its own signature, so the
first altered record is named.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m

GENESIS = bytes(32)
_LINK = b"pumpsim event log v1\x00"
_SEAL = b"pumpsim event log seal v1\x00"


def link(previous: bytes, record: m.LogRecordSpec) -> bytes:
    """The chain value after `record`, given the value before it."""
    return hashlib.sha256(_LINK + previous + codec.encode(record)).digest()


def chain(anchor: bytes, records: Sequence[m.LogRecordSpec]) -> list[bytes]:
    """The chain value after each of `records`, from `anchor` (the value before the first)."""
    values = []
    for record in records:
        anchor = link(anchor, record)
        values.append(anchor)
    return values


def _payload(pump_id: str, index: int, value: bytes) -> bytes:
    return _SEAL + pump_id.encode() + b"\x00" + index.to_bytes(8, "big") + value


@functools.lru_cache(maxsize=64)
def _private(seed: bytes) -> Ed25519PrivateKey:
    """A pump's signing key, made once (it signs every record its pump logs)."""
    return Ed25519PrivateKey.from_private_bytes(seed)


def sign(seed: bytes, pump_id: str, index: int, value: bytes) -> bytes:
    return _private(seed).sign(_payload(pump_id, index, value))


@functools.lru_cache(maxsize=64)
def public_key(seed: bytes) -> bytes:
    return _private(seed).public_key().public_bytes_raw()


def signed(public: bytes, pump_id: str, index: int, value: bytes, signature: bytes) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(public)
        key.verify(signature, _payload(pump_id, index, value))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class LogVerdict:
    """What checking a log found: verified, or the first record that is not what was signed."""

    verified: bool
    records: int
    first_bad_index: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.verified:
            return f"verified: {self.records} records signed by the pump"
        where = "" if self.first_bad_index is None else f"record {self.first_bad_index}: "
        return f"DOES NOT VERIFY: {where}{self.reason}"


def verify_page(
    records: Sequence[m.LogRecordSpec], seal: m.LogSeal, public: bytes, pump_id: str
) -> LogVerdict:
    """A downloaded run of records against the pump's seal of its last one."""
    if not records:
        return LogVerdict(True, 0)
    if seal.index != records[-1].index:
        return LogVerdict(False, len(records), records[-1].index, "the seal is for another record")
    values = chain(seal.anchor, records)
    if values[-1] != seal.value:
        return LogVerdict(False, len(records), None, "the records are not those the pump chained")
    if not signed(public, pump_id, seal.index, seal.value, seal.signature):
        return LogVerdict(False, len(records), seal.index, "not signed by this pump's key")
    return LogVerdict(True, len(records))


def verify_sealed(
    records: Sequence[m.LogRecordSpec],
    anchor: bytes,
    seals: dict[int, tuple[bytes, bytes]],
    public: bytes,
    pump_id: str,
) -> LogVerdict:
    """Every record against its own stored seal (value, signature): the first bad one named."""
    for record, value in zip(records, chain(anchor, records), strict=True):
        stored = seals.get(record.index)
        if stored is None:
            return LogVerdict(False, len(records), record.index, "no seal is stored for it")
        if stored[0] != value:
            return LogVerdict(
                False, len(records), record.index, f"it is not what was sealed ({record.kind})"
            )
        if not signed(public, pump_id, record.index, value, stored[1]):
            return LogVerdict(False, len(records), record.index, "its seal is not the pump's")
    return LogVerdict(True, len(records))


def export(pump_id: str, records: Sequence[m.LogRecordSpec], seal: m.LogSeal) -> dict[str, Any]:
    """A downloaded log as a file a third party can check (`pumpsim verify-log`): the records,
    the chain value after each, and the pump's signed seal of the last."""
    values = chain(seal.anchor, records)
    return {
        "format": "pumpsim-event-log/1",
        "pump_id": pump_id,
        "anchor": seal.anchor.hex(),
        "records": [
            {**dataclasses.asdict(r), "chain": v.hex()}
            for r, v in zip(records, values, strict=True)
        ],
        "seal": {"index": seal.index, "value": seal.value.hex(), "signature": seal.signature.hex()},
    }


def verify_export(data: dict[str, Any], public: bytes) -> LogVerdict:
    """An exported log: the first record that is not what the file says was chained is named;
    then the chain's end must be the pump's signed seal."""
    try:
        records = [
            m.LogRecordSpec(
                int(r["index"]), float(r["at_s"]), str(r["kind"]), str(r["details_json"])
            )
            for r in data["records"]
        ]
        listed = [bytes.fromhex(r["chain"]) for r in data["records"]]
        anchor = bytes.fromhex(data["anchor"])
        seal = data["seal"]
        sealed = m.LogSeal(
            records[0].index if records else 0,
            anchor,
            int(seal["index"]),
            bytes.fromhex(seal["value"]),
            bytes.fromhex(seal["signature"]),
        )
        pump_id = str(data["pump_id"])
    except (KeyError, TypeError, ValueError) as e:
        return LogVerdict(False, 0, None, f"not an exported pumpsim log ({e})")
    for record, value, says in zip(records, chain(anchor, records), listed, strict=True):
        if value != says:
            return LogVerdict(False, len(records), record.index, f"altered ({record.kind})")
    return verify_page(records, sealed, public, pump_id)
