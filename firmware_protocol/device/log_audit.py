"""An investigator's check of a pump's memory: does every record of its event log carry the
pump's own seal, and is it the record that was sealed?

Why here: it rebuilds the pump as a power-up would (snapshot, then journal), on a copy of the
state file in memory, so the check changes nothing it looks at; then every record held is
checked against its stored seal (`session.log_seal.verify_sealed`), the first bad one named.
"""

from __future__ import annotations

from pathlib import Path

from firmware_protocol.device.journal import config_from_json, restore_pump
from firmware_protocol.device.store import NvStore
from firmware_protocol.session import log_seal
from firmware_protocol.wire import convert
from pumpsim import Pump, SnapshotError


def verify_state_file(path: Path, public: bytes, pump_id: str) -> log_seal.LogVerdict:
    """`FileNotFoundError` if there is no state file at `path`."""
    store = NvStore.read_only_copy(path)
    try:
        config = store.get_meta("config")
        stored_id = store.get_meta("pump_id")
        if config is None:
            return log_seal.LogVerdict(False, 0, None, "not a pump's state file (no configuration)")
        if stored_id is not None and stored_id != pump_id:
            return log_seal.LogVerdict(
                False, 0, None, f"the state file is pump {stored_id}'s, the key pump {pump_id}'s"
            )
        saved = store.latest_snapshot()
        if saved is not None:
            try:
                Pump.restore(saved.data)
            except SnapshotError as e:
                return log_seal.LogVerdict(False, 0, None, f"its snapshot cannot be read ({e})")
        pump, _ = restore_pump(store, config_from_json(config))
        records = [convert.log_record_to_spec(r) for r in pump.log]
        if not records:
            return log_seal.LogVerdict(True, 0)
        anchor = store.anchor_before(records[0].index)
        return log_seal.verify_sealed(records, anchor, store.seals(), public, pump_id)
    finally:
        store.close()
