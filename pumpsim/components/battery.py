"""The battery: charge, age, and the replacement and end-of-service points.

Physics only: it drains with time, with volume pumped and with telemetry, and says when a point is
reached; `settle` turns that into log records and alarms. ERI comes 90 days (default) before the
battery would run out under the current program's average drain, or before the life cap.
"""

from __future__ import annotations

from pumpsim.domain.config import BatteryConfig


class Battery:
    __slots__ = ("age_s", "avg_drain_mah_s", "charge_mah", "config", "eos_at_s", "eri_at_s")

    def __init__(self, config: BatteryConfig) -> None:
        self.config = config
        self.charge_mah = config.capacity_mah
        self.age_s = config.initial_age_s
        self.eri_at_s: float | None = None
        self.eos_at_s: float | None = None
        self.avg_drain_mah_s = 0.0

    def set_average_rate(self, avg_rate_ml_per_day: float) -> None:
        """The drain ERI is judged by: quiescent plus the program's average volume."""
        c = self.config
        self.avg_drain_mah_s = (
            c.quiescent_mah_per_day + c.mah_per_ml * avg_rate_ml_per_day
        ) / 86_400

    def drain(self, dt_s: float, commanded_ml: float, fixed_mah_s: float) -> None:
        drained = fixed_mah_s * dt_s + self.config.mah_per_ml * commanded_ml
        self.charge_mah = self.charge_mah - drained if drained < self.charge_mah else 0.0
        self.age_s += dt_s

    def telemetry_session(self) -> None:
        self.charge_mah = max(0.0, self.charge_mah - self.config.mah_per_telemetry_session)

    @property
    def eri_reserve_mah(self) -> float:
        """Charge left when ERI is due by charge: the warning period at the average drain."""
        return self.config.eri_warning_s * self.avg_drain_mah_s

    def eri_due(self, tol_mah: float, eps_s: float) -> bool:
        c = self.config
        by_age = c.life_cap_s - self.age_s - c.eri_warning_s <= eps_s
        return by_age or self.charge_mah - self.eri_reserve_mah <= tol_mah

    def eos_due(self, now: float, tol_mah: float, eps_s: float) -> bool:
        c = self.config
        return (
            self.charge_mah <= tol_mah
            or c.life_cap_s - self.age_s <= eps_s
            or (self.eri_at_s is not None and now >= self.eri_at_s + c.eri_warning_s - eps_s)
        )
