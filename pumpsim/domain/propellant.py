"""The constant-flow pump's drive: a propellant's vapour pressure, a capillary, and the world.

Why a model of its own: a constant-flow pump (Codman 3000, IsoMed, Tricumed) has no motor and no
program; body heat keeps a sealed propellant at its vapour pressure, which presses a bellows, and
the drug leaves through a capillary flow restrictor. The flow is therefore set by the physics, not
by a command, and it moves with body temperature and ambient pressure: a heating pad or a fever
makes it flow faster, a flight cabin (about 75 kPa) faster still, a dive slower, to a stop.

The formula (Hagen-Poiseuille through the restrictor, Clausius-Clapeyron for the propellant):

    drive(T, P)  = P_vap(T) - P - P_csf           the pressure across the restrictor
    P_vap(T)     = P_vap(37 C) * exp(L/R * (1/T_37 - 1/T))
    mu(T)/mu(37) = exp(B * (1/T - 1/T_37))        viscosity of the aqueous drug solution
    flow         = factory rate * drive(T, P) / drive(37 C, 101.325 kPa) * mu(37) / mu(T)

and no flow backwards: below zero drive the bellows holds (the flow is 0). No manufacturer
publishes a coefficient per degree or per kPa (../shared/domain.md), so every constant is a field
of `PropellantDrive`, each a default from the physics of a butane-like propellant and water:
they give about +7.5 % per degree Celsius, +26 % in a 75 kPa cabin, and almost no flow 10 m
under water. Illustrative, for training and testing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pumpsim.domain.errors import InvalidInputError
from pumpsim.units import is_finite_number

KELVIN = 273.15
SEA_LEVEL_KPA = 101.325
BODY_C = 37.0
# What the pump accepts as conditions at the pump: a living body, and the pressures a person can
# meet (a high mountain to a deep dive). Outside them a request is refused, nothing changed.
TEMPERATURE_RANGE_C = (25.0, 45.0)
PRESSURE_RANGE_KPA = (20.0, 600.0)


@dataclass(frozen=True, slots=True)
class PropellantDrive:
    """Defaults (no manufacturer's figure is public): see the module's docstring."""

    factory_rate_ml_per_day: float = 1.0
    # Absolute vapour pressure of the propellant at 37 C: one atmosphere above sea level.
    vapour_pressure_at_37_kpa: float = 202.65
    # Latent heat over the gas constant, in kelvin (n-butane: 22.4 kJ/mol / 8.314 = 2,694 K).
    latent_heat_over_r_k: float = 2694.0
    # Viscosity's temperature constant, in kelvin (water near 37 C: about -1.9 % per degree).
    viscosity_b_k: float = 1800.0
    # CSF pressure at the catheter tip above ambient (about 10 mmHg, lying).
    csf_pressure_kpa: float = 1.3


@dataclass(frozen=True, slots=True)
class Conditions:
    """The world at the pump: the temperature there (the body's, or a heating pad's over it) and
    the ambient pressure (sea level, a cabin, a dive)."""

    body_temperature_c: float = BODY_C
    ambient_pressure_kpa: float = SEA_LEVEL_KPA

    def check(self) -> None:
        for name, value, (lo, hi) in (
            ("body_temperature_c", self.body_temperature_c, TEMPERATURE_RANGE_C),
            ("ambient_pressure_kpa", self.ambient_pressure_kpa, PRESSURE_RANGE_KPA),
        ):
            if not is_finite_number(value) or not lo <= value <= hi:
                raise InvalidInputError(f"{name} must be between {lo:g} and {hi:g}, got {value!r}")


def _drive_kpa(drive: PropellantDrive, temperature_c: float, pressure_kpa: float) -> float:
    t = temperature_c + KELVIN
    vapour = drive.vapour_pressure_at_37_kpa * math.exp(
        drive.latent_heat_over_r_k * (1.0 / (BODY_C + KELVIN) - 1.0 / t)
    )
    return vapour - pressure_kpa - drive.csf_pressure_kpa


def flow_factor(drive: PropellantDrive, conditions: Conditions) -> float:
    """The true flow over the factory rate under `conditions` (1 at 37 C and sea level)."""
    nominal = _drive_kpa(drive, BODY_C, SEA_LEVEL_KPA)
    now = _drive_kpa(drive, conditions.body_temperature_c, conditions.ambient_pressure_kpa)
    t = conditions.body_temperature_c + KELVIN
    thinner = math.exp(drive.viscosity_b_k * (1.0 / (BODY_C + KELVIN) - 1.0 / t))
    return max(0.0, now / nominal) * thinner
