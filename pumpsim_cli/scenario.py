"""`pumpsim scenario`: run scenario files headless (QA); trace hazards to what exercises them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pumpsim_scenarios import campaign, hazards
from pumpsim_scenarios.spec import ScenarioError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("scenario", help="run scenario files; show hazard coverage")
    verbs = p.add_subparsers(dest="verb", required=True)
    r = verbs.add_parser("run", help="run scenarios (files or directories of *.toml)")
    r.add_argument("paths", nargs="+", type=Path)
    r.add_argument("--mode", choices=["model", "stack"], help="override each file's mode")
    r.add_argument("--json", type=Path, help="write the JSON report here")
    r.add_argument("--junit", type=Path, help="write JUnit XML here")
    r.add_argument("--workers", type=int, help="local processes (default: every core)")
    r.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster (extra: pumpsim[dask])")
    r.set_defaults(run=run)
    h = verbs.add_parser("hazards", help="print the hazard table and what exercises each hazard")
    h.add_argument("--scenarios", type=Path, default=Path("scenarios"))
    h.set_defaults(run=show_hazards)


def run(args: argparse.Namespace) -> int:
    try:
        scenarios = campaign.collect(args.paths)
    except ScenarioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    results = campaign.run_all(
        scenarios,
        mode=args.mode,
        workers=args.workers,
        dask_address=args.dask,
        progress=campaign.progress_bar,
    )
    if args.json:
        args.json.write_text(campaign.json_report(results))
    if args.junit:
        args.junit.write_text(campaign.junit_report(results))
    print(campaign.summary_text(results))
    return 0 if all(r["passed"] for r in results) else 1


def show_hazards(args: argparse.Namespace) -> int:
    names = {s.name for s in campaign.collect([args.scenarios])}
    print(hazards.coverage_table(names))
    missing = hazards.uncovered(names)
    if missing:
        print(f"\nNot exercised by any scenario or test: {', '.join(missing)}")
        return 1
    return 0
