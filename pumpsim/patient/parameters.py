"""The virtual patient's parameters, one row each, with the public source it comes from.

Illustrative, for training and testing, never dosing advice: a value whose source says
"default" is this project's choice where no public figure was found (shared/domain.md lists the
public figures). `low` and `high` are what a cohort draws its patients from. Every number the
patient model uses is a row here, so the README's table is printed from this one place.

Levels are exposures relative to the patient's own steady state at its baseline dose (1.0), never
absolute concentrations.
"""

from __future__ import annotations

from dataclasses import dataclass

from pumpsim.units import SECONDS_PER_HOUR

_H = SECONDS_PER_HOUR
ANY_DRUG = "*"  # a row that holds for every drug without a row of its own


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


_D = "default"

TABLE: tuple[Parameter, ...] = (
    # CSF elimination: one well-mixed compartment per drug.
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
    Parameter("hydromorphone", "csf_half_life_s", 3.0 * _H, 2.0 * _H, 4.0 * _H, "s", _D),
    Parameter("fentanyl", "csf_half_life_s", 2.0 * _H, 1.0 * _H, 3.0 * _H, "s", _D),
    Parameter("sufentanil", "csf_half_life_s", 2.0 * _H, 1.0 * _H, 3.0 * _H, "s", _D),
    Parameter("bupivacaine", "csf_half_life_s", 2.0 * _H, 1.0 * _H, 3.0 * _H, "s", _D),
    Parameter("clonidine", "csf_half_life_s", 2.5 * _H, 1.5 * _H, 3.5 * _H, "s", _D),
    Parameter(ANY_DRUG, "csf_half_life_s", 3.0 * _H, 2.0 * _H, 4.0 * _H, "s", _D),
    # Withdrawal: exposure below `withdrawal_level` for the onset delay brings mild signs; they
    # turn serious and then life-threatening if the exposure stays low. A drug without an onset
    # row has no withdrawal (ziconotide: "may be stopped abruptly", Prialt label).
    Parameter(
        "baclofen",
        "withdrawal_onset_s",
        48 * _H,
        12 * _H,
        96 * _H,
        "s",
        "Lioresal Intrathecal boxed warning: onset usually 48-96 h, sometimes within 12 h",
    ),
    Parameter(
        "baclofen",
        "withdrawal_serious_after_s",
        24 * _H,
        12 * _H,
        48 * _H,
        "s",
        "default (boxed warning: severe signs follow the mild ones when untreated)",
    ),
    Parameter(
        "baclofen",
        "withdrawal_life_threatening_after_s",
        72 * _H,
        48 * _H,
        96 * _H,
        "s",
        "Lioresal Intrathecal boxed warning: rhabdomyolysis and organ failure over 24-72 h "
        "untreated (counted from the mild signs: default)",
    ),
    Parameter("morphine", "withdrawal_onset_s", 24 * _H, 12 * _H, 48 * _H, "s", _D),
    Parameter("morphine", "withdrawal_serious_after_s", 48 * _H, 24 * _H, 72 * _H, "s", _D),
    Parameter("hydromorphone", "withdrawal_onset_s", 24 * _H, 12 * _H, 48 * _H, "s", _D),
    Parameter("hydromorphone", "withdrawal_serious_after_s", 48 * _H, 24 * _H, 72 * _H, "s", _D),
    Parameter("fentanyl", "withdrawal_onset_s", 12 * _H, 6 * _H, 24 * _H, "s", _D),
    Parameter("fentanyl", "withdrawal_serious_after_s", 48 * _H, 24 * _H, 72 * _H, "s", _D),
    Parameter("sufentanil", "withdrawal_onset_s", 12 * _H, 6 * _H, 24 * _H, "s", _D),
    Parameter("sufentanil", "withdrawal_serious_after_s", 48 * _H, 24 * _H, 72 * _H, "s", _D),
    Parameter("clonidine", "withdrawal_onset_s", 24 * _H, 12 * _H, 48 * _H, "s", _D),
    Parameter("clonidine", "withdrawal_serious_after_s", 24 * _H, 12 * _H, 48 * _H, "s", _D),
    # Opioids: respiratory depression is likeliest in the first 24-72 h after a start or an
    # increase; for that long the toxicity levels are divided by the factor.
    *(
        Parameter(
            opioid,
            "early_risk_s",
            72 * _H,
            24 * _H,
            72 * _H,
            "s",
            "Infumorph label: watch for respiratory depression 24-72 h after a start or an "
            "increase",
        )
        for opioid in ("morphine", "hydromorphone", "fentanyl", "sufentanil")
    ),
    *(
        Parameter(opioid, "early_risk_factor", 1.25, 1.25, 1.25, "x", _D)
        for opioid in ("morphine", "hydromorphone", "fentanyl", "sufentanil")
    ),
    # Levels (relative exposure), the same for every drug unless a row says otherwise.
    Parameter(ANY_DRUG, "band_low", 0.6, 0.6, 0.6, "x baseline", _D),
    Parameter(ANY_DRUG, "band_high", 1.4, 1.4, 1.4, "x baseline", _D),
    Parameter(ANY_DRUG, "withdrawal_level", 0.3, 0.3, 0.3, "x baseline", _D),
    Parameter(ANY_DRUG, "toxicity_mild", 1.8, 1.8, 1.8, "x baseline", _D),
    Parameter(ANY_DRUG, "toxicity_serious", 2.8, 2.8, 2.8, "x baseline", _D),
    Parameter(ANY_DRUG, "toxicity_life_threatening", 4.5, 4.5, 4.5, "x baseline", _D),
    # How much a patient's toxicity levels sit below (sensitive) or above the cohort's: the levels
    # are divided by it.
    Parameter(ANY_DRUG, "sensitivity", 1.0, 0.8, 1.25, "x", _D),
    # A drug the patient was never titrated on: present while its exposure, measured against
    # 1 mcg a day, is above this detection level (a marker of presence, not a clinical level).
    Parameter(ANY_DRUG, "unexpected_drug_level", 0.05, 0.05, 0.05, "x 1 mcg/day", _D),
)


