"""The swarm: random lives of the whole stack with crashes and a bad line, and a checker that
can fail (planted bugs are caught), reproducible from a seed to the byte."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from firmware_protocol.line.fault_sites import SITES
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.messages import Role
from pumpsim.patient.profile import DrugResponse, PatientProfile
from pumpsim_scenarios.swarm import lives as swarm


def test_a_few_lives_break_no_invariant_and_meet_crashes_and_noise() -> None:
    results = [swarm.run_seed(seed, steps=30) for seed in range(1, 6)]
    report = swarm.report(results, 30)
    assert report["violations"] == []
    assert report["crashes"] >= len(results)  # at least one power cut a life on average
    assert report["line_faults"] > 0
    assert report["acknowledged"] > 0.5 * report["commands"]
    # The second phase: every life healed, and its history holds.
    assert report["healed"] == len(results)
    history = report["history"]
    assert history["invoked"] == report["commands"]
    assert history["lost"] == history["duplicated"] == history["unexpected"] == 0
    assert history["unresolved"] == 0
    assert history["recovered"] + history["never_applied"] == history["indeterminate"]
    assert 0 < report["heal_s_max"] <= report["heal_bound_s"]


def test_commands_left_indeterminate_are_settled_once_the_life_heals() -> None:
    """A command whose answers the line ate (the pump acted) and one that never reached the pump
    both end indeterminate; healing asks the pump about each by its id: the first is found
    applied (recovered), the second not, and the pump still equals the reference."""
    life = swarm.Life(2, 0, None)
    life.run()  # implanted, healed, clean
    to_pump, to_programmer = life.faults  # as simulated_pump takes them
    client = life.clients[Role.SIMULATOR]
    to_programmer.drop_frame_rate = 1.0  # the pump hears, nobody hears the pump
    reached = life.request(Role.SIMULATOR, m.SimAdvance(client.new_txn(), 3600.0))
    to_pump.drop_frame_rate = 1.0  # now nothing gets through at all
    lost_on_the_way = life.request(Role.SIMULATOR, m.SimAdvance(client.new_txn(), 7200.0))
    assert reached is None
    assert lost_on_the_way is None
    life.result.violations.clear()
    life.heal()
    assert life.result.violations == []
    counts = life.result.history
    assert counts is not None
    assert (counts.indeterminate, counts.recovered, counts.never_applied) == (2, 1, 1)
    assert life.sim.pump.now_s == life.reference.now_s


def test_the_same_seed_is_the_same_life_to_the_byte() -> None:
    a, b, other = swarm.run_seed(7, 25), swarm.run_seed(7, 25), swarm.run_seed(8, 25)
    assert a.digest == b.digest
    assert a.trace == b.trace
    assert (a.commands, a.acknowledged, a.crashes) == (b.commands, b.acknowledged, b.crashes)
    assert other.digest != a.digest


@pytest.mark.parametrize("plant", sorted(swarm.PLANTED))
def test_a_planted_bug_is_caught(plant: str) -> None:
    results = [swarm.run_seed(seed, steps=40, plant=plant) for seed in range(1, 6)]
    assert any(r.violations for r in results), f"the checker missed {plant}"


def test_a_failing_life_is_cut_to_its_shortest_failing_prefix() -> None:
    full = swarm.run_seed(1, 15, plant="ack-before-journal")
    assert full.violations
    short = swarm.shortest_failing(1, 15, plant="ack-before-journal")
    assert short.violations
    assert short.steps <= full.steps
    if short.steps:
        assert not swarm.run_seed(1, short.steps - 1, plant="ack-before-journal").violations


def test_the_command_writes_its_report_and_says_how_to_reproduce(tmp_path: Path) -> None:
    report = tmp_path / "swarm.json"
    command = [sys.executable, "-m", "pumpsim_cli.main", "swarm", "--seeds", "3", "--steps", "10"]
    done = subprocess.run(
        [*command, "--workers", "1", "--json", str(report)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(report.read_text())
    keys = ("seeds", "commands", "acknowledged", "crashes", "line_faults", "violations", "history")
    for key in keys:
        assert key in data
    assert len(data["digest"]) == 64
    planted = subprocess.run(
        [*command, "--workers", "1", "--plant-bug", "ack-before-journal"],
        capture_output=True,
        text=True,
    )
    assert planted.returncode == 1
    assert "reproduce: pumpsim swarm --seeds 1 --first-seed" in planted.stdout
    assert "shortest failing life" in planted.stdout


def test_a_reconnection_after_a_timer_fell_due_still_lets_time_pass() -> None:
    """Seed 4869 used to hang for ever: the client's handshake inherited a read timeout of 0
    from its link (a timer was due when the line died) and looped without virtual time moving.
    A hang is a failure of its own kind, which the invariants cannot see; this life must end."""
    result = swarm.run_seed(4869)
    assert result.violations == []
    assert result.acknowledged > 0


def test_every_life_carries_a_virtual_patient_and_a_disagreeing_one_is_caught() -> None:
    life = swarm.Life(3, 30, None)
    result = life.run()
    assert result.violations == []
    (mine,) = life.sim.pump.patients()
    (theirs,) = life.reference.patients()
    assert mine.label == theirs.label == "life-3"
    # A reference whose patient is someone else (the drug leaves it faster) no longer agrees,
    # and the checker says so.
    other = PatientProfile("life-3", (DrugResponse("morphine", 1000.0, 7200.0),))
    life.reference.attach_patient(other)
    life.reference.advance(life.reference.now_s + 86400.0)
    life.sim.pump.advance(life.sim.pump.now_s + 86400.0)
    life.check()
    assert any(v.split(": ", 1)[1].startswith(("exposure", "signs")) for v in result.violations)


def test_the_swarm_reports_each_site_and_the_ones_that_never_fired() -> None:
    results = [swarm.run_seed(seed, steps=20) for seed in range(1, 21)]
    report = swarm.report(results, 20)
    assert report["violations"] == []
    sites = report["fault_sites"]
    assert set(sites["sites"]) == set(SITES)
    assert all(s["lives_enabled"] > 0 for s in sites["sites"].values())
    assert sites["never_fired"] == [s for s, v in sites["sites"].items() if v["fired"] == 0]
    quiet = [swarm.SeedResult(1, 1)]  # a run in which nothing fired says so, site by site
    assert swarm.report(quiet, 1)["fault_sites"]["never_fired"] == list(SITES)


def test_a_life_lasts_years_and_meets_what_a_pumps_life_holds() -> None:
    """Refills every one to three months over a year or more; some lives run their battery to
    ERI and end of service, some wrap their log; snapshots compact the journal in all."""
    results = [swarm.run_seed(seed) for seed in range(1, 21)]
    report = swarm.report(results, swarm.STEPS)
    assert report["violations"] == []
    assert all(r.sim_days >= 365 for r in results)
    covered = report["lives"]
    assert covered["reached_eri"] > 0
    assert covered["reached_end_of_service"] > 0
    assert covered["log_wrapped"] > 0
    assert covered["snapshots"] >= len(results)
    refills = [sum("the refill is due" in line for line in r.trace) for r in results]
    assert all(n >= 2 for n in refills), refills


def test_lives_meet_a_medium_that_keeps_drops_tears_and_rots_and_lose_nothing() -> None:
    """Each life's memory stands on a simulated disk (its own profile): over a few lives, power
    cuts keep, drop and tear unsynced writes, sectors rot and are repaired from the mirror, and
    still nothing acknowledged is lost."""
    results = [swarm.run_seed(seed, steps=40) for seed in range(1, 21)]
    report = swarm.report(results, 40)
    assert report["violations"] == []
    storage = report["storage"]
    for what in ("kept", "dropped", "torn", "rotted", "repaired"):
        assert storage[what] > 0, what
    assert storage["syncs"] > 0
    assert storage["power_cuts"] == report["crashes"]
    assert report["history"]["lost"] == 0
