"""Refill arithmetic: the withdrawn-versus-expected verdict and the bridge bolus offer.

The verdict is how a clinic finds catheter faults the pump cannot see: less drug left than expected
points to over-infusion, more to under-infusion or an occluded catheter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pumpsim.domain.drugs import Mix


class RefillVerdict(StrEnum):
    WITHIN_TOLERANCE = "within_tolerance"
    OVER_INFUSION_SUSPECTED = "over_infusion_suspected"
    UNDER_INFUSION_SUSPECTED = "under_infusion_suspected"


def classify_discrepancy(
    withdrawn_ml: float, expected_ml: float, tolerance_ml: float
) -> RefillVerdict:
    discrepancy = withdrawn_ml - expected_ml
    if discrepancy < -tolerance_ml:
        return RefillVerdict.OVER_INFUSION_SUSPECTED
    if discrepancy > tolerance_ml:
        return RefillVerdict.UNDER_INFUSION_SUSPECTED
    return RefillVerdict.WITHIN_TOLERANCE


@dataclass(frozen=True, slots=True)
class WithdrawResult:
    withdrawn_ml: float
    expected_ml: float
    tolerance_ml: float
    verdict: RefillVerdict

    @property
    def discrepancy_ml(self) -> float:
        return self.withdrawn_ml - self.expected_ml


@dataclass(frozen=True, slots=True)
class BridgeOffer:
    """Push the old drug out of tubing and catheter at the old program's pace."""

    volume_ml: float
    rate_ml_per_day: float
    duration_s: float


@dataclass(frozen=True, slots=True)
class FillResult:
    volume_ml: float
    mix: Mix
    bridge_offer: BridgeOffer | None
