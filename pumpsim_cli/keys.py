"""`pumpsim pair`: provision keys for a pump and the devices that may talk to it; revoke a lost
device's key, or rotate one (a new key for the same device), without touching the pump's state.

A revocation or rotation takes effect when the pump next starts (`pumpsim serve` reads its key
file then), which also writes it into the pump's event log.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from firmware_protocol.session.private_files import private_dir
from firmware_protocol.session.security import DeviceKey, PumpKeys, new_pump_keys
from firmware_protocol.wire.messages import Role


def add_parser(sub: Any) -> None:
    p = sub.add_parser("pair", help="pair, revoke or rotate a programmer or patient device")
    p.add_argument("--keys", type=Path, default=Path("pump-keys"), help="key directory")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--revoke", metavar="DEVICE_ID", help="refuse this device's key from now on")
    what.add_argument("--rotate", metavar="DEVICE_ID", help="give this device a new key")
    p.add_argument("--role", choices=[r.value for r in Role], help="the new device's role")
    p.add_argument("--device-id", help="a name for the new device, e.g. tablet-3")
    p.set_defaults(run=run)


def _key_files_of(directory: Path, device_id: str) -> list[Path]:
    found = []
    for path in sorted(directory.glob("*.key")):
        try:
            if DeviceKey.load(path).device_id == device_id:
                found.append(path)
        except (OSError, ValueError, KeyError):
            continue
    return found


def run(args: argparse.Namespace) -> int:
    directory: Path = args.keys
    pump_file = directory / "pump.keys"
    if args.revoke or args.rotate:
        if not pump_file.exists():
            raise ValueError(f"no pump key file in {directory}/: nothing paired to revoke")
        keys = PumpKeys.load(pump_file)
        device_id = args.revoke or args.rotate
        if device_id not in keys.devices:
            raise ValueError(f"no device {device_id!r} is paired with pump {keys.pump_id}")
        old_files = _key_files_of(directory, device_id)
        if args.revoke:
            keys = keys.revoke(device_id)
            keys.save(pump_file)
            for path in old_files:
                path.unlink()
            print(f"revoked {device_id} of pump {keys.pump_id} (from its next start)")
            return 0
        keys, device = keys.rotate(device_id)
        out = old_files[0] if old_files else directory / f"{device_id.partition('#')[0]}.key"
        keys.save(pump_file)
        device.save(out)
        print(f"rotated {device_id}: new key {device.device_id} in {out} (the old one is refused)")
        return 0
    if not (args.role and args.device_id):
        raise ValueError("pair needs --role and --device-id (or --revoke / --rotate DEVICE_ID)")
    private_dir(directory)
    keys = PumpKeys.load(pump_file) if pump_file.exists() else new_pump_keys()
    keys, device = keys.pair(args.device_id, Role(args.role))
    out = directory / f"{args.device_id}.key"
    device.save(out)
    keys.save(pump_file)
    print(f"paired {args.device_id} as {args.role} with pump {keys.pump_id}: {out}")
    return 0
