"""Benchmark of scenario campaigns: the shipped library 10 times over, model-only and full-stack,
on one worker, so the ratio is the cost of the stack itself (firmware, link, crypto, client, all
on the simulated line's virtual time).

Also checks that two stack runs give identical results (the same seeds, the same bytes). The last
line printed is one JSON object. Run: python bench/scenario_bench.py
"""

from __future__ import annotations

import json
import time

from pumpsim_scenarios.campaigns import campaign
from pumpsim_scenarios.files import library

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
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
