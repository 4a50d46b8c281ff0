"""The one place a change of state becomes a log record or a latched alarm.

Physics components report what happened; these functions write it down the way the device does,
so that a bolus cut short or an alarm raised reads the same whichever command or event caused it.
"""

from __future__ import annotations

from pumpsim.domain.alarms import AlarmKind
from pumpsim.domain.eventlog import LogKind
from pumpsim.domain.status import MriPhase
from pumpsim.engine.core import Core
from pumpsim.units import SECONDS_PER_DAY


def raise_alarm(c: Core, kind: AlarmKind) -> None:
    if c.config.is_constant_flow:
        return  # no electronics, no alarm: a constant-flow pump runs dry in silence
    if not c.alarms.latch(kind, c.now):
        return
    c.ledger.log.append(c.now, LogKind.ALARM_RAISED, alarm=kind, severity=kind.severity)
    if c.motor.mri is MriPhase.SCANNING:
        c.motor.mri_alarmed = True
    c.dirty = True  # the alarm tone drains the battery


def abort_boluses(c: Core, reason: str) -> None:
    for b in c.bol.take_all():
        given = b.rate_ml_per_day * (c.now - b.started_at_s) / SECONDS_PER_DAY
        c.ledger.log.append(
            c.now,
            LogKind.BOLUS_ABORTED,
            kind=b.kind,
            volume_ml=b.volume_ml,
            given_ml=given,
            reason=reason,
        )
    c.dirty = True