def parameter(drug: str, name: str) -> Parameter:
    """The drug's own row, else the row for every drug; `KeyError` if neither exists."""
    fallback = None
    for row in TABLE:
        if row.name == name:
            if row.drug == drug:
                return row
            if row.drug == ANY_DRUG:
                fallback = row
    if fallback is None:
        raise KeyError(f"no parameter {name!r} for drug {drug!r}")
    return fallback


def has(drug: str, name: str) -> bool:
    return any(row.drug in (drug, ANY_DRUG) and row.name == name for row in TABLE)


# What the signs are, in words, per drug and severity (for the debrief and the Simulator tab).
# A drug without its own words takes the class words below.
_OPIOID_WITHDRAWAL = ("returning pain, restlessness, sweating", "agitation, vomiting, diarrhoea")
_OPIOID_TOXICITY = (
    "sedation, itching, nausea",
    "respiratory depression",
    "respiratory arrest",
)
WORDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("baclofen", "withdrawal"): (
        "returning spasticity, itching, tachycardia",
        "high fever, altered mental status",
        "rhabdomyolysis, organ failure",
    ),
    ("baclofen", "toxicity"): ("drowsiness", "respiratory depression", "coma"),
    ("baclofen", "loss_of_effect"): ("returning spasticity",),
    ("ziconotide", "toxicity"): (
        "dizziness, nausea, confusion",
        "psychiatric symptoms, hallucinations",
        "reduced consciousness",
    ),
    ("ziconotide", "loss_of_effect"): ("returning pain",),
    ("clonidine", "withdrawal"): ("rebound hypertension, agitation", "hypertensive crisis"),
    ("clonidine", "toxicity"): ("hypotension, sedation", "bradycardia", "profound hypotension"),
    ("bupivacaine", "toxicity"): ("numbness, weakness", "motor block", "cardiovascular effects"),
    ("*", "withdrawal"): _OPIOID_WITHDRAWAL,
    ("*", "toxicity"): _OPIOID_TOXICITY,
    ("*", "loss_of_effect"): ("returning pain",),
    ("*", "unexpected_drug"): ("a drug this patient was never titrated on",),
}


def words(drug: str, sign: str, severity_rank: int) -> str:
    """What a sign looks like at a severity (1 mild, 2 serious, 3 life-threatening)."""
    said = WORDS.get((drug, sign)) or WORDS.get((ANY_DRUG, sign)) or ("",)
    return said[min(severity_rank, len(said)) - 1] if severity_rank > 0 else ""
