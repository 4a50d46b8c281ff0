"""`pumpsim spec`: the protocol's contract, for people (Markdown) or programs (`--json`)."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "spec",
        help="print the wire protocol's schema (messages, encodings, vocabularies, errors)",
        description="Print the protocol schema generated from the code: what docs/protocol.md "
        "shows, as JSON with --json (for code generators and third-party decoders).",
    )
    p.add_argument("--json", action="store_true", help="machine-readable JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.json:
        from firmware_protocol.contract.schema import build

        print(json.dumps(build(), indent=1))
    else:
        from firmware_protocol.contract.protocol_doc import render

        print(render())
    return 0
