"""Benchmark of a firmware restart: after a short history and after 100,000 acknowledged commands.

A restart is what a power cut costs: open the store, restore the latest snapshot, replay the
journal after it, catch the clock up. Both pumps live in a file store (as `pumpsim serve` keeps
one) and are built through the whole stack on virtual time: every command was sent by a client,
acknowledged, and journalled. The restored pump must equal the one that was killed, exactly.

Run `python bench/restart_bench.py [LONG_COMMANDS]`; the last line printed is one JSON object.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from firmware_protocol.device.firmware import Firmware
from firmware_protocol.device.store import NvStore
from firmware_protocol.harness.simulated import SimulatedPump, simulated_pump
from firmware_protocol.wire.messages import Role
from pumpsim import Continuous, Mix, PatientBolusSettings, TherapyProgram
from pumpsim.units import hours, minutes

SHORT = 10
LONG = 100_012  # not a multiple of the snapshot interval: a tail to replay
REPEATS = 5


def build(directory: Path, commands: int) -> tuple[SimulatedPump, int]:
    """A pump with `commands` acknowledged commands in its history, its memory then copied to a
    file store (built in memory: a file store would fsync every command)."""
    sim = simulated_pump(seed=commands)
    clinician = sim.client(Role.SIMULATOR, reply_timeout_s=30.0)
    bolus = PatientBolusSettings(0.01, minutes(5), hours(1), 24)
    clinician.refill_withdraw()
    clinician.refill_fill(40.0, Mix.of(morphine=1000.0), TherapyProgram(Continuous(0.2), bolus))
    sent = 2
    while sent < commands:
        clinician.sim_advance(hours(1))
        if sent % 2:
            clinician.patient_bolus()
        else:
            clinician.acknowledge_alarms()
        sent += 1
        if sent % 400 == 0:
            clinician.refill_withdraw()
            clinician.refill_fill(40.0, Mix.of(morphine=1000.0))
            sent += 2
    sim.store.copy_to(directory / "pump.sqlite")
    return sim, sent


def restart_time(sim: SimulatedPump, path: Path) -> tuple[float, Firmware]:
    best = float("inf")
    firmware = sim.firmware
    for _ in range(REPEATS):
        started = time.perf_counter()
        store = NvStore(path)
        firmware = Firmware(
            sim.pump_port,
            sim.pump_keys,
            store,
            simulator=True,
            wall=sim.wall,
            monotonic=sim.monotonic,
        )
        best = min(best, time.perf_counter() - started)
        store.close()
    return best, firmware


def main() -> None:
    long_commands = int(sys.argv[1]) if len(sys.argv) > 1 else LONG
    with tempfile.TemporaryDirectory(prefix="restart-bench-") as tmp:
        out: dict[str, object] = {}
        equal = True
        for name, commands in (("short", SHORT), ("long", long_commands)):
            directory = Path(tmp) / name
            directory.mkdir()
            started = time.perf_counter()
            sim, sent = build(directory, commands)
            built_s = time.perf_counter() - started
            killed = sim.pump
            seconds, restarted = restart_time(sim, directory / "pump.sqlite")
            restored = restarted.pump
            same = (
                restored.status() == killed.status()
                and restored.physical() == killed.physical()
                and list(restored.log) == list(killed.log)
            )
            equal = equal and same
            out[f"{name}_commands"] = sent
            out[f"restart_{name}_s"] = round(seconds, 5)
            out[f"{name}_replayed"] = restarted.restored_commands
            out[f"{name}_build_s"] = round(built_s, 1)
        out["long_over_short"] = round(
            float(out["restart_long_s"]) / float(out["restart_short_s"]),  # type: ignore[arg-type]
            2,
        )
        out["state_equal"] = equal
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
