"""A pump whose medium lost acknowledged records (both copies of a sector gone, which the swarm
never places): at power-up it keeps the last good state it can read, stops, raises its critical
memory-error alarm, and says in its log, over the wire, which records were lost. Never silently."""

from __future__ import annotations

import contextlib
import json
import random

from firmware_protocol.client.errors import ClientError
from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.device.store import NvStore
from firmware_protocol.harness.simulated import SimulatedPump, simulated_pump
from firmware_protocol.line.virtual_time import PowerCut
from firmware_protocol.memory.sim_disk import DiskProfile, SimDisk
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.messages import Role
from pumpsim import AlarmKind, Continuous, LogKind, Mix, Severity, Stopped, TherapyProgram


def _filled_on(disk: SimDisk, seed: int) -> tuple[SimulatedPump, PumpClient]:
    """A simulated pump whose memory is `disk`, filled and programmed by a clinician."""
    sim = simulated_pump(seed=seed, store=NvStore("pump.db", disk=disk))
    client = sim.client(Role.CLINICIAN, reply_timeout_s=1.0)
    client.refill_withdraw()
    client.refill_fill(20.0, Mix.of(morphine=1000.0), TherapyProgram(Continuous(0.3)))
    return sim, client


def test_records_the_medium_lost_are_named_and_alarmed_at_power_up() -> None:
    disk = SimDisk(random.Random(3), DiskProfile(keep=1.0))
    sim, client = _filled_on(disk, seed=8)
    before = sim.store.transaction_ids()
    review = client.stage_program(TherapyProgram(Continuous(0.2)))
    client.confirm_program(review.stage_id)  # acknowledged: the reply came back
    confirmed = sim.store.transaction_ids()[-1]
    assert confirmed not in before
    wal = disk.synced_size("pump.db-wal")
    disk.corrupt("pump.db-wal", wal - 100, both_banks=True)  # the confirmation's own frame
    sim.restart()

    pump = sim.pump
    assert isinstance(pump.program.basal, Stopped)
    alarm = next(a for a in pump.alarms if a.kind is AlarmKind.MEMORY_ERROR)
    assert alarm.severity is Severity.CRITICAL
    client.close()
    again = sim.client(Role.CLINICIAN)
    records = again.read_log().records
    resets = [json.loads(r.details_json) for r in records if r.kind == "pump_reset"]
    assert resets, "the reset is in the log a programmer downloads"
    lost = resets[-1]["lost"]
    assert lost.startswith("acknowledged records lost:")
    assert f"{confirmed:016x}" in lost  # which one, by its transaction id
    # Said once: the next power-up finds nothing new lost, and the alarm stays until cleared.
    sim.restart()
    assert sim.store.loss is None
    assert AlarmKind.MEMORY_ERROR in {a.kind for a in sim.pump.alarms}


def test_a_cut_at_any_write_of_a_command_leaves_it_whole_or_absent() -> None:
    """The same pump on a disk that tears and drops unsynced writes, its power cut at each write
    of a confirmation in turn: whatever the cut leaves, what was acknowledged before is there, the
    confirmation is applied with its reply stored or not at all, and no alarm is raised."""
    outcomes = set()
    for cut_at in range(1, 11):  # the command makes 9 writes: the last is the register
        disk = SimDisk(random.Random(cut_at), DiskProfile(keep=0.3, tear=0.4, rot_per_cut=1.0))
        sim, client = _filled_on(disk, seed=8)
        acknowledged = set(sim.store.transaction_ids())
        review = client.stage_program(TherapyProgram(Continuous(0.2)))

        def countdown(at: list[int] = [cut_at], disk: SimDisk = disk) -> None:  # noqa: B006
            at[0] -= 1  # the writes left before the cut
            if at[0] == 0:
                disk.power_fail()
                raise PowerCut

        disk.on_write = countdown
        txn = client.new_txn()
        with contextlib.suppress(ClientError):
            client.request(m.ConfirmProgram(txn, review.stage_id, False))
        disk.on_write = None
        sim.restart()
        assert sim.store.loss is None
        assert acknowledged <= set(sim.store.transaction_ids())
        assert AlarmKind.MEMORY_ERROR not in {a.kind for a in sim.pump.alarms}
        applied = sim.pump.program.basal == Continuous(0.2)
        assert applied == sim.store.held(txn)
        outcomes.add(applied)
    assert outcomes == {True, False}  # the cuts fell both before and after the commit landed


def test_a_memory_that_fails_its_check_is_erased_and_everything_promised_is_named() -> None:
    """Both copies of the log's header and of the database's first page gone: power-up's check
    of the memory fails, the memory is begun again, and the pump says all it had acknowledged is
    lost."""
    disk = SimDisk(random.Random(4), DiskProfile(keep=1.0))
    sim, _ = _filled_on(disk, seed=9)
    acknowledged = sim.store.transaction_ids()
    disk.corrupt("pump.db-wal", 0, both_banks=True)
    disk.corrupt("pump.db", 0, both_banks=True)
    sim.restart()
    pump = sim.pump
    assert isinstance(pump.program.basal, Stopped)
    assert AlarmKind.MEMORY_ERROR in {a.kind for a in pump.alarms}
    (reset,) = pump.log.of_kind(LogKind.PUMP_RESET)
    lost = str(reset.details["lost"])
    assert lost.startswith("memory unreadable (")
    assert f"{len(acknowledged)} replies" in lost
    assert sim.store.transaction_ids() == []  # begun again: nothing of before is believed
    sim.restart()
    assert sim.store.loss is None  # and said once
