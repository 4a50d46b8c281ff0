"""Benchmark of scenario campaigns: the shipped library 10 times over, model-only and full-stack,
on one worker, so the ratio is the cost of the stack itself (firmware, link, crypto, client, all
on the simulated line's virtual time).

Also checks that two stack runs give identical results (the same seeds, the same bytes), and
times a cohort campaign: every shipped scenario, each with a cohort of 30 virtual patients (the
scenario's own [patient] table, or one stable on its initial program), in model mode on 2
workers. The last line printed is one JSON object. Run: python bench/scenario_bench.py
"""

from __future__ import annotations

import dataclasses
import json
import time

from pumpsim_scenarios.campaigns import campaign
from pumpsim_scenarios.files import library
from pumpsim_scenarios.files.patient import PatientPlan
from pumpsim_scenarios.files.spec import Scenario

REPEATS = 10
LIBRARY = library.directory()


def main() -> None:
    scenarios = campaign.collect([LIBRARY]) * REPEATS
    out: dict[str, object] = {"scenarios": len(scenarios), "workers": 1}
    results: dict[str, list[dict[str, object]]] = {}
    for mode in ("model", "stack", "stack_again"):
        started = time.perf_counter()
        results[mode] = campaign.run_all(scenarios, mode=mode.removesuffix("_again"), workers=1)
        wall_s = time.perf_counter() - started
        failed = sum(not r["passed"] for r in results[mode])
        out[mode] = {
            "wall_s": round(wall_s, 3),
            "scenarios_per_s": round(len(scenarios) / wall_s, 1),
            "failed": failed,
        }
    model, stack = out["model"], out["stack"]
    assert isinstance(model, dict)
    assert isinstance(stack, dict)
    out["stack_over_model"] = round(stack["wall_s"] / model["wall_s"], 2)
    out["stack_runs_identical"] = json.dumps(results["stack"]) == json.dumps(results["stack_again"])
    out["cohort_30"] = cohort_campaign()
    print(json.dumps(out), flush=True)


def _with_cohort(s: Scenario, size: int) -> Scenario:
    drug = str(s.initial.get("drug", "morphine"))
    plan = s.patient or PatientPlan(((drug, None),))
    return dataclasses.replace(s, patient=dataclasses.replace(plan, cohort=size, sensitivity=1.0))


def cohort_campaign(size: int = 30, workers: int = 2) -> dict[str, object]:
    scenarios = [_with_cohort(s, size) for s in campaign.collect([LIBRARY]) if s.initial]
    started = time.perf_counter()
    results = campaign.run_all(scenarios, mode="model", workers=workers)
    wall_s = time.perf_counter() - started
    return {
        "scenarios": len(scenarios),
        "patients": sum(r["cohort"]["size"] for r in results if r["cohort"]),
        "harmed": sum(r["cohort"]["harmed"] for r in results if r["cohort"]),
        "workers": workers,
        "wall_s": round(wall_s, 3),
    }


if __name__ == "__main__":
    main()
