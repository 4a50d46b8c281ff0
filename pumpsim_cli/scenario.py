"""`pumpsim scenario`: run scenario files headless (QA); trace hazards to what exercises them."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from pumpsim_cli.progress import progress
from pumpsim_scenarios.campaigns import campaign, hazards, html_report
from pumpsim_scenarios.files import library, schema
from pumpsim_scenarios.files.spec import ScenarioError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("scenario", help="run scenario files; show hazard coverage")
    verbs = p.add_subparsers(dest="verb", required=True)
    r = verbs.add_parser(
        "run", help="run scenarios: files, directories of *.toml, or library names"
    )
    r.add_argument("paths", nargs="*", help="a file, a directory, or a name from `scenario list`")
    r.add_argument("--all", action="store_true", help="the whole shipped library")
    r.add_argument("--mode", choices=["model", "stack"], help="override each file's mode")
    r.add_argument("--json", type=Path, help="write the JSON report here")
    r.add_argument("--junit", type=Path, help="write JUnit XML here")
    r.add_argument("--html", type=Path, help="write a self-contained HTML report here")
    r.add_argument("--workers", type=int, help="local processes (default: every core)")
    r.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster (extra: pumpsim[dask])")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(run=run)
    rp = verbs.add_parser("report", help="render a saved JSON report as a self-contained HTML page")
    rp.add_argument("results", type=Path, help="a JSON report (scenario run --json)")
    rp.add_argument("-o", "--output", type=Path, required=True, help="the HTML file to write")
    rp.set_defaults(run=render_report)
    h = verbs.add_parser("hazards", help="print the hazard table and what exercises each hazard")
    h.add_argument(
        "--scenarios", type=Path, help="a directory of scenarios (default: the shipped library)"
    )
    h.set_defaults(run=show_hazards)
    ls = verbs.add_parser("list", help="the shipped scenario library, with what each teaches")
    ls.set_defaults(run=list_library)
    new = verbs.add_parser("new", help="write a commented scenario file to start from")
    new.add_argument("name", help="the scenario's name (also the file's, unless -o)")
    new.add_argument("-o", "--output", type=Path, help="where (default: NAME.toml here)")
    new.set_defaults(run=new_scenario)
    sch = verbs.add_parser("schema", help="print the JSON Schema of the scenario file format")
    sch.add_argument("-o", "--output", type=Path, help="write it to this file instead")
    sch.set_defaults(run=print_schema)


def run(args: argparse.Namespace) -> int:
    if not args.paths and not args.all:
        print(
            "error: name scenarios to run (see `pumpsim scenario list`), or --all", file=sys.stderr
        )
        return 2
    paths = [library.resolve(p) for p in args.paths]
    if args.all:
        paths.append(library.directory())
    try:
        scenarios = campaign.collect(paths)
    except ScenarioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with progress("scenarios", args.quiet) as update:
        results = campaign.run_all(
            scenarios,
            mode=args.mode,
            workers=args.workers,
            dask_address=args.dask,
            progress=update,
        )
    if args.json:
        args.json.write_text(campaign.json_report(results))
    if args.junit:
        args.junit.write_text(campaign.junit_report(results))
    if args.html:
        report = json.loads(campaign.json_report(results))
        wall_s = time.perf_counter() - started
        try:
            args.html.write_text(html_report.render(report, wall_s=wall_s))
        except html_report.ReportUnavailableError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    print(campaign.summary_text(results))
    return 0 if all(r["passed"] for r in results) else 1


def render_report(args: argparse.Namespace) -> int:
    try:
        report = json.loads(args.results.read_text())
        results = report["results"]
        if not isinstance(results, list):
            raise TypeError("results is not a list")
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"error: {args.results} is not a scenario JSON report ({e})", file=sys.stderr)
        return 2
    try:
        args.output.write_text(html_report.render(report))
    except html_report.ReportUnavailableError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.output} ({len(results)} scenarios)")
    return 0


def list_library(args: argparse.Namespace) -> int:
    for name in library.names():
        print(f"{name:28} {library.teaches(name)}")
    return 0


def new_scenario(args: argparse.Namespace) -> int:
    target = args.output or Path(f"{args.name}.toml")
    if target.exists():
        print(f"error: {target} exists; choose another name or -o", file=sys.stderr)
        return 2
    beside = target.parent / schema.FILE_NAME
    target.write_text(library.template(args.name, schema.FILE_NAME))
    if not beside.exists():
        beside.write_text(json.dumps(schema.build(), indent=1) + "\n")
    print(f"wrote {target} (checked as you type by {beside.name} in editors with Taplo or Tombi):")
    print(f"edit it, then `pumpsim scenario run {target}`")
    return 0


def print_schema(args: argparse.Namespace) -> int:
    text = json.dumps(schema.build(), indent=1) + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def show_hazards(args: argparse.Namespace) -> int:
    where = args.scenarios or library.directory()
    names = {s.name for s in campaign.collect([where])}
    print(hazards.coverage_table(names))
    missing = hazards.uncovered(names)
    if missing:
        print(f"\nNot exercised by any scenario or test: {', '.join(missing)}")
        return 1
    return 0
