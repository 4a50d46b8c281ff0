"""Benchmark of the swarm: seeded lives of the whole stack, in one process, on virtual time.

Prints one JSON object (the last line):
- commands_per_cpu_s: the programmers' commands (every request with a transaction id) over the
  CPU seconds of the lives, checks and healing included;
- sim_days_per_cpu_s: simulated days the pumps lived over the same CPU;
- stack_over_model: the stack's CPU per command (firmware, link, client, line, checks) over the
  reference model's, which applies the same commands in the same run;
- seeds, commands, cpu_s.

Run: python bench/swarm_bench.py [--seeds 200] [--first-seed 1] [--profile FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import time

from pumpsim_scenarios.swarm import lives


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--profile", help="write a cProfile of the run here")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    commands = 0
    sim_s = 0.0
    reference_s = 0.0
    violations = 0
    logging.disable(logging.CRITICAL)  # the firmware logs every refusal; the lives make many
    started = time.process_time()
    if profiler is not None:
        profiler.enable()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        life = lives.Life(seed, lives.STEPS, None)
        life.reference_timer = time.perf_counter  # one thread: its wall time is its CPU
        result = life.run()
        life.close()
        commands += result.commands
        sim_s += life.sim.pump.now_s
        reference_s += life.reference_cpu_s
        violations += bool(result.violations)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    cpu_s = time.process_time() - started
    print(
        json.dumps(
            {
                "seeds": args.seeds,
                "commands": commands,
                "cpu_s": round(cpu_s, 2),
                "commands_per_cpu_s": round(commands / cpu_s, 1),
                "sim_days_per_cpu_s": round(sim_s / 86400 / cpu_s, 1),
                "stack_over_model": round((cpu_s - reference_s) / reference_s, 1),
                "seeds_with_violations": violations,
            }
        )
    )


if __name__ == "__main__":
    main()
