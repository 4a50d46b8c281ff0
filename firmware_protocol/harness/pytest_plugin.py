"""A pytest plugin: simulated pumps ready for your programmer's tests.

Installed with pumpsim (entry point `pytest11`), so in any project that has pumpsim installed:

    def test_my_programmer_logic(virtual_pump):         # on virtual time: fast, reproducible
        my_code.use_port(virtual_pump.port, key=virtual_pump.keys[Role.CLINICIAN])

    def test_my_programmer_program(simulated_pump):     # a real pty, for code that wants a path
        my_code.connect(simulated_pump.url, key_file=simulated_pump.key_file("clinician"))

`virtual_pump` is the one to reach for: a `firmware_protocol.harness.simulated` pump whose `port` is
a real pyserial port (`serial.SerialBase`: flush, read_until, readline, in_waiting, `with`) on a
simulated line (and `serial.serial_for_url("pumpsim://?seed=7")` opens one too); while your code
waits on a read, virtual time moves and the firmware answers, so timeouts and retries take no wall
time and every run is the same. `simulated_pump` pairs fresh keys, starts the firmware on a pty in a
background thread (the wall clock) and stops it after the test. Both give `client(role)`, a
connected `PumpClient` for arranging state or checking results, and `firmware.pump`, the model
behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import serial

# `serial.serial_for_url("pumpsim://?seed=7")` in the tests of any project with pumpsim in it.
if "firmware_protocol.harness" not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append("firmware_protocol.harness")

if TYPE_CHECKING:  # the fixtures import the stack only when a test asks for one
    from firmware_protocol.harness.pty_pump import SimulatedPump
    from firmware_protocol.harness.simulated import SimulatedPump as VirtualPump


@pytest.fixture
def virtual_pump() -> Iterator[VirtualPump]:
    """A simulated pump on virtual time (seed 0) for the duration of one test."""
    from firmware_protocol.harness.simulated import simulated_pump

    pump = simulated_pump(seed=0)
    try:
        yield pump
    finally:
        pump.close()


@pytest.fixture
def simulated_pump(tmp_path: Path) -> Iterator[SimulatedPump]:
    """A simulated pump served on a pty for the duration of one test."""
    from firmware_protocol.harness.pty_pump import serve_on_pty

    with serve_on_pty(tmp_path / "simulated-pump") as pump:
        yield pump
