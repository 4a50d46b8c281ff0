"""Running many scenarios: locally in parallel or on a Dask cluster; reports in JSON and JUnit XML.

Results are sorted by file and combination, and hold no wall-clock figures, so the same files and
seeds give byte-identical reports however many workers ran them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pumpsim_scenarios.campaigns.spread import spread
from pumpsim_scenarios.files import spec
from pumpsim_scenarios.running import runner


def collect(paths: Iterable[Path]) -> list[spec.Scenario]:
    """Every scenario in the files and directories given (directories: their *.toml files)."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        files += sorted(path.glob("*.toml")) if path.is_dir() else [path]
    scenarios: list[spec.Scenario] = []
    for file in files:
        scenarios += spec.load(file)
    return scenarios


def _run_one(item: tuple[spec.Scenario, str | None]) -> dict[str, Any]:
    scenario, mode = item
    return runner.run(scenario, mode).as_dict()


def run_all(
    scenarios: list[spec.Scenario],
    *,
    mode: str | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    items = [(s, mode) for s in scenarios]
    results = spread(_run_one, items, workers=workers, dask_address=dask_address, progress=progress)
    return sorted(results, key=lambda r: (r["path"], r["id"], r["mode"]))


def json_report(results: list[dict[str, Any]]) -> str:
    with_patients = [r for r in results if r.get("cohort")]
    summary = {
        "scenarios": len(results),
        "passed": sum(r["passed"] for r in results),
        "failed": sum(not r["passed"] for r in results),
        "virtual_patients": sum(r["cohort"]["size"] for r in with_patients),
        "virtual_patients_harmed": sum(r["cohort"]["harmed"] for r in with_patients),
    }
    return json.dumps({"summary": summary, "results": results}, indent=1, sort_keys=True) + "\n"


def junit_report(results: list[dict[str, Any]]) -> str:
    by_file: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        by_file.setdefault(r["path"], []).append(r)
    failures = sum(not r["passed"] for r in results)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<testsuites name="pumpsim scenarios" tests="{len(results)}" failures="{failures}">',
    ]
    for path, rs in sorted(by_file.items()):
        fails = sum(not r["passed"] for r in rs)
        out.append(f'  <testsuite name={quoteattr(path)} tests="{len(rs)}" failures="{fails}">')
        for r in rs:
            out.append(
                f"    <testcase classname={quoteattr(path)} "
                f"name={quoteattr(r['id'] + ' [' + r['mode'] + ']')}>"
            )
            if not r["passed"]:
                lines = [r["error"]] if r["error"] else []
                lines += [e["message"] for e in r["expectations"] if not e["passed"]]
                message = lines[0] if lines else "failed"
                out.append(
                    f"      <failure message={quoteattr(message)}>"
                    f"{escape(chr(10).join(lines))}</failure>"
                )
            if r.get("cohort"):
                out.append(
                    f"      <system-out>virtual patient: {escape(r['cohort']['verdict'])}"
                    "</system-out>"
                )
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def summary_text(results: list[dict[str, Any]]) -> str:
    lines = []
    for r in results:
        mark = "PASS" if r["passed"] else "FAIL"
        lines.append(f"{mark}  {r['id']}  [{r['mode']}]")
        if r["error"]:
            lines.append(f"      error: {r['error']}")
        if r.get("cohort"):
            lines.append(f"      virtual patient: {r['cohort']['verdict']}")
        for e in r["expectations"]:
            if not e["passed"]:
                lines.append(f"      expect[{e['index']}] {e['kind']}: {e['message']}")
    passed = sum(r["passed"] for r in results)
    lines.append(f"{passed} passed, {len(results) - passed} failed")
    cohorts = [r["cohort"] for r in results if r.get("cohort")]
    if cohorts:
        harmed = sum(c["harmed"] for c in cohorts)
        size = sum(c["size"] for c in cohorts)
        lines.append(
            f"virtual patients harmed: {harmed} of {size} (illustrative, for training and "
            "testing; not dosing advice)"
        )
    return "\n".join(lines)
