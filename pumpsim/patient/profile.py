"""Who the virtual patient is: the baseline dose each drug was titrated to, and how this person
responds (half-life, sensitivity, withdrawal onset), drawn for a cohort from a seed.

Why a baseline: exposure is measured against the patient's own steady state at that dose, so the
model never claims an absolute "therapeutic level". Why a cohort: as simglucose ships 30 patients,
a scenario judged on one typical person says little; N people drawn reproducibly within the
published ranges show how many would be harmed, and who worst.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pumpsim.domain.errors import PatientRejectedError
from pumpsim.patient import parameters as pr
from pumpsim.units import is_finite_number

MAX_COHORT = 1000
_WITHDRAWAL = (
    "withdrawal_onset_s",
    "withdrawal_serious_after_s",
    "withdrawal_life_threatening_after_s",
)


@dataclass(frozen=True, slots=True)
class DrugResponse:
    """One drug as this patient takes it. A withdrawal time of None: no such stage."""

    drug: str
    baseline_mcg_per_day: float
    half_life_s: float
    sensitivity: float = 1.0  # toxicity levels are divided by it
    withdrawal_onset_s: float | None = None
    withdrawal_serious_after_s: float | None = None
    withdrawal_life_threatening_after_s: float | None = None

    def check(self, library_names: Iterable[str]) -> None:
        names = tuple(library_names)
        if self.drug not in names:
            raise PatientRejectedError(
                f"unknown drug {self.drug!r} in the patient; one of {', '.join(names)}"
            )
        _positive(f"{self.drug} baseline_mcg_per_day", self.baseline_mcg_per_day)
        _positive(f"{self.drug} half_life_s", self.half_life_s)
        _positive(f"{self.drug} sensitivity", self.sensitivity)
        for name in _WITHDRAWAL:
            value = getattr(self, name)
            if value is not None:
                _positive(f"{self.drug} {name}", value)


@dataclass(frozen=True, slots=True)
class PatientProfile:
    label: str
    drugs: tuple[DrugResponse, ...]

    def check(self, library_names: Iterable[str]) -> None:
        names = tuple(library_names)
        if not isinstance(self.label, str) or not 0 < len(self.label) <= 64:
            raise PatientRejectedError("a patient needs a label of 1-64 characters")
        if not self.drugs:
            raise PatientRejectedError("a patient needs the baseline of at least one drug")
        seen = [d.drug for d in self.drugs]
        if len(set(seen)) != len(seen):
            raise PatientRejectedError(f"a drug appears twice in the patient: {seen}")
        for d in self.drugs:
            if not isinstance(d, DrugResponse):
                raise PatientRejectedError(f"not a drug response: {d!r}")
            d.check(names)

    def response(self, drug: str) -> DrugResponse | None:
        for d in self.drugs:
            if d.drug == drug:
                return d
        return None


def _positive(what: str, value: object) -> None:
    if not is_finite_number(value) or not value > 0:  # type: ignore[operator]
        raise PatientRejectedError(f"{what} must be a number above zero, got {value!r}")


def _withdrawal(picks: dict[str, float]) -> dict[str, float | None]:
    return {name: picks.get(name) for name in _WITHDRAWAL}


def _half_life(drug: str) -> pr.Parameter:
    try:
        return pr.parameter(drug, "csf_half_life_s")
    except KeyError:
        raise PatientRejectedError(f"no half-life is known for {drug!r}") from None


def drug_row(drug: str, name: str) -> bool:
    """Whether `drug` has its own row for `name` (withdrawal rows are never shared)."""
    return any(row.drug == drug and row.name == name for row in pr.TABLE)


def typical(
    baselines: Mapping[str, float], label: str = "typical", sensitivity: float = 1.0
) -> PatientProfile:
    """The patient every parameter's central value describes."""
    drugs = []
    for drug, baseline in baselines.items():
        picks = {n: pr.parameter(drug, n).value for n in _WITHDRAWAL if drug_row(drug, n)}
        drugs.append(
            DrugResponse(
                drug,
                baseline,
                _half_life(drug).value,
                sensitivity,
                **_withdrawal(picks),
            )
        )
    return PatientProfile(label, tuple(drugs))


def cohort(baselines: Mapping[str, float], size: int, seed: int) -> tuple[PatientProfile, ...]:
    """`size` patients drawn from `seed`: each parameter uniform within its row's range (the
    half-life on a log scale, as such figures spread), the same patients for the same seed."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_COHORT:
        raise PatientRejectedError(f"a cohort has 1-{MAX_COHORT} patients, got {size!r}")
    rng = random.Random(f"pumpsim-cohort-{seed}")
    out = []
    for n in range(size):
        drugs = []
        for drug, baseline in sorted(baselines.items()):
            hl = _half_life(drug)
            half_life = math.exp(rng.uniform(math.log(hl.low), math.log(hl.high)))
            sens = pr.parameter(drug, "sensitivity")
            picks = {
                name: rng.uniform(pr.parameter(drug, name).low, pr.parameter(drug, name).high)
                for name in _WITHDRAWAL
                if drug_row(drug, name)
            }
            drugs.append(
                DrugResponse(
                    drug,
                    baseline,
                    half_life,
                    rng.uniform(sens.low, sens.high),
                    **_withdrawal(picks),
                )
            )
        out.append(PatientProfile(f"patient-{n + 1:03d}", tuple(drugs)))
    return tuple(out)
