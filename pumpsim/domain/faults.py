"""Faults a test can inject, each with the time it begins.

A fault describes what goes wrong physically; `Pump` decides what follows and what the device itself
can notice (most catheter faults it cannot: see ../shared/domain.md). Ramps (a granuloma growing, an
accuracy drift) advance in a fixed number of equal steps, so their cost is a handful of events
however long the simulation runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from pumpsim.domain.errors import FaultRejectedError
from pumpsim.units import is_finite_number


@dataclass(frozen=True, slots=True)
class _FaultBase:
    onset_s: float

    def check(self) -> None:
        if not is_finite_number(self.onset_s) or self.onset_s < 0:
            raise FaultRejectedError(f"onset_s must be a time >= 0, got {self.onset_s!r}")


def _fraction(name: str, value: float, lo: float, hi: float) -> None:
    if not is_finite_number(value) or not lo <= value <= hi:
        raise FaultRejectedError(f"{name} must be in [{lo}, {hi}], got {value!r}")


def _ramp(duration_s: float, steps: int) -> None:
    if not is_finite_number(duration_s) or duration_s <= 0:
        raise FaultRejectedError(f"ramp duration must be > 0, got {duration_s!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 1000:
        raise FaultRejectedError(f"ramp steps must be a whole number in [1, 1000], got {steps!r}")


@dataclass(frozen=True, slots=True)
class CatheterOcclusion(_FaultBase):
    """Partial (a fraction of the flow still gets through) or total (0.0) occlusion or kink."""

    delivered_fraction: float = 0.0

    def check(self) -> None:
        _FaultBase.check(self)
        _fraction("delivered_fraction", self.delivered_fraction, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class TipGranuloma(_FaultBase):
    """An inflammatory mass at the catheter tip: resistance rises slowly until flow is choked."""

    growth_s: float
    final_fraction: float = 0.0
    steps: int = 20

    def check(self) -> None:
        _FaultBase.check(self)
        _fraction("final_fraction", self.final_fraction, 0.0, 1.0)
        _ramp(self.growth_s, self.steps)


@dataclass(frozen=True, slots=True)
class CatheterDislodgement(_FaultBase):
    """Drug still leaves the pump, but not into the intrathecal space (loss of effect)."""


@dataclass(frozen=True, slots=True)
class MotorStall(_FaultBase):
    """The rotor stops; `duration_s=None` means for good."""

    duration_s: float | None = None

    def check(self) -> None:
        _FaultBase.check(self)
        if self.duration_s is not None and (
            not is_finite_number(self.duration_s) or self.duration_s <= 0
        ):
            raise FaultRejectedError(f"duration_s must be > 0 or None, got {self.duration_s!r}")


@dataclass(frozen=True, slots=True)
class PrematureEri(_FaultBase):
    """The elective replacement indicator trips early; end of service follows on schedule."""


@dataclass(frozen=True, slots=True)
class LowBatteryReset(_FaultBase):
    """A brown-out reset: the pump restarts at its minimum rate and raises a critical alarm."""


@dataclass(frozen=True, slots=True)
class OverInfusionDrift(_FaultBase):
    """True flow drifts from commanded up to `final_factor` times it over `ramp_s`."""

    final_factor: float
    ramp_s: float
    steps: int = 20

    def check(self) -> None:
        _FaultBase.check(self)
        _fraction("final_factor", self.final_factor, 0.1, 10.0)
        _ramp(self.ramp_s, self.steps)


@dataclass(frozen=True, slots=True)
class PocketFill(_FaultBase):
    """The next refill after onset goes into the subcutaneous pocket, not the reservoir."""


@dataclass(frozen=True, slots=True)
class MemoryReset(_FaultBase):
    """Memory corruption: the pump reboots into a safe state (stopped) and logs it."""


@dataclass(frozen=True, slots=True)
class MismatchedRefill(_FaultBase):
    """The next refill after onset: the syringe holds another mix than the one entered. Each
    drug at `concentration_factor` times what was entered, or, with `drug`, that drug alone at
    `concentration_mcg_per_ml`. The pump believes what it was told, as a real one does; only the
    patient (and the model's ground truth) meets the real mix."""

    concentration_factor: float = 1.0
    drug: str = ""
    concentration_mcg_per_ml: float = 0.0

    def check(self) -> None:
        _FaultBase.check(self)
        if not isinstance(self.drug, str):
            raise FaultRejectedError(f"drug must be a drug's name, got {self.drug!r}")
        if self.drug:
            c = self.concentration_mcg_per_ml
            if not is_finite_number(c) or not 0 < c <= 1e6:
                raise FaultRejectedError(
                    f"concentration_mcg_per_ml must be in (0, 1e6] with a drug, got {c!r}"
                )
        else:
            f = self.concentration_factor
            if not is_finite_number(f) or not 0 < f <= 100:
                raise FaultRejectedError(f"concentration_factor must be in (0, 100], got {f!r}")


Fault = (
    CatheterOcclusion
    | TipGranuloma
    | CatheterDislodgement
    | MotorStall
    | PrematureEri
    | LowBatteryReset
    | OverInfusionDrift
    | PocketFill
    | MemoryReset
    | MismatchedRefill
)

FAULT_TYPES: tuple[type[Fault], ...] = (
    CatheterOcclusion,
    TipGranuloma,
    CatheterDislodgement,
    MotorStall,
    PrematureEri,
    LowBatteryReset,
    OverInfusionDrift,
    PocketFill,
    MemoryReset,
    MismatchedRefill,
)


def ramp_levels(start: float, final: float, steps: int) -> list[float]:
    """Values after each of `steps` equal increments from `start` to `final`."""
    return [start + (final - start) * k / steps for k in range(1, steps + 1)]
