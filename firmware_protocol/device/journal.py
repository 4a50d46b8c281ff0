"""The firmware's memory of what it did, and how the pump is rebuilt from it at power-up.

The model is deterministic, so a pump is its configuration plus every command it accepted, each at
its simulated time. The store keeps a snapshot of the whole pump now and then (`pumpsim`'s exact
snapshots) and the journal since it: power-up restores the snapshot and applies only the entries
after it, so a restart costs the same after a week or after years of commands.

A snapshot that cannot be read (corrupt, crafted, or in 0.1's pickle format, which is refused
unread) is not guessed around: the pump comes up as a device does after losing its memory,
stopped, with its memory-error alarm latched and the reset in its event log, and the journal after
that snapshot is left unapplied (it continues a state nobody can read). Nothing is forgotten
silently: the alarm tells the clinician to interrogate and reprogram.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import pumpsim
from firmware_protocol.device import dispatch
from firmware_protocol.device.store import NvStore, StoredSnapshot
from firmware_protocol.wire import codec, convert
from firmware_protocol.wire import messages as m
from pumpsim import MemoryReset, Pump, PumpConfig, SnapshotError, TherapyProgram
from pumpsim.domain.propellant import PropellantDrive

log = logging.getLogger("pumpsim.firmware")


def config_to_json(config: PumpConfig) -> str:
    return json.dumps(dataclasses.asdict(config))


def config_from_json(text: str) -> PumpConfig:
    data = json.loads(text)
    data["variant"] = pumpsim.PumpVariant(data["variant"])
    data["battery"] = pumpsim.BatteryConfig(**data["battery"])
    if "drive" in data:  # a store from before the constant-flow class: the default drive
        data["drive"] = PropellantDrive(**data["drive"])
    return PumpConfig(**data)


def spec_json(spec: m.ProgramSpec) -> str:
    return json.dumps(dataclasses.asdict(spec))


def spec_from_json(text: str) -> m.ProgramSpec:
    data = json.loads(text)
    return m.ProgramSpec(
        data["mode"],
        data["rate_ml_per_day"],
        data["period"],
        tuple(m.StepSpec(**s) for s in data["steps"]),
        tuple(m.PatientBolusSpec(**p) for p in data["patient_bolus"]),
        data["low_reservoir_alarm_ml"],
    )


def journal_entry(msg: Any, program: TherapyProgram | None) -> tuple[str, dict[str, Any]]:
    """The journal's record of a pump-changing command: the request as it came, and the program
    a confirmation confirmed (staging lives in a session, which a restart does not keep)."""
    spec = None if program is None else spec_json(convert.program_to_spec(program))
    body = codec.encode(msg).hex()
    return "request", {"type": m.SPECS[type(msg)].code, "body": body, "program": spec}


def apply_journal_entry(pump: Pump, op: str, args: dict[str, Any]) -> None:
    """Apply a journalled command again, through the same table as when it was first applied."""
    if op == "interrogate":
        pump.interrogate()
        return
    if op == "key_retired":
        pump.record_key_retired(str(args["device"]), rotated=args["reason"] == "rotated")
        return
    if op == "set_clock":  # power-up: the store's clock given to a pump restored without it
        pump.set_clock(float(args["clock_offset_s"]))
        return
    if op == "memory_reset":
        if args.get("lost"):  # acknowledged records found missing at power-up, named
            pump.memory_lost(str(args["lost"]))
            return
        pump.inject(MemoryReset(onset_s=pump.now_s))
        pump.advance(pump.now_s)
        return
    if op != "request":
        raise ValueError(
            f"journal entry {op!r} was written by an older pumpsim (before commands were "
            "journalled as requests); start this pump with a new state file"
        )
    msg = codec.decode(m.MESSAGES[args["type"]], bytes.fromhex(args["body"]))
    spec = args.get("program")
    program = None if spec is None else convert.program_from_spec(spec_from_json(spec))
    dispatch.apply(pump, msg, program)


def restore_pump(store: NvStore, config: PumpConfig) -> tuple[Pump, int]:
    """The pump as it was at its last journalled command: (pump, journal entries applied)."""
    saved = store.latest_snapshot()
    if saved is None:
        pump, after = Pump(config), 0
    else:
        try:
            pump, after = Pump.restore(saved.data), saved.journal_id
        except SnapshotError as e:
            return _memory_lost(store, config, saved, e), 0
    entries = store.journal(after=after)
    for entry in entries:
        pump.advance(max(pump.now_s, entry.sim_s))
        apply_journal_entry(pump, entry.op, entry.args)
    if store.loss is not None:
        _records_lost(store, pump)
    return pump, len(entries)


def _records_lost(store: NvStore, pump: Pump) -> None:
    """Power-up found acknowledged records the medium no longer gives back (the commit register
    promised them): the pump keeps the last good state it has, goes to its safe state, and says
    in its log and alarm which records were lost, journalled so that it stays said."""
    assert store.loss is not None
    detail = store.loss.describe()
    log.error("%s; the pump stops with its memory-error alarm raised", detail)
    args: dict[str, object] = {"lost": detail}
    apply_journal_entry(pump, "memory_reset", args)
    store.commit(sim_s=pump.now_s, op="memory_reset", args=args)
    store.accept_loss()


def _memory_lost(
    store: NvStore, config: PumpConfig, saved: StoredSnapshot, error: SnapshotError
) -> Pump:
    """The pump after a power-up whose stored state cannot be read: reset to its safe state, and
    that state stored at once over the unreadable one, so what follows is kept on top of it."""
    log.error(
        "the stored pump state cannot be read (%s: %s); the pump starts as after a memory "
        "reset, stopped, with its memory-error alarm raised",
        error.code,
        error.message,
    )
    pump = Pump(config)
    pump.advance(saved.sim_s)
    apply_journal_entry(pump, "memory_reset", {})
    store.commit(sim_s=pump.now_s, op="memory_reset", args={}, snapshot=pump.snapshot())
    return pump
