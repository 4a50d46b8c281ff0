"""`pumpsim serve`: a simulated pump on a pseudo-terminal, a TCP port or any pyserial URL.

It prints where to connect and which key files to use, then serves until interrupted. State lives
in a SQLite file, so stopping (even with kill -9) and serving again continues the same pump.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from firmware_protocol.device.clock import check_acceleration
from firmware_protocol.device.firmware import Firmware
from firmware_protocol.harness.tcp_pump import NoLine, listen, serve_tcp
from firmware_protocol.line.line_faults import LineFaults
from firmware_protocol.line.transport import (
    FaultyPort,
    PacedPort,
    Port,
    RecordingPort,
    open_port,
    open_pty,
)
from firmware_protocol.session.private_files import SharedFileError, check_private
from firmware_protocol.session.security import PumpKeys, provision
from pumpsim import PumpConfig, PumpVariant, constant_flow_config, valve_gated_config
from pumpsim_cli import logs

log = logging.getLogger("pumpsim.serve")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve a simulated pump over a pty, TCP or a serial URL")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="a pseudo-terminal (the default)")
    where.add_argument("--tcp", type=int, metavar="PORT", help="listen on 127.0.0.1:PORT")
    where.add_argument("--url", help="a pyserial URL or device path to serve on")
    p.add_argument("--baud", type=int, default=115200, help="pace bytes at this rate (8N1)")
    p.add_argument("--no-pacing", action="store_true", help="write as fast as the port takes")
    p.add_argument("--keys", type=Path, default=Path("pump-keys"), help="key directory")
    p.add_argument("--state", type=Path, help="SQLite state file (default: KEYS/pump.sqlite)")
    p.add_argument("--simulator", action="store_true", help="offer the simulator-control role")
    p.add_argument("--acceleration", type=float, default=1.0, help="simulated time per real time")
    p.add_argument("--paused", action="store_true", help="start with the clock stopped")
    p.add_argument("--variant", choices=[v.value for v in PumpVariant], default="peristaltic")
    p.add_argument("--reservoir-ml", type=float, choices=[20.0, 40.0], default=40.0)
    p.add_argument("--record", type=Path, help="record the traffic (see pumpsim decode)")
    p.add_argument(
        "--allow-shared-files",
        action="store_true",
        help="start even if others can read the key or state files (refused by default)",
    )
    p.add_argument("--log-level", choices=logs.LEVELS, default="info", help="default: info")
    p.add_argument("--log-json", action="store_true", help="log JSON lines instead of text")
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="TCP: drop a connection silent this long (default 60)",
    )
    bad = p.add_argument_group(
        "a bad line on demand (the fault model of scenarios and the simulated line)"
    )
    bad.add_argument(
        "--line-drop",
        type=float,
        default=0.0,
        metavar="RATE",
        help="lose this fraction of frames, both ways",
    )
    bad.add_argument(
        "--line-bit-errors",
        type=float,
        default=0.0,
        metavar="RATE",
        help="flip a bit in this fraction of bytes, both ways",
    )
    bad.add_argument(
        "--line-lose-reply-every", type=int, metavar="N", help="lose every Nth frame the pump sends"
    )
    bad.add_argument(
        "--line-latency-s",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="hold every frame this long",
    )
    bad.add_argument("--line-seed", type=int, default=0, help="seed of the line's faults")
    p.set_defaults(run=run)


def line_faults(args: argparse.Namespace) -> tuple[LineFaults, LineFaults] | None:
    """(pump to programmer, programmer to pump) faults from the options; None for a clean line."""
    for name, value in (
        ("--line-drop", args.line_drop),
        ("--line-bit-errors", args.line_bit_errors),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a fraction between 0 and 1, got {value}")
    if args.line_latency_s < 0:
        raise ValueError("--line-latency-s must be >= 0")
    every = args.line_lose_reply_every
    if every is not None and every < 1:
        raise ValueError("--line-lose-reply-every must be at least 1")
    if not (args.line_drop or args.line_bit_errors or every or args.line_latency_s):
        return None
    common = {
        "drop_frame_rate": args.line_drop,
        "bit_flip_rate": args.line_bit_errors,
        "delay_s": args.line_latency_s,
    }
    return LineFaults(**common, drop_every_nth=every), LineFaults(**common)


def _private_paths(keys: Path, state: Path) -> list[Path]:
    """Every file the pump keeps its secrets or its therapy in, and their folders."""
    suffixes = ("", "-wal", "-shm")
    files = [*sorted(keys.glob("*.key")), keys / "pump.keys"]
    return [keys, *files, state.parent, *(state.with_name(state.name + s) for s in suffixes)]


def ensure_keys(directory: Path) -> PumpKeys:
    pump_file = directory / "pump.keys"
    if not pump_file.exists():
        provision(directory)
        print(f"paired new key files in {directory}/ (pump.keys and one per role)", flush=True)
    keys = PumpKeys.load(pump_file)
    if "signing_key" not in json.loads(pump_file.read_text()):
        keys.save(pump_file)  # written before 0.2: keep the signing key it was just given
    return keys


def _config(args: argparse.Namespace) -> PumpConfig:
    if args.variant == PumpVariant.VALVE_GATED:
        return valve_gated_config(reservoir_capacity_ml=args.reservoir_ml)
    if args.variant == PumpVariant.CONSTANT_FLOW:
        return constant_flow_config(reservoir_capacity_ml=args.reservoir_ml)
    return PumpConfig(reservoir_capacity_ml=args.reservoir_ml)


def run(args: argparse.Namespace) -> int:
    try:
        faults = line_faults(args)
        if not args.idle_timeout > 0:
            raise ValueError("--idle-timeout must be a number of seconds above 0")
        if args.tcp is not None and not 0 <= args.tcp <= 65535:
            raise ValueError(f"--tcp must be a port number from 0 to 65535, got {args.tcp}")
        if not 300 <= args.baud <= 4_000_000:
            raise ValueError(f"--baud must be from 300 to 4000000, got {args.baud}")
        check_acceleration(args.acceleration)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    # A port that cannot be opened is a mistake to report before any key is paired.
    url_port = open_port(args.url, args.baud) if args.url else None
    keys = ensure_keys(args.keys)
    state = args.state or args.keys / "pump.sqlite"
    if not args.allow_shared_files:
        try:
            check_private(*_private_paths(args.keys, state))
        except SharedFileError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    logs.configure(args.log_level, args.log_json)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def wrap(port: Port) -> Port:
        """The line as configured: faults, pacing, recording."""
        if faults is not None:
            port = FaultyPort(port, args.line_seed, outbound=faults[0], inbound=faults[1])
        paced: Port = port if args.no_pacing else PacedPort(port, args.baud)
        if args.record:
            paced = RecordingPort(paced, args.record.open("a"), pump_side=True)
        return paced

    def firmware_on(port: Port) -> Firmware:
        return Firmware(
            wrap(port),
            keys,
            state,
            config=_config(args),
            simulator=args.simulator,
            acceleration=args.acceleration,
            paused=args.paused,
        )

    print(
        f"pump {keys.pump_id}: state in {state}, keys in {args.keys}/ "
        f"(simulator role {'on' if args.simulator else 'off'})",
        flush=True,
    )
    if faults is not None:
        print(f"a bad line on purpose: replies {faults[0]}, commands {faults[1]}", flush=True)
    try:
        if args.tcp is not None:
            firmware = firmware_on(NoLine())
            server = listen(port=args.tcp)
            print(f"serving on socket://127.0.0.1:{server.getsockname()[1]}", flush=True)
            serve_tcp(server, firmware, stop, wrap=wrap, idle_timeout_s=args.idle_timeout)
            return 0
        if url_port is not None:
            port = url_port
            print(f"serving on {args.url}", flush=True)
        else:
            port, path = open_pty()
            print(f"serving on {path}", flush=True)
        firmware = firmware_on(port)
        print(
            f"restored: {firmware.restored_commands} journalled commands after the last snapshot",
            flush=True,
        )
        while not stop.is_set():
            firmware.step()
    except KeyboardInterrupt:
        pass
    return 0
