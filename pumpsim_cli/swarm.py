"""`pumpsim swarm`: seeded random lives of the whole stack, with crashes and line faults, checked.

Each seed is one life (see `pumpsim_scenarios.swarm.lives`); seeds are spread over local processes
or a Dask cluster. Exit 1 when any seed breaks an invariant: the failing seeds are printed with the
command that reproduces each and the shortest part of the first one's life that still fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pumpsim_cli.progress import progress
from pumpsim_scenarios.campaigns.spread import spread
from pumpsim_scenarios.swarm import lives as swarm


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "swarm", help="seeded random lives of the whole stack, with crashes, checked"
    )
    p.add_argument("--seeds", type=int, default=100, help="how many lives (default 100)")
    p.add_argument("--first-seed", type=int, default=1, help="the first seed (default 1)")
    p.add_argument("--steps", type=int, default=swarm.STEPS, help="steps per life")
    p.add_argument("--json", type=Path, help="write the JSON report here")
    p.add_argument("--workers", type=int, help="local processes (default: every core)")
    p.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster (extra: pumpsim[dask])")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--plant-bug",
        choices=sorted(swarm.PLANTED),
        help="run a firmware with a known bug, to see the checker catch it",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.seeds < 1 or args.steps < 1:
        print("error: --seeds and --steps must be at least 1", file=sys.stderr)
        return 2
    items = [
        (seed, args.steps, args.plant_bug)
        for seed in range(args.first_seed, args.first_seed + args.seeds)
    ]
    with progress("seeds", args.quiet) as update:
        results = spread(
            swarm.job, items, workers=args.workers, dask_address=args.dask, progress=update
        )
    report = swarm.report(results, args.steps)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    failing = [r for r in results if r.violations]
    print(
        f"{report['seeds']} seeds, {report['commands']} commands, {report['acknowledged']} "
        f"acknowledged, {report['crashes']} power cuts, {report['line_faults']} line faults; "
        f"{len(failing)} seeds broke an invariant; digest {report['digest'][:16]}"
    )
    if not failing:
        return 0
    plant = f" --plant-bug {args.plant_bug}" if args.plant_bug else ""
    for r in failing:
        print(f"seed {r.seed}: {r.violations[0]}")
        print(
            f"  reproduce: pumpsim swarm --seeds 1 --first-seed {r.seed} --steps {r.steps}{plant}"
        )
    first = swarm.shortest_failing(failing[0].seed, failing[0].steps, args.plant_bug)
    print(f"shortest failing life of seed {first.seed} ({first.steps} steps):")
    for i, line in enumerate(first.trace):
        print(f"  {i:3d}. {line}")
    for message in first.violations:
        print(f"  ! {message}")
    return 1
