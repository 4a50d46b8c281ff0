"""The simulator's rig port: a second way into a simulated pump, for the classroom's console.

What must hold: it reaches the pump while a programmer holds the telemetry session, without
ending or disturbing that session; what it changes is journalled like a command from the line
(a power cut keeps it, a repeated transaction id never applies twice); a pump that offers no
simulator role has no rig port; and it is safe beside the wall-clock driver's thread.
"""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_protocol.client.pump_client import DeviceError
from firmware_protocol.harness.rig import rig_client
from firmware_protocol.harness.simulated import simulated_pump
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.messages import Role
from pumpsim import CatheterDislodgement, CatheterOcclusion, Continuous, TherapyProgram

from builders import MORPHINE_10


def _implant(client) -> None:  # type: ignore[no-untyped-def]
    client.refill_withdraw()
    client.refill_fill(20.0, MORPHINE_10, TherapyProgram(Continuous(0.5)))


def test_the_rig_reads_and_injects_while_a_programmer_holds_the_session() -> None:
    sim = simulated_pump(seed=3)
    programmer = sim.client(Role.CLINICIAN)
    _implant(programmer)
    session = programmer.session
    rig = rig_client(sim.firmware, sim.keys[Role.SIMULATOR])
    assert rig.read_status().reservoir_ml == pytest.approx(20.0)
    rig.sim_inject_fault('{"kind": "CatheterOcclusion", "delivered_fraction": 0.0, "in_s": 0}')
    assert [type(f) for f in sim.pump.faults] == [CatheterOcclusion]
    # The programmer's session is untouched: its next request goes through on it.
    assert programmer.read_status().program is not None
    assert programmer.session == session
    assert sim.firmware.sessions.session is not None


def test_what_the_rig_changes_is_journalled_and_survives_a_power_cut() -> None:
    sim = simulated_pump(seed=4)
    _implant(sim.client(Role.CLINICIAN))
    rig = rig_client(sim.firmware, sim.keys[Role.SIMULATOR])
    rig.sim_inject_fault('{"kind": "CatheterDislodgement", "in_s": 0}')
    sim.restart()
    assert [type(f) for f in sim.pump.faults] == [CatheterDislodgement]


def test_a_repeated_transaction_through_the_rig_is_not_applied_twice() -> None:
    sim = simulated_pump(seed=5)
    _implant(sim.client(Role.CLINICIAN))
    rig = rig_client(sim.firmware, sim.keys[Role.SIMULATOR])
    msg = m.SimInjectFault(rig.new_txn(), '{"kind": "CatheterDislodgement", "in_s": 0}')
    first = rig.request(msg)
    again = rig.request(msg)
    assert again == first
    assert len(sim.pump.faults) == 1
    assert sim.firmware.stats.replayed_txns == 1


def test_the_rig_gets_the_pumps_refusals_with_their_codes_and_changes_nothing() -> None:
    sim = simulated_pump(seed=6)
    rig = rig_client(sim.firmware, sim.keys[Role.SIMULATOR])
    with pytest.raises(DeviceError) as refused:
        rig.sim_inject_fault('{"kind": "NoSuchFault", "in_s": 0}')
    assert refused.value.code == m.WireError.MALFORMED_MESSAGE
    assert sim.pump.faults == ()


def test_a_pump_without_the_simulator_role_has_no_rig_port() -> None:
    sim = simulated_pump(seed=7, simulator=False)
    with pytest.raises(PermissionError):
        sim.firmware.rig(m.ReadStatus())


@given(st.lists(st.booleans(), min_size=1, max_size=12))
def test_commands_from_the_line_and_the_rig_interleave_into_one_journal(
    through_rig: list[bool],
) -> None:
    """Acknowledgements from both ways in are all in the one memory: a power cut loses none."""
    sim = simulated_pump(seed=8)
    line = sim.client(Role.SIMULATOR)
    rig = rig_client(sim.firmware, sim.keys[Role.SIMULATOR], seed=1)
    for i, use_rig in enumerate(through_rig):
        (rig if use_rig else line).sim_set_conditions(36.0 + i * 0.1, 101.3)
    acknowledged = line.acknowledged + rig.acknowledged
    sim.restart()
    assert sim.pump.conditions.body_temperature_c == pytest.approx(
        36.0 + 0.1 * (len(through_rig) - 1)
    )
    assert all(sim.firmware.store.txn(t) is not None for t in acknowledged)


def test_the_rig_is_safe_beside_the_wall_clock_drivers_thread() -> None:
    sim = simulated_pump(seed=None, realtime=True, paused=False, acceleration=3600.0)
    try:
        programmer = sim.client(Role.CLINICIAN)
        _implant(programmer)
        rig = rig_client(sim.firmware, sim.keys[Role.SIMULATOR])
        errors: list[BaseException] = []

        def console() -> None:
            try:
                for _ in range(50):
                    rig.read_status()
            except BaseException as e:  # the test's own thread reports it
                errors.append(e)

        t = threading.Thread(target=console)
        t.start()
        for _ in range(20):
            programmer.read_status()
        t.join(10)
        assert errors == []
        assert programmer.read_status().reservoir_ml < 20.0  # the clock ran meanwhile
    finally:
        sim.close()
