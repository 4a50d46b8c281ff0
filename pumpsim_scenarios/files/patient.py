"""A scenario's `[patient]` table: who is at the end of the catheter, one person or a cohort.

```toml
[patient]
baseline_mcg_per_day = 200         # the dose the initial drug was titrated to (default: the
                                   # initial program's daily dose)
baselines = { clonidine = 60 }     # other drugs the patient is stable on
sensitivity = 1.2                  # one patient only: toxicity levels divided by it
cohort = 30                        # N patients drawn from the scenario's seed instead of one
```

The patient is illustrative, relative to each virtual patient's own baseline, for training and
testing; nothing here is dosing advice.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pumpsim
from pumpsim.patient.profile import MAX_COHORT, cohort, typical

KEYS = ("baseline_mcg_per_day", "baselines", "sensitivity", "cohort")


@dataclass(frozen=True)
class PatientPlan:
    # (drug, mcg a day), the initial drug first; None: the initial program's daily dose
    baselines: tuple[tuple[str, float | None], ...]
    sensitivity: float = 1.0
    cohort: int = 0  # 0: one typical patient

    def profiles(
        self, seed: int, initial_dose_mcg_per_day: float
    ) -> tuple[pumpsim.PatientProfile, ...]:
        """The patients, the initial drug's baseline defaulting to what the pump now gives."""
        doses = {d: initial_dose_mcg_per_day if v is None else v for d, v in self.baselines}
        if any(not v > 0 for v in doses.values()):
            raise pumpsim.PatientRejectedError(
                "[patient] needs baseline_mcg_per_day: the initial program gives no dose"
            )
        if self.cohort:
            return cohort(doses, self.cohort, seed)
        return (typical(doses, "typical", self.sensitivity),)


def parse(
    table: Any, initial_drug: str | None, fail: Callable[[str | None, str], None]
) -> PatientPlan:
    """`fail(key, message)` reports a mistake at that key's line (and does not return)."""
    code = str(pumpsim.ErrorCode.PATIENT_REJECTED)
    if not isinstance(table, dict):
        fail(None, "[patient] must be a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        fail(unknown[0], f"unknown key {unknown[0]!r} in [patient]; expected {', '.join(KEYS)}")
    baselines: dict[str, float | None] = {}
    if initial_drug is not None:
        dose = table.get("baseline_mcg_per_day")
        baselines[initial_drug] = (
            None if dose is None else _positive(dose, "baseline_mcg_per_day", fail, code)
        )
    elif "baseline_mcg_per_day" in table:
        fail("baseline_mcg_per_day", "baseline_mcg_per_day needs an [initial] drug; use baselines")
    others = table.get("baselines", {})
    if not isinstance(others, dict):
        fail("baselines", "baselines must be a table of drug = mcg a day")
    for drug, dose in others.items():
        if drug not in pumpsim.DEFAULT_LIBRARY:
            fail(
                "baselines",
                f"{code}: unknown drug {drug!r} in [patient]; one of "
                f"{', '.join(pumpsim.DEFAULT_LIBRARY)}",
            )
        baselines[drug] = _positive(dose, f"baselines.{drug}", fail, code)
    if not baselines:
        fail(None, f"{code}: [patient] needs the baseline of at least one drug")
    sensitivity = _positive(table.get("sensitivity", 1.0), "sensitivity", fail, code)
    size = table.get("cohort", 0)
    if "cohort" in table and (
        isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_COHORT
    ):
        fail("cohort", f"{code}: cohort must be a whole number in 1-{MAX_COHORT}, got {size!r}")
    if size and "sensitivity" in table:
        fail("sensitivity", "sensitivity is for one patient; a cohort draws its own")
    return PatientPlan(tuple(baselines.items()), sensitivity, size)


def _positive(value: Any, key: str, fail: Callable[[str | None, str], None], code: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        fail(key.split(".")[0], f"{code}: {key} must be a number above zero, got {value!r}")
    return float(value)
