"""The firmware's memory of what it did, and how the pump is rebuilt from it at power-up.

The model is deterministic, so a pump is its configuration plus every command it accepted, each at
its simulated time. The store keeps a snapshot of the whole pump now and then (`pumpsim`'s exact
snapshots) and the journal since it: power-up restores the snapshot and applies only the entries
after it, so a restart costs the same after a week or after years of commands.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pumpsim
from firmware_protocol import convert
from firmware_protocol import messages as m
from firmware_protocol.store import NvStore
from pumpsim import Pump, PumpConfig


def config_to_json(config: PumpConfig) -> str:
    return json.dumps(dataclasses.asdict(config))


def config_from_json(text: str) -> PumpConfig:
    data = json.loads(text)
    data["variant"] = pumpsim.PumpVariant(data["variant"])
    data["battery"] = pumpsim.BatteryConfig(**data["battery"])
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


def apply_journal_entry(pump: Pump, op: str, args: dict[str, Any]) -> None:
    """Apply a journalled command again. The journal holds only what was applied, and an
    override the clinician gave then holds again (older entries, without one, had none)."""
    override = bool(args.get("override", False))
    if op == "program":
        program = convert.program_from_spec(spec_from_json(args["program"]))
        pump.set_program(program, override_soft_limits=override)
    elif op == "bolus":
        pump.start_bolus(args["volume_ml"], args["duration_s"])
    elif op == "priming":
        pump.start_priming_bolus(args["volume_ml"])
    elif op == "bridge":
        pump.start_bridge_bolus()
    elif op == "cancel_bolus":
        pump.cancel_bolus()
    elif op == "patient_bolus":
        pump.request_patient_bolus()
    elif op == "withdraw":
        pump.withdraw_reservoir()
    elif op == "fill":
        program = args["program"]
        pump.fill_reservoir(
            args["volume_ml"],
            convert.mix_from_specs(tuple(m.DrugSpec(d, c) for d, c in args["mix"])),
            convert.program_from_spec(spec_from_json(program)) if program else None,
            args["refill_due_at_s"],
            override_soft_limits=override,
        )
    elif op == "mri_enter":
        pump.enter_mri_safe_mode()
    elif op == "mri_exit":
        pump.exit_mri_safe_mode()
    elif op == "ack_alarms":
        kinds = args["kinds"]
        pump.acknowledge_alarms(None if kinds is None else [pumpsim.AlarmKind(k) for k in kinds])
    elif op == "interrogate":
        pump.interrogate()
    elif op == "fault":
        pump.inject(convert.fault_from_json(args["fault"], pump.now_s))
    else:  # pragma: no cover - the journal only holds ops written above
        raise ValueError(f"unknown journal op {op!r}")


def restore_pump(store: NvStore, config: PumpConfig) -> tuple[Pump, int]:
    """The pump as it was at its last journalled command: (pump, journal entries applied)."""
    saved = store.latest_snapshot()
    if saved is None:
        pump, after = Pump(config), 0
    else:
        pump, after = Pump.restore(saved.data), saved.journal_id
    entries = store.journal(after=after)
    for entry in entries:
        pump.advance(max(pump.now_s, entry.sim_s))
        apply_journal_entry(pump, entry.op, entry.args)
    return pump, len(entries)
