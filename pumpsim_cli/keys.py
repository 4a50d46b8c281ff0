"""`pumpsim pair`: provision keys for a pump and the devices that may talk to it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from firmware_protocol.session.private_files import private_dir
from firmware_protocol.session.security import PumpKeys, new_pump_keys
from firmware_protocol.wire.messages import Role


def add_parser(sub: Any) -> None:
    p = sub.add_parser("pair", help="pair a programmer or patient device with a pump")
    p.add_argument("--keys", type=Path, default=Path("pump-keys"), help="key directory")
    p.add_argument("--role", choices=[r.value for r in Role], required=True)
    p.add_argument("--device-id", required=True, help="a name for the device, e.g. tablet-3")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    directory: Path = args.keys
    private_dir(directory)
    pump_file = directory / "pump.keys"
    keys = PumpKeys.load(pump_file) if pump_file.exists() else new_pump_keys()
    keys, device = keys.pair(args.device_id, Role(args.role))
    out = directory / f"{args.device_id}.key"
    device.save(out)
    keys.save(pump_file)
    print(f"paired {args.device_id} as {args.role} with pump {keys.pump_id}: {out}")
    return 0
