"""Boluses in progress and the patient-bolus memory (lockout and 24-hour cap).

One clinician, priming or bridge bolus at a time, or one patient bolus on top of the basal rate.
The grant times are what the handheld's limits are judged against, so they are kept for 24 hours.
"""

from __future__ import annotations

from collections import deque

from pumpsim.domain.program import BolusKind, PatientBolusSettings
from pumpsim.domain.status import ActiveBolus, PatientBolusOutcome
from pumpsim.units import SECONDS_PER_DAY


class Boluses:
    __slots__ = ("clinician", "grants", "patient")

    def __init__(self) -> None:
        self.clinician: ActiveBolus | None = None
        self.patient: ActiveBolus | None = None
        self.grants: deque[float] = deque()

    @property
    def running(self) -> bool:
        return self.clinician is not None or self.patient is not None

    def take_all(self) -> tuple[ActiveBolus, ...]:
        """End every bolus now; return those that were running."""
        running = tuple(b for b in (self.clinician, self.patient) if b is not None)
        self.clinician = None
        self.patient = None
        return running

    def judge_request(
        self, now: float, settings: PatientBolusSettings | None, infusing: bool
    ) -> PatientBolusOutcome:
        grants = self.grants
        while grants and grants[0] <= now - SECONDS_PER_DAY:
            grants.popleft()
        if settings is None:
            return PatientBolusOutcome.DENIED_NOT_PROGRAMMED
        if not infusing:
            return PatientBolusOutcome.DENIED_NOT_INFUSING
        if self.running:
            return PatientBolusOutcome.DENIED_BOLUS_ACTIVE
        if grants and now - grants[-1] < settings.lockout_s:
            return PatientBolusOutcome.DENIED_LOCKOUT
        if len(grants) >= settings.max_per_24h:
            return PatientBolusOutcome.DENIED_MAX_PER_24H
        return PatientBolusOutcome.GRANTED

    def availability(
        self, now: float, settings: PatientBolusSettings | None
    ) -> tuple[float | None, int]:
        """(when the next request can be granted at the earliest, grants left in the 24 hours
        from now), as the patient's handheld shows them; (None, 0) when none are programmed.
        Only the patient-bolus limits: the basal state (stopped, MRI) is the status's to say."""
        if settings is None:
            return None, 0
        window = [g for g in self.grants if g > now - SECONDS_PER_DAY]
        left = max(0, settings.max_per_24h - len(window))
        earliest = now
        if window:
            earliest = max(earliest, window[-1] + settings.lockout_s)
        if left == 0 and window:
            earliest = max(earliest, window[-settings.max_per_24h] + SECONDS_PER_DAY)
        if self.running:
            ends = [b.ends_at_s for b in (self.clinician, self.patient) if b is not None]
            earliest = max(earliest, *ends)
        return earliest, left

    def grant(self, now: float, settings: PatientBolusSettings) -> ActiveBolus:
        self.grants.append(now)
        self.patient = ActiveBolus(
            BolusKind.PATIENT,
            settings.volume_ml,
            settings.rate_ml_per_day,
            now,
            now + settings.duration_s,
        )
        return self.patient
