"""What a seed draws before its life begins (the pump, its memory's medium) and what the life
leaves behind (`SeedResult`): the two ends of `lives.Life`, apart from the life itself."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from firmware_protocol.memory.sim_disk import DiskCounts, DiskProfile, Lie, SimDisk
from pumpsim import BatteryConfig, PumpConfig
from pumpsim_scenarios.swarm.history import HistoryCounts
from pumpsim_scenarios.swarm.memory import LIES


@dataclass
class SeedResult:
    """What one life did and broke; `trace` is its steps in words, for a failure report."""

    seed: int
    steps: int
    commands: int = 0
    acknowledged: int = 0
    crashes: int = 0
    line_faults: int = 0
    violations: list[str] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    digest: str = ""
    history: HistoryCounts | None = None
    sim_days: float = 0.0  # how long the pump lived
    reached_eri: bool = False
    reached_end_of_service: bool = False
    log_wrapped: bool = False
    snapshots: int = 0
    sites_enabled: tuple[str, ...] = ()
    sites_fired: dict[str, int] = field(default_factory=dict)
    heal_s: float = 0.0  # virtual time the healing took
    disk: DiskCounts = field(default_factory=DiskCounts)  # what the medium did to its writes


def life_config(rng: random.Random) -> PumpConfig:
    """A 20 mL pump; one life in four on a battery that reaches ERI and end of service within
    the life, one in four with a log small enough to wrap."""
    battery = BatteryConfig()
    if rng.random() < 0.25:
        battery = BatteryConfig(capacity_mah=rng.uniform(120.0, 200.0))
    log = rng.choice([24, 48]) if rng.random() < 0.25 else PumpConfig().event_log_capacity
    return PumpConfig(reservoir_capacity_ml=20.0, battery=battery, event_log_capacity=log)


def life_disk(seed: int, plant: str | None) -> SimDisk:
    """The medium under the pump's memory: its own random stream (so the life's draws do not
    move), a profile of what a power cut does to unsynced writes, and the planted lie if any."""
    rng = random.Random(f"disk {seed}")
    lie = LIES.get(plant or "", Lie.NONE)
    return SimDisk(rng, DiskProfile.drawn(rng), lie=lie)
