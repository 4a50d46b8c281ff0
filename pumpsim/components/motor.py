"""The motor and MRI state: what stops the rotor, and when it may turn again.

A magnet stalls the rotor for a scan; recovery lags (default 2 h) and a pump that alarmed during
the scan waits for an interrogation. Faults stall it too, for a while or for good.
"""

from __future__ import annotations

import math

from pumpsim.domain.status import MriPhase


class Motor:
    __slots__ = ("mri", "mri_alarmed", "mri_exited_at_s", "mri_resume_at_s", "stall_until_s")

    def __init__(self) -> None:
        self.stall_until_s = -math.inf
        self.mri = MriPhase.OFF
        self.mri_exited_at_s = -math.inf
        self.mri_resume_at_s = math.inf
        self.mri_alarmed = False

    def blocked(self, now: float) -> bool:
        return now < self.stall_until_s or self.mri is not MriPhase.OFF
