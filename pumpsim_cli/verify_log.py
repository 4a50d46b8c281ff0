"""`pumpsim verify-log`: is this event log the one the pump signed? For a state file or for a
log exported by the programmer (JSON); exit 0 verified, 1 not (the first bad record named)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from firmware_protocol.device.log_audit import verify_state_file
from firmware_protocol.session import log_seal
from firmware_protocol.session.security import DeviceKey, PumpKeys


def add_parser(sub: Any) -> None:
    p = sub.add_parser("verify-log", help="check an event log against the pump's signature")
    p.add_argument("log", type=Path, help="a pump's state file, or an exported log (.json)")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--keys", type=Path, help="the pump's key folder (default: the log's)")
    who.add_argument("--key", type=Path, help="a device key file paired with the pump")
    p.set_defaults(run=run)


def _public_key(args: argparse.Namespace) -> tuple[bytes, str]:
    if args.key is not None:
        device = DeviceKey.load(args.key)
        if not device.pump_public_key:
            raise ValueError(f"{args.key} was paired before keys carried the pump's public key")
        return device.pump_public_key, device.pump_id
    folder = args.keys if args.keys is not None else args.log.parent
    keys = PumpKeys.load(folder / "pump.keys")
    return keys.public_key, keys.pump_id


def run(args: argparse.Namespace) -> int:
    public, pump_id = _public_key(args)
    if args.log.suffix == ".json":
        data = json.loads(args.log.read_text())
        verdict = log_seal.verify_export(data, public)
        if verdict.verified and data.get("pump_id") != pump_id:
            verdict = log_seal.LogVerdict(False, verdict.records, None, "another pump's log")
    else:
        verdict = verify_state_file(args.log, public, pump_id)
    print(f"{args.log}: {verdict}")
    return 0 if verdict.verified else 1
