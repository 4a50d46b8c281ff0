"""`pumpsim`: the command-line door to the simulator. Subcommands live in their own modules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pumpsim_cli import (
    classroom,
    decode,
    demo,
    errors,
    keys,
    scenario,
    serve,
    spec,
    swarm,
    verify_log,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pumpsim",
        description="Simulated implanted intrathecal drug pump (engineering, testing and "
        "training; not a medical device).",
    )
    parser.add_argument("--version", action="version", version=f"pumpsim {errors.version()}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True)
    demo.add_parser(sub)
    classroom.add_parser(sub)
    serve.add_parser(sub)
    keys.add_parser(sub)
    decode.add_parser(sub)
    scenario.add_parser(sub)
    spec.add_parser(sub)
    swarm.add_parser(sub)
    verify_log.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return errors.run_guarded(lambda: int(args.run(args)), args.debug)


if __name__ == "__main__":
    sys.exit(main())
