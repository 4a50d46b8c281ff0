"""The swarm's JSON report: totals over the lives, the history's counts, the fault sites, what
of a pump's life they met, and the violations with their seeds."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from typing import TYPE_CHECKING, Any

from firmware_protocol.line.fault_sites import SITES
from firmware_protocol.memory.sim_disk import DiskCounts
from pumpsim_scenarios.swarm.history import HistoryCounts

if TYPE_CHECKING:
    from pumpsim_scenarios.swarm.seed_life import SeedResult

HEAL_BOUND_S = 180.0  # virtual seconds to settle every pending command (3x the longest backoff)


def _sites(results: list[SeedResult]) -> dict[str, Any]:
    """Per fault site: in how many lives it was enabled, how often it fired; and the sites that
    never fired in this run (a site never reached is a test that never ran)."""
    enabled = Counter(site for r in results for site in r.sites_enabled)
    fired: Counter[str] = Counter()
    for r in results:
        fired.update(r.sites_fired)
    return {
        "sites": {s: {"lives_enabled": enabled[s], "fired": fired[s]} for s in SITES},
        "never_fired": [s for s in SITES if not fired[s]],
    }


def _storage(results: list[SeedResult]) -> dict[str, int]:
    """What the simulated disks did: writes kept, dropped and torn at power cuts, sectors that
    rotted and were repaired from the mirror, torn sectors read back as garbage."""
    total = DiskCounts()
    for r in results:
        total.add(r.disk)
    return dataclasses.asdict(total)


def report(results: list[SeedResult], steps: int) -> dict[str, Any]:
    digest = hashlib.sha256("".join(r.digest for r in results).encode()).hexdigest()
    return {
        "seeds": len(results),
        "first_seed": results[0].seed if results else None,
        "steps_per_seed": steps,
        "commands": sum(r.commands for r in results),
        "acknowledged": sum(r.acknowledged for r in results),
        "crashes": sum(r.crashes for r in results),
        "line_faults": sum(r.line_faults for r in results),
        "history": HistoryCounts.total(r.history for r in results if r.history is not None),
        "heal_bound_s": HEAL_BOUND_S,
        "storage": _storage(results),
        "fault_sites": _sites(results),
        "lives": {
            "sim_days_min": round(min((r.sim_days for r in results), default=0.0), 1),
            "sim_days_total": round(sum(r.sim_days for r in results), 1),
            "reached_eri": sum(r.reached_eri for r in results),
            "reached_end_of_service": sum(r.reached_end_of_service for r in results),
            "log_wrapped": sum(r.log_wrapped for r in results),
            "snapshots": sum(r.snapshots for r in results),
        },
        "heal_s_max": round(max((r.heal_s for r in results), default=0.0), 3),
        "healed": sum(r.history is not None for r in results),
        "violations": [{"seed": r.seed, "messages": r.violations} for r in results if r.violations],
        "digest": digest,
    }
