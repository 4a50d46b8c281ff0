"""Fault sites (BUGGIFY): enabled per seed with probability 1/4, firing 1/4 of the time once
enabled, never on the wall clock; each changes what the device does in a legal way."""

from __future__ import annotations

import random

import pytest

from firmware_protocol.client.recovery import deliver
from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.line.fault_sites import OFF, SITES, FaultSites
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.messages import Role


def test_off_never_fires() -> None:
    assert OFF.enabled == frozenset()
    assert not any(OFF.fires(site) for site in SITES for _ in range(100))


def test_a_seed_enables_the_same_sites_and_an_enabled_one_fires_a_quarter_of_the_time() -> None:
    draws = [FaultSites(random.Random(seed)).enabled for seed in range(400)]
    assert draws[7] == FaultSites(random.Random(7)).enabled
    share = sum(len(d) for d in draws) / (400 * len(SITES))
    assert 0.2 < share < 0.3
    sites = next(
        FaultSites(random.Random(s)) for s in range(100) if FaultSites(random.Random(s)).enabled
    )
    site = next(iter(sites.enabled))
    fired = sum(sites.fires(site) for _ in range(4000))
    assert 800 < fired < 1200
    assert sites.fired[site] == fired


def test_fault_sites_are_for_virtual_time_only() -> None:
    with pytest.raises(ValueError, match="virtual time"):
        simulated_pump(realtime=True, sites=FaultSites(random.Random(1)))


def test_a_short_write_and_an_early_session_end_are_legal() -> None:
    """With every site firing, a programmer still gets its work done (by reconnecting)."""
    sites = FaultSites(random.Random(1))
    sites.enabled = frozenset(SITES)
    sim = simulated_pump(seed=3, sites=sites)
    client = sim.client(Role.SIMULATOR, connect=False)
    for _ in range(5):
        assert deliver(client, m.SimAdvance(client.new_txn(), 60.0)) is not None
    assert sim.pump.now_s >= 300.0
    assert set(sites.fired) >= {"firmware.short_write", "sessions.early_expiry"}


def test_a_slow_sync_delays_the_reply_and_applies_the_command_once() -> None:
    """`firmware.delayed_sync`: the firmware blocks in a sync for seconds of virtual time; the
    programmer retries when its timer runs out first, and the pump applies each command once."""
    sites = FaultSites(random.Random(1))
    sites.enabled = frozenset({"firmware.delayed_sync"})
    sites.fires = lambda site: site in sites.enabled  # type: ignore[method-assign]
    sim = simulated_pump(seed=3, sites=sites)
    client = sim.client(Role.SIMULATOR, reply_timeout_s=1.0)
    assert sim.clock is not None
    started = sim.clock.monotonic()
    for _ in range(3):
        assert deliver(client, m.SimAdvance(client.new_txn(), 60.0)) is not None
    assert sim.clock.monotonic() - started >= 3 * 0.1  # each commit's sync took its while
    assert sim.pump.now_s == pytest.approx(180.0, abs=10.0)  # advanced three times, not more
    assert sim.firmware.stats.commands == 3
