"""A pump's fixed characteristics: variant, reservoir, drive, battery, memory.

Figures that ../shared/domain.md marks as defaults (not from a manufacturer's manual) are fields
here, never constants in the physics, so a scenario can set them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pumpsim.domain.errors import InvalidInputError
from pumpsim.domain.propellant import PropellantDrive
from pumpsim.units import SECONDS_PER_HOUR, SECONDS_PER_YEAR, days, is_finite_number


class PumpVariant(StrEnum):
    PERISTALTIC = "peristaltic"  # SynchroMed II class: motor and rotor
    VALVE_GATED = "valve_gated"  # Prometra II class: valves and accumulator
    CONSTANT_FLOW = "constant_flow"  # Codman 3000, IsoMed, Tricumed: propellant, one factory rate


@dataclass(frozen=True, slots=True)
class BatteryConfig:
    """Battery budget. The defaults give about 7 years at 0.5 mL/day and 5 years at 2 mL/day."""

    capacity_mah: float = 1000.0
    quiescent_mah_per_day: float = 0.3392
    mah_per_ml: float = 0.10436
    mah_per_telemetry_session: float = 0.005
    mah_per_alarm_tone: float = 0.0002
    alarm_tone_interval_s: float = 600.0
    life_cap_s: float = 7 * SECONDS_PER_YEAR
    eri_warning_s: float = days(90)
    initial_age_s: float = 0.0


@dataclass(frozen=True, slots=True)
class PumpConfig:
    variant: PumpVariant = PumpVariant.PERISTALTIC
    reservoir_capacity_ml: float = 40.0
    pump_tubing_volume_ml: float = 0.2
    catheter_volume_ml: float = 0.15
    min_rate_ml_per_day: float = 0.048
    max_rate_ml_per_day: float = 24.0
    rate_resolution_ml_per_day: float = 0.001
    # Ratio of true to commanded volume; the label allows +-14.5 % (valve-gated trial mean 0.968).
    accuracy_factor: float = 1.0
    default_low_reservoir_alarm_ml: float = 2.0
    mri_recovery_lag_s: float = 2 * SECONDS_PER_HOUR
    max_schedule_steps_per_day: int = 24
    event_log_capacity: int = 4096
    # Trend memory, in knots (one per change of rates); past it the oldest half is thinned to days.
    trend_capacity_knots: int = 4096
    # Beyond the reference devices: a motor back-pressure sensor that can suspect an occlusion.
    back_pressure_sensor: bool = False
    occlusion_alarm_below_fraction: float = 0.5
    battery: BatteryConfig = field(default_factory=BatteryConfig)
    # The constant-flow class's drive (ignored by the other two): factory rate and propellant.
    drive: PropellantDrive = field(default_factory=PropellantDrive)

    @property
    def is_constant_flow(self) -> bool:
        return self.variant is PumpVariant.CONSTANT_FLOW

    @property
    def dead_volume_ml(self) -> float:
        """Pump tubing plus catheter: what a priming or bridge bolus must push."""
        return self.pump_tubing_volume_ml + self.catheter_volume_ml

    @property
    def refill_tolerance_ml(self) -> float:
        """Discrepancy that matters at refill: 1 mL for a 20 mL pump, 2 mL for a 40 mL pump."""
        return 1.0 if self.reservoir_capacity_ml <= 20.0 else 2.0

    def __post_init__(self) -> None:
        positive = {
            "reservoir_capacity_ml": self.reservoir_capacity_ml,
            "pump_tubing_volume_ml": self.pump_tubing_volume_ml,
            "catheter_volume_ml": self.catheter_volume_ml,
            "min_rate_ml_per_day": self.min_rate_ml_per_day,
            "max_rate_ml_per_day": self.max_rate_ml_per_day,
            "rate_resolution_ml_per_day": self.rate_resolution_ml_per_day,
            "accuracy_factor": self.accuracy_factor,
            "battery.capacity_mah": self.battery.capacity_mah,
            "battery.life_cap_s": self.battery.life_cap_s,
            "battery.alarm_tone_interval_s": self.battery.alarm_tone_interval_s,
            "drive.factory_rate_ml_per_day": self.drive.factory_rate_ml_per_day,
            "drive.vapour_pressure_at_37_kpa": self.drive.vapour_pressure_at_37_kpa,
        }
        for name, value in positive.items():
            if not is_finite_number(value) or value <= 0:
                raise InvalidInputError(f"{name} must be a positive number, got {value!r}")
        non_negative = {
            "mri_recovery_lag_s": self.mri_recovery_lag_s,
            "battery.quiescent_mah_per_day": self.battery.quiescent_mah_per_day,
            "battery.mah_per_ml": self.battery.mah_per_ml,
            "battery.mah_per_telemetry_session": self.battery.mah_per_telemetry_session,
            "battery.mah_per_alarm_tone": self.battery.mah_per_alarm_tone,
            "battery.eri_warning_s": self.battery.eri_warning_s,
            "battery.initial_age_s": self.battery.initial_age_s,
        }
        for name, value in non_negative.items():
            if not is_finite_number(value) or value < 0:
                raise InvalidInputError(f"{name} must be a number >= 0, got {value!r}")
        if self.min_rate_ml_per_day >= self.max_rate_ml_per_day:
            raise InvalidInputError("min_rate_ml_per_day must be below max_rate_ml_per_day")
        if self.event_log_capacity < 16:
            raise InvalidInputError("event_log_capacity must be at least 16 records")
        if self.trend_capacity_knots < 16:
            raise InvalidInputError("trend_capacity_knots must be at least 16 knots")
        if self.battery.initial_age_s >= self.battery.life_cap_s:
            raise InvalidInputError("battery.initial_age_s must be below battery.life_cap_s")
        if self.is_constant_flow and not (
            self.min_rate_ml_per_day
            <= self.drive.factory_rate_ml_per_day
            <= self.max_rate_ml_per_day
        ):
            raise InvalidInputError("drive.factory_rate_ml_per_day must be within the rate limits")


def valve_gated_config(**overrides: object) -> PumpConfig:
    """The Prometra II class defaults: 10-year battery, trial mean accuracy 96.8 %."""
    base: dict[str, object] = {
        "variant": PumpVariant.VALVE_GATED,
        "accuracy_factor": 0.968,
        "battery": BatteryConfig(
            capacity_mah=1400.0, quiescent_mah_per_day=0.3, life_cap_s=10 * SECONDS_PER_YEAR
        ),
    }
    base.update(overrides)
    return PumpConfig(**base)  # type: ignore[arg-type]


# A constant-flow pump has no battery: this one never drains, and nothing reports it (a century).
NO_BATTERY = BatteryConfig(
    capacity_mah=1.0,
    quiescent_mah_per_day=0.0,
    mah_per_ml=0.0,
    mah_per_telemetry_session=0.0,
    mah_per_alarm_tone=0.0,
    life_cap_s=100 * SECONDS_PER_YEAR,
    eri_warning_s=0.0,
)


def constant_flow_config(**overrides: object) -> PumpConfig:
    """The constant-flow class (Codman 3000, IsoMed, Tricumed): no battery, no motor, one factory
    rate (1 mL/day, a default) set by a propellant's drive through a capillary restrictor."""
    base: dict[str, object] = {
        "variant": PumpVariant.CONSTANT_FLOW,
        "reservoir_capacity_ml": 20.0,
        "battery": NO_BATTERY,
        "min_rate_ml_per_day": 0.1,
        "max_rate_ml_per_day": 6.0,
    }
    base.update(overrides)
    return PumpConfig(**base)  # type: ignore[arg-type]
