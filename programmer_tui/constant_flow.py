"""What the programmer shows of a constant-flow pump, which has no program to show.

Why a view of its own: a constant-flow pump (Codman 3000, IsoMed, Tricumed) flows at one factory
rate set by its propellant; the clinician changes its dose only by refilling with another
concentration. So where a programmable pump has a program editor, the programmer says what the
factory rate and the reservoir's concentrations give, and where to change it.
"""

from __future__ import annotations

from firmware_protocol.wire import messages as m
from programmer_tui import format as fmt
from programmer_tui.checks import PumpRules


def is_constant_flow(status: m.Status | None) -> bool:
    return status is not None and status.variant == "constant_flow"


def doses_text(status: m.Status, rules: PumpRules) -> str:
    """Each drug's dose a day at the factory rate, one per line."""
    rate = rules.config.drive.factory_rate_ml_per_day
    lines = []
    for d in status.mix:
        unit_mcg = rules.unit_mcg(d.drug)
        unit = rules.library[d.drug].unit if d.drug in rules.library else "mcg"
        lines.append(f"  {d.drug}: {d.mcg_per_ml * rate / unit_mcg:g} {unit}/day")
    return "\n".join(lines) or "  (empty: fill it to start)"


def program_view(status: m.Status, rules: PumpRules) -> str:
    """The Program tab of a constant-flow pump."""
    rate = rules.config.drive.factory_rate_ml_per_day
    due = fmt.day(status.refill_due_at_s, status.clock_offset_s)
    return (
        f"Constant-flow pump: it flows at its factory rate of {rate:g} mL/day, set by its "
        "propellant; it takes no program, bolus or MRI mode.\n"
        f"Reservoir: {fmt.mix(status.mix, 'empty')}, giving at the factory rate:\n"
        f"{doses_text(status, rules)}\n"
        "To change the dose, refill with another concentration (Refill tab): dose a day = "
        "concentration x factory rate.\n"
        f"Refill by {due}. Its flow follows body temperature and ambient pressure (fever, a "
        "heating pad, a flight, a dive): the reservoir shown is reckoned at the factory rate."
    )
