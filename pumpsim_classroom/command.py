"""`pumpsim classroom`: N simulated pumps, a browser programmer per seat, an instructor console.

It prints where trainees go, the class code, and the console's address; it serves until Ctrl-C
and then ends every seat's programmer process and removes the class's keys and memory.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

MAX_SEATS = 60
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "classroom",
        help="serve a class: a simulated pump and a browser programmer per seat, and a console",
    )
    p.add_argument("--seats", type=int, default=3, help=f"how many trainees (1-{MAX_SEATS})")
    p.add_argument(
        "--scenario",
        default="free-play",
        help="the lesson every seat plays (a file or a library name; default free-play)",
    )
    p.add_argument(
        "--acceleration",
        type=float,
        default=3600.0,
        help="simulated seconds per real second (default: an hour a second)",
    )
    p.add_argument("--port", type=int, default=8000, help="the web server's port (8000)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to serve on (127.0.0.1; another opens the class to a network)",
    )
    p.add_argument("--paused", action="store_true", help="start with the class clock stopped")
    p.set_defaults(run=run)


def _refuse(text: str) -> int:
    print(f"error: {text}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.seats <= MAX_SEATS:
        return _refuse(f"--seats must be from 1 to {MAX_SEATS}, got {args.seats}")
    if not 1 <= args.port <= 65535:
        return _refuse(f"--port must be from 1 to 65535, got {args.port}")
    from firmware_protocol.device.clock import check_acceleration
    from pumpsim_scenarios.files import library, spec

    try:
        check_acceleration(args.acceleration)
        scenario = spec.load(library.resolve(args.scenario))[0]
    except (ValueError, OSError, spec.ScenarioError) as e:
        return _refuse(str(e))
    try:
        from pumpsim_classroom.server import ClassroomServer
    except ImportError:
        return _refuse("the classroom needs textual-serve: pip install 'pumpsim[web]'")
    from pumpsim_classroom.access import ClassAccess
    from pumpsim_classroom.seats import open_seat

    root = Path(tempfile.mkdtemp(prefix="pumpsim-class-"))  # private to this user (0700)
    seats = []
    try:
        for number in range(1, args.seats + 1):
            seats.append(open_seat(number, root, scenario, args.acceleration, paused=args.paused))
        access = ClassAccess.fresh()
        shown = "localhost" if args.host in LOOPBACK else args.host
        if args.host not in LOOPBACK:
            print(
                f"warning: serving on {args.host}: anyone on that network who has the class code "
                "can take a seat",
                file=sys.stderr,
            )
        print(
            f"Class of {args.seats} seats, scenario {scenario.name}, "
            f"{args.acceleration:g}x{' (clock stopped)' if args.paused else ''}\n"
            f"Trainees: http://{shown}:{args.port}/  class code {access.code_shown}\n"
            f"Instructor console: http://{shown}:{args.port}/console/{access.console_token}\n"
            "Ctrl-C ends the class.",
            flush=True,
        )
        ClassroomServer(seats, access, scenario.name, host=args.host, port=args.port).serve()
    except KeyboardInterrupt:
        pass
    finally:
        for seat in seats:
            seat.close()
        shutil.rmtree(root, ignore_errors=True)
    return 0
