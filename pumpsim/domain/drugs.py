"""The drug library and reservoir mixes, as data.

Limits are held in micrograms so that one unit runs through every check; each drug keeps the unit
clinicians enter it in (mg or mcg) for display. The defaults follow ../shared/domain.md; a clinic's
own library is just another `DrugLibrary`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from pumpsim.domain.errors import InvalidInputError, UnknownDrugError
from pumpsim.units import MCG_PER_MG, is_finite_number


class MassUnit(StrEnum):
    MG = "mg"
    MCG = "mcg"

    @property
    def mcg(self) -> float:
        """Micrograms in one of this unit."""
        return MCG_PER_MG if self is MassUnit.MG else 1.0


@dataclass(frozen=True, slots=True)
class SoftLimits:
    """Limits that warn and need an explicit override, beside the hard limits that refuse.

    Doses are the basal program's worst 24 hours; an increase is judged against the program in
    force (and, in a weekly schedule, from one day to the next).
    """

    max_daily_dose_mcg: float | None = None
    max_starting_dose_mcg_per_day: float | None = None
    max_increase_mcg_per_day: float | None = None
    max_increases_per_week: int | None = None


@dataclass(frozen=True, slots=True)
class Drug:
    name: str
    unit: MassUnit
    max_concentration_mcg_per_ml: float
    max_daily_dose_mcg: float
    patient_bolus_allowed: bool = True
    note: str = ""
    soft: SoftLimits = SoftLimits()

    def to_display(self, mass_mcg: float) -> float:
        """A mass in this drug's own unit (mg or mcg)."""
        return mass_mcg / self.unit.mcg


class DrugLibrary(Mapping[str, Drug]):
    """An ordered, immutable set of drugs; the order fixes each drug's column in trends."""

    __slots__ = ("_drugs", "_index")

    def __init__(self, drugs: Iterable[Drug]) -> None:
        self._drugs: dict[str, Drug] = {}
        for drug in drugs:
            if drug.name in self._drugs:
                raise InvalidInputError(f"drug {drug.name!r} is listed twice")
            self._drugs[drug.name] = drug
        self._index = {name: i for i, name in enumerate(self._drugs)}

    def __getitem__(self, name: str) -> Drug:
        try:
            return self._drugs[name]
        except KeyError:
            raise UnknownDrugError(f"{name!r} is not in the drug library") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._drugs)

    def __len__(self) -> int:
        return len(self._drugs)

    def index(self, name: str) -> int:
        """Column of a drug in per-drug arrays."""
        self[name]
        return self._index[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._drugs)


def _mg(x: float) -> float:
    return x * MCG_PER_MG


DEFAULT_LIBRARY = DrugLibrary(
    [
        Drug("morphine", MassUnit.MG, _mg(20), _mg(15), note="opioid-tolerant 1-10 mg/day"),
        Drug("hydromorphone", MassUnit.MG, _mg(15), _mg(10)),
        Drug("fentanyl", MassUnit.MG, _mg(10), _mg(1), note="no known upper limit; default 1 mg"),
        Drug("sufentanil", MassUnit.MG, _mg(5), _mg(0.5), note="no known upper limit; 0.5 mg"),
        Drug("bupivacaine", MassUnit.MG, _mg(30), _mg(20)),
        Drug("clonidine", MassUnit.MCG, 1000, 600),
        Drug(
            "ziconotide",
            MassUnit.MCG,
            100,
            19.2,
            note="start <= 2.4 mcg/day; raise <= 2.4 mcg/day, at most 3 times a week (label)",
            soft=SoftLimits(
                max_starting_dose_mcg_per_day=2.4,
                max_increase_mcg_per_day=2.4,
                max_increases_per_week=3,
            ),
        ),
        Drug(
            "baclofen",
            MassUnit.MCG,
            2000,
            1000,
            patient_bolus_allowed=False,
            note="no patient bolus; abrupt withdrawal is dangerous",
        ),
    ]
)


@dataclass(frozen=True, slots=True)
class DrugConcentration:
    drug: str
    mcg_per_ml: float


@dataclass(frozen=True, slots=True)
class Mix:
    """What is in the reservoir: zero or more drugs, each at its concentration.

    An empty mix is preservative-free saline (what fills a catheter before priming).
    """

    components: tuple[DrugConcentration, ...] = ()

    @classmethod
    def of(cls, **mcg_per_ml: float) -> Mix:
        """`Mix.of(morphine=10_000, clonidine=500)`: a mix by keyword, in mcg/mL."""
        return cls(tuple(DrugConcentration(d, c) for d, c in mcg_per_ml.items()))

    @property
    def drugs(self) -> tuple[str, ...]:
        return tuple(c.drug for c in self.components)

    @property
    def primary(self) -> DrugConcentration | None:
        """The drug doses are entered for; the others follow their concentration."""
        return self.components[0] if self.components else None

    def concentration_mcg_per_ml(self, drug: str) -> float:
        for c in self.components:
            if c.drug == drug:
                return c.mcg_per_ml
        return 0.0

    def is_saline(self) -> bool:
        return not self.components

    def check_well_formed(self, library: DrugLibrary) -> None:
        """Raise for values that are never meaningful; limits are the validator's job."""
        seen: set[str] = set()
        for c in self.components:
            library[c.drug]
            if not is_finite_number(c.mcg_per_ml) or c.mcg_per_ml <= 0:
                raise InvalidInputError(
                    f"concentration of {c.drug} must be a positive number, got {c.mcg_per_ml!r}"
                )
            if c.drug in seen:
                raise InvalidInputError(f"{c.drug} appears twice in the mix")
            seen.add(c.drug)

    def vector(self, library: DrugLibrary) -> tuple[float, ...]:
        """Concentrations in library column order (mcg/mL), for the integrator."""
        out = [0.0] * len(library)
        for c in self.components:
            out[library.index(c.drug)] = c.mcg_per_ml
        return tuple(out)

    def describe(self, library: DrugLibrary) -> str:
        if self.is_saline():
            return "saline"
        parts = []
        for c in self.components:
            drug = library[c.drug]
            parts.append(f"{c.drug} {drug.to_display(c.mcg_per_ml):g} {drug.unit}/mL")
        return " + ".join(parts)
