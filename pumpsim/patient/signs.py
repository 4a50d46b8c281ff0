"""What happens to a virtual patient, as named signs with a severity and the time each began.

Severities follow the manner of ISO 14971's harm scale (none, mild, serious, life-threatening);
a sign's record is a change of its severity at a time, so "withdrawal, mild, from day 3 14:00;
serious from day 4 02:00" is two records and its end a third (severity none).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class HarmSeverity(IntEnum):
    NONE = 0
    MILD = 1
    SERIOUS = 2
    LIFE_THREATENING = 3

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def named(cls, text: str) -> HarmSeverity:
        """From its label ("life-threatening") or name ("life_threatening"); ValueError else."""
        key = text.strip().lower().replace("-", "_")
        for s in cls:
            if s.name.lower() == key:
                return s
        raise ValueError(f"unknown severity {text!r}; one of {', '.join(s.label for s in cls)}")


class SignKind(StrEnum):
    LOSS_OF_EFFECT = "loss_of_effect"  # exposure below the therapy band
    WITHDRAWAL = "withdrawal"  # exposure stayed low past the drug's onset delay
    TOXICITY = "toxicity"  # exposure above the patient's toxicity levels
    UNEXPECTED_DRUG = "unexpected_drug"  # a drug the patient was never titrated on


@dataclass(frozen=True, slots=True)
class SignChange:
    """From `at_s` on, `sign` of `drug` is at `severity` (NONE: it has ended)."""

    at_s: float
    drug: str
    sign: SignKind
    severity: HarmSeverity


@dataclass(frozen=True, slots=True)
class SignNow:
    drug: str
    sign: SignKind
    severity: HarmSeverity
    since_s: float  # when it reached this severity
    began_s: float  # when it began (at its first severity)
    words: str
