"""Benchmark of scenario campaigns: the shipped library 20 times over, model-only and full-stack.

Runs on every local core (as `pumpsim scenario run` does by default). The last line printed is one
JSON object. Run: python bench/scenario_bench.py
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from pumpsim_scenarios import campaign

REPEATS = 20
LIBRARY = Path(__file__).resolve().parent.parent / "scenarios"


def main() -> None:
    scenarios = campaign.collect([LIBRARY]) * REPEATS
    out: dict[str, object] = {"scenarios": len(scenarios), "workers": os.cpu_count()}
    for mode in ("model", "stack"):
        started = time.perf_counter()
        results = campaign.run_all(scenarios, mode=mode)
        wall_s = time.perf_counter() - started
        failed = sum(not r["passed"] for r in results)
        out[mode] = {
            "wall_s": round(wall_s, 3),
            "scenarios_per_s": round(len(scenarios) / wall_s, 1),
            "failed": failed,
        }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
