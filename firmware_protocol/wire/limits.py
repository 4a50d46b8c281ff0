"""What the wire itself cannot carry, whatever a pump's own limits: one table for both ends.

Why here: the firmware refuses such a program and a programmer's form flags it before sending;
both must apply the same rule, and it is a property of the frame size, not of the device.
"""

from __future__ import annotations

import pumpsim
from pumpsim import TherapyProgram

# The most schedule steps a program may have on this wire: a Status carrying it, with every alarm
# latched and a three-drug mix, still fits one frame (docs/protocol.md, section 5).
MAX_WIRE_STEPS = 140


def wire_violations(program: TherapyProgram) -> tuple[pumpsim.Violation, ...]:
    """What the protocol itself cannot carry, whatever the pump's own limits."""
    basal = program.basal
    if isinstance(basal, pumpsim.FlexibleSchedule) and len(basal.steps) > MAX_WIRE_STEPS:
        text = f"{len(basal.steps)} steps; at most {MAX_WIRE_STEPS} travel in one message"
        return (pumpsim.Violation(pumpsim.ViolationCode.TOO_MANY_STEPS, text, "steps"),)
    return ()
