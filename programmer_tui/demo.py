"""The demo pump's implant: what `pump-programmer --demo` starts from."""

from __future__ import annotations

from firmware_protocol.client.pump_client import PumpClient
from pumpsim import Continuous, Mix, PatientBolusSettings, TherapyProgram


def set_up_demo_pump(client: PumpClient) -> None:
    """Fill, program and prime a new pump (illustrative values, not advice); a pump already
    set up (a demo's store reopened) is left as it is."""
    if not client.read_status().refill_in_progress:
        return
    client.refill_withdraw()
    program = TherapyProgram(Continuous(0.3), PatientBolusSettings(0.01, 600.0, 10800.0, 4), 2.0)
    client.refill_fill(20.0, Mix.of(morphine=10_000.0), program)
    client.priming_bolus(None)
