"""Small builders for tests: a filled, primed pump on a simple program in one call."""

from __future__ import annotations

from pumpsim import (
    Continuous,
    FlexibleSchedule,
    Mix,
    PatientBolusSettings,
    Pump,
    PumpConfig,
    Step,
    TherapyProgram,
)
from pumpsim.units import days, hours, minutes

MORPHINE_10 = Mix.of(morphine=10_000.0)  # 10 mg/mL


def continuous(rate_ml_per_day: float = 0.5, **kw: object) -> TherapyProgram:
    return TherapyProgram(Continuous(rate_ml_per_day), **kw)  # type: ignore[arg-type]


def day_night(day: float = 0.6, night: float = 0.3) -> FlexibleSchedule:
    return FlexibleSchedule(
        (
            Step(0.0, hours(8), night),
            Step(hours(8), hours(14), day),
            Step(hours(22), hours(2), night),
        )
    )


def patient_bolus(
    volume_ml: float = 0.02, lockout_h: float = 3.0, max_per_24h: int = 4
) -> PatientBolusSettings:
    return PatientBolusSettings(volume_ml, minutes(10), hours(lockout_h), max_per_24h)


def filled_pump(
    program: TherapyProgram | None = None,
    mix: Mix = MORPHINE_10,
    volume_ml: float = 20.0,
    config: PumpConfig | None = None,
    prime: bool = True,
) -> Pump:
    """A pump filled with `mix`, running `program`; primed so drug sits at the catheter tip."""
    pump = Pump(config)
    pump.fill_reservoir(volume_ml, mix, program if program is not None else continuous())
    if prime:
        priming = pump.start_priming_bolus()
        pump.advance(priming.ends_at_s)
    return pump


def typical_morphine_pump_as_in_format_3() -> Pump:
    """The pump that tests/pumpsim/data/pump-format-3.snap holds, built by today's code."""
    from pumpsim.patient.profile import typical

    p = Pump()
    schedule = FlexibleSchedule((Step(0, hours(8), 0.3), Step(hours(8), hours(16), 0.6)))
    p.fill_reservoir(20.0, Mix.of(morphine=1000.0), TherapyProgram(schedule))
    p.attach_patient(typical({"morphine": 450.0}))
    p.advance(days(3) + hours(5))
    return p
