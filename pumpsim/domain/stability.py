"""How long each drug keeps in the reservoir at body temperature, with the source of each figure.

Why the pump needs it: a drug past its stability must be refilled whatever the reservoir holds
(Prialt: adsorption and dilution in a new pump's residual volume make its first fill last 14
days). A fill sets the refill-by date to the shortest stability of the drugs it holds, or to the
programmer's date if that comes sooner; the refill-date alarm is raised then. A value without a
public source says "default"; this is a simulator, not a label.
"""

from __future__ import annotations

from dataclasses import dataclass

from pumpsim.domain.drugs import Mix
from pumpsim.units import SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class Stability:
    drug: str
    days: float  # after a fill, diluted (or as supplied when the label draws no line)
    source: str
    first_fill_days: float | None = None  # a new pump's first fill, where the label says
    undiluted_days: float | None = None  # at a supplied strength, where it keeps longer
    supplied_mcg_per_ml: tuple[float, ...] = ()  # the strengths "undiluted" means


_PRIALT = "Prialt label: refill a new pump within 14 days of its first fill, then every 40 days"
TABLE: tuple[Stability, ...] = (
    Stability(
        "ziconotide",
        40.0,
        _PRIALT + " diluted or 84 days undiluted (25 and 100 mcg/mL as supplied)",
        first_fill_days=14.0,
        undiluted_days=84.0,
        supplied_mcg_per_ml=(25.0, 100.0),
    ),
    Stability(
        "morphine",
        90.0,
        "J Pain Symptom Manage 2004;28:603: a morphine, bupivacaine and clonidine mix kept "
        "above 96 % for 90 days at 37 C",
    ),
    Stability("bupivacaine", 90.0, "J Pain Symptom Manage 2004;28:603 (in the same mix)"),
    Stability("clonidine", 90.0, "J Pain Symptom Manage 2004;28:603 (in the same mix)"),
    Stability("hydromorphone", 90.0, "default"),
    Stability("fentanyl", 90.0, "default"),
    Stability("sufentanil", 90.0, "default"),
    Stability("baclofen", 180.0, "default"),
)
_BY_DRUG = {row.drug: row for row in TABLE}


def keeps_days(drug: str, mcg_per_ml: float, first_fill: bool) -> float | None:
    """How many days `drug` at `mcg_per_ml` keeps after a fill (None: no figure at all)."""
    row = _BY_DRUG.get(drug)
    if row is None:
        return None
    if first_fill and row.first_fill_days is not None:
        return row.first_fill_days
    if row.undiluted_days is not None and mcg_per_ml in row.supplied_mcg_per_ml:
        return row.undiluted_days
    return row.days


def refill_by_s(mix: Mix, filled_at_s: float, first_fill: bool) -> float | None:
    """When a fill of `mix` at `filled_at_s` must be replaced: its shortest-keeping drug's."""
    days = [
        d for c in mix.components if (d := keeps_days(c.drug, c.mcg_per_ml, first_fill)) is not None
    ]
    return filled_at_s + min(days) * SECONDS_PER_DAY if days else None
