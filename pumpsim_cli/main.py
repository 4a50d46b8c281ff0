"""`pumpsim`: the command-line door to the simulator. Subcommands live in their own modules."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pumpsim_cli import errors

# Each command's module, by the name a user types, in the order `pumpsim --help` lists them. Only
# the module of the command asked for is imported: `pumpsim serve` need not load the scenario
# layer, and says "serving on" after 0.17 s instead of 0.26 s (a test serving a pump starts one).
COMMANDS = {
    "demo": "pumpsim_cli.demo",
    "classroom": "pumpsim_cli.classroom",
    "serve": "pumpsim_cli.serve",
    "pair": "pumpsim_cli.keys",
    "decode": "pumpsim_cli.decode",
    "scenario": "pumpsim_cli.scenario",
    "spec": "pumpsim_cli.spec",
    "swarm": "pumpsim_cli.swarm",
    "verify-log": "pumpsim_cli.verify_log",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (given a known `command`) one with that command's part only."""
    parser = argparse.ArgumentParser(
        prog="pumpsim",
        description="Simulated implanted intrathecal drug pump (engineering, testing and "
        "training; not a medical device).",
    )
    parser.add_argument("--version", action="version", version=f"pumpsim {errors.version()}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True)
    names = [command] if command in COMMANDS else list(COMMANDS)
    for name in names:
        importlib.import_module(COMMANDS[name]).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)  # no option takes a value
    args = build_parser(command).parse_args(argv)
    return errors.run_guarded(lambda: int(args.run(args)), args.debug)


if __name__ == "__main__":
    sys.exit(main())
