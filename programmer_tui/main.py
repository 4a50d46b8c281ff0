"""`pump-programmer`: the clinician programmer, against an embedded demo pump or any pump."""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import zoneinfo
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from firmware_protocol.wire.messages import Role


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pump-programmer",
        description="Clinician programmer for a simulated implanted drug pump "
        "(a simulator for engineering, testing and training; not a medical device).",
    )
    p.add_argument(
        "--version",
        action="version",
        version=f"pump-programmer {importlib.metadata.version('pumpsim')}",
    )
    p.add_argument("--demo", action="store_true", help="start an embedded simulated pump")
    p.add_argument("--port", help="pyserial URL or device path of a pump")
    p.add_argument(
        "--role",
        choices=[r.value for r in Role],
        help="the key's role (default: clinician; the demo pump: simulator). With --demo and "
        "another role, the demo pump is set up first, then the programmer connects in that role "
        "(--demo --role patient: the patient's view)",
    )
    p.add_argument("--key", help="device key file (from pumpsim pair / pumpsim serve)")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument(
        "--scenario",
        help="training: play a scenario (a file or a library name) live against the demo pump",
    )
    p.add_argument(
        "--tz",
        type=_time_zone,
        help="the clinic's time zone (an IANA name such as Europe/Paris): the Clock tab shows "
        "its local time beside the pump's, which does not follow daylight saving by itself",
    )
    p.add_argument(
        "--web",
        action="store_true",
        help="serve the programmer to a web browser instead of this terminal (each page its own "
        "programmer; with --demo, its own demo pump)",
    )
    p.add_argument("--web-port", type=_port, default=8000, help="the web server's port (8000)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to serve on (127.0.0.1; another opens it to a network, with a warning)",
    )
    p.add_argument(
        "--acceleration",
        type=_acceleration,
        default=3600.0,
        help="demo pump: simulated seconds per real second (default: an hour a second)",
    )
    return p


def _acceleration(text: str) -> float:
    """Refused at the command line, as the pump would refuse it once the app had started."""
    from firmware_protocol.device.clock import check_acceleration

    try:
        value = float(text)
        check_acceleration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port number from 1 to 65535, not {text!r}")
    return int(text)


def _time_zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r} (an IANA name, such as Europe/Paris)"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.web:
        from programmer_tui import web

        return web.serve(sys.argv[1:] if argv is None else argv, args.host, args.web_port)
    from programmer_tui.app import ProgrammerApp
    from programmer_tui.backend import Backend
    from programmer_tui.screens.connect import ConnectRequest

    if args.scenario:
        return _train(args)
    if args.demo or not args.port:
        from firmware_protocol.harness.simulated import simulated_pump

        if not args.demo:
            print("No --port given: starting the embedded demo pump (use --port URL for a pump).")
        pump = simulated_pump(
            seed=None, realtime=True, paused=False, acceleration=args.acceleration
        )
        role = Role(args.role or Role.SIMULATOR)
        if role is not Role.SIMULATOR:
            from programmer_tui.demo import set_up_demo_pump

            set_up_demo_pump(pump.client(Role.SIMULATOR, reply_timeout_s=10.0))
        backend = Backend(pump.client(role, connect=False, reply_timeout_s=10.0))
        ProgrammerApp(
            backend, embedded=pump, demo_setup=role is Role.SIMULATOR, time_zone=args.tz
        ).run()
        return 0
    defaults = ConnectRequest(args.port, args.role or Role.CLINICIAN, args.key or "", args.baud)
    if args.key:
        try:
            backend = Backend.open(args.port, defaults.key(), args.baud)
        except Exception as e:
            print(f"cannot connect: {e}", file=sys.stderr)
            ProgrammerApp(connect_defaults=defaults, time_zone=args.tz).run()
            return 0
        ProgrammerApp(backend, connect_defaults=defaults, time_zone=args.tz).run()
        return 0
    ProgrammerApp(connect_defaults=defaults, time_zone=args.tz).run()
    return 0


def _train(args: argparse.Namespace) -> int:

    from firmware_protocol.harness.simulated import simulated_pump
    from programmer_tui.app import ProgrammerApp
    from programmer_tui.backend import Backend
    from pumpsim_scenarios.files import library, spec
    from pumpsim_scenarios.running import runner
    from pumpsim_scenarios.running.player import ScenarioPlayer

    try:
        scenario = spec.load(library.resolve(args.scenario))[0]
    except (OSError, spec.ScenarioError) as e:
        print(f"cannot use the scenario: {e}", file=sys.stderr)
        return 2
    # Paused until the player has implanted the pump and scheduled the scenario's faults.
    pump = simulated_pump(
        seed=scenario.seed, realtime=True, paused=True, config=runner.pump_config(scenario)
    )
    backend = Backend(pump.client(Role.SIMULATOR, connect=False, reply_timeout_s=10.0))
    player = ScenarioPlayer(scenario, acceleration=args.acceleration)
    ProgrammerApp(backend, embedded=pump, player=player, time_zone=args.tz).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
