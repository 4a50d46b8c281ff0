"""`pumpsim decode`: print a recorded session as decoded frames (decrypted with a device key)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from firmware_protocol.harness import recording
from firmware_protocol.session.security import DeviceKey


def add_parser(sub: Any) -> None:
    p = sub.add_parser("decode", help="decode a recorded session (JSON lines; - for stdin)")
    p.add_argument("recording", help="file written by RecordingPort or --record, or -")
    p.add_argument("--key", type=Path, help="the programmer's device key file, to decrypt")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    key = DeviceKey.load(args.key) if args.key else None
    if args.recording == "-":
        chunks = recording.read_recording(sys.stdin)
    else:
        chunks = recording.load(Path(args.recording))
    for decoded in recording.decode_chunks(chunks, key):
        print(decoded.describe())
    return 0
