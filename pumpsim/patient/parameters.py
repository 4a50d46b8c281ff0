"""The virtual patient's parameters, one row each, with the public source it comes from.

Illustrative, for training and testing, never dosing advice: a value whose source says
"default" is this project's choice where no public figure was found. Ranges are what a cohort
draws its patients from.
"""

from __future__ import annotations

from dataclasses import dataclass

from pumpsim.units import SECONDS_PER_HOUR


@dataclass(frozen=True, slots=True)
class Parameter:
    drug: str
    name: str
    value: float
    low: float
    high: float
    unit: str
    source: str

    @property
    def is_default(self) -> bool:
        return self.source.startswith("default")


_H = SECONDS_PER_HOUR

TABLE: tuple[Parameter, ...] = (
    Parameter(
        "morphine",
        "csf_half_life_s",
        3.1 * _H,
        2.9 * _H,
        3.3 * _H,
        "s",
        "Anesthesiology 1984;60:448: terminal CSF half-life 175 +- 9 and 196 +- 13 min",
    ),
    Parameter(
        "baclofen",
        "csf_half_life_s",
        2.5 * _H,
        0.9 * _H,
        5.0 * _H,
        "s",
        "Eur J Clin Pharmacol, intrathecal bolus in 4 patients: half-life 0.9-5 h",
    ),
    Parameter(
        "ziconotide",
        "csf_half_life_s",
        4.6 * _H,
        3.0 * _H,
        6.0 * _H,
        "s",
        "Prialt label: CSF half-life 4.6 h (range: default)",
    ),
    Parameter("hydromorphone", "csf_half_life_s", 3.0 * _H, 2.0 * _H, 4.0 * _H, "s", "default"),
    Parameter("fentanyl", "csf_half_life_s", 2.0 * _H, 1.0 * _H, 3.0 * _H, "s", "default"),
    Parameter("sufentanil", "csf_half_life_s", 2.0 * _H, 1.0 * _H, 3.0 * _H, "s", "default"),
    Parameter("bupivacaine", "csf_half_life_s", 2.0 * _H, 1.0 * _H, 3.0 * _H, "s", "default"),
    Parameter("clonidine", "csf_half_life_s", 2.5 * _H, 1.5 * _H, 3.5 * _H, "s", "default"),
)


def parameter(drug: str, name: str) -> Parameter:
    for row in TABLE:
        if row.drug == drug and row.name == name:
            return row
    raise KeyError(f"no parameter {name!r} for drug {drug!r}")
