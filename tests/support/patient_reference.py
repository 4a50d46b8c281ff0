"""The tests' reference for the virtual patient's kinetics: classical Runge-Kutta on
E' = k (r - E), in small fixed steps, as far from the model's closed form as a check can be."""

from __future__ import annotations


def rk4(exposure: float, k: float, r: float, duration_s: float, steps: int) -> float:
    """Exposure after `duration_s` of constant relative inflow `r`, in `steps` equal steps."""
    h = duration_s / steps
    for _ in range(steps):
        k1 = k * (r - exposure)
        k2 = k * (r - (exposure + h * k1 / 2))
        k3 = k * (r - (exposure + h * k2 / 2))
        k4 = k * (r - (exposure + h * k3))
        exposure += h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return exposure
