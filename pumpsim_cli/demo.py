"""`pumpsim demo`: a short tour of the model, printed as a clinic would read it.

Every figure below is illustrative, chosen to show the simulator's behaviour; none is dosing advice.
"""

from __future__ import annotations

import argparse
from typing import Any

from pumpsim import (
    CatheterOcclusion,
    FlexibleSchedule,
    LogKind,
    Mix,
    PatientBolusSettings,
    Pump,
    PumpConfig,
    Step,
    TherapyProgram,
    dose_to_rate,
)
from pumpsim.units import SECONDS_PER_DAY, days, hours, minutes

_MRI_KINDS = (
    LogKind.MRI_ENTERED,
    LogKind.MRI_EXITED,
    LogKind.INTERROGATED,
    LogKind.MOTOR_STALL,
    LogKind.MOTOR_STALL_RECOVERY,
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="run a short demonstration of the simulated pump")
    p.set_defaults(run=run)


def _when(t_s: float) -> str:
    d, rest = divmod(t_s, SECONDS_PER_DAY)
    return f"day {int(d):>3} {int(rest // 3600):02d}:{int(rest % 3600 // 60):02d}"


def _show(pump: Pump, title: str) -> None:
    st = pump.status()
    proj = pump.projections()
    truth = pump.physical()
    print(f"\n== {title} ({_when(st.at_s)})")
    print(f"   mix {st.mix.describe(pump.library)}; motor {st.motor}; MRI {st.mri}")
    print(
        f"   reservoir {st.reservoir_ml:6.2f} mL by the pump's reckoning, "
        f"{truth.reservoir_ml:6.2f} mL really"
    )
    print(f"   battery {st.battery_mah:7.1f} of {st.battery_capacity_mah:.0f} mAh")
    if proj.low_reservoir_at_s is not None and proj.low_reservoir_at_s > st.at_s:
        print(f"   low-reservoir alarm projected for {_when(proj.low_reservoir_at_s)}")
    if proj.eri_at_s is not None:
        print(
            f"   battery replacement (ERI) projected for day {proj.eri_at_s / SECONDS_PER_DAY:.0f}"
        )
    for alarm in st.alarms:
        print(f"   ALARM {alarm.severity.upper():12} {alarm.kind} since {_when(alarm.raised_at_s)}")
    mcg = truth.delivered_mcg.get("morphine", 0.0)
    print(f"   delivered to the spine so far: {truth.delivered_ml:.3f} mL, {mcg / 1000:.2f} mg")


def run(_args: argparse.Namespace) -> int:
    print("pumpsim demo: a simulator for engineering, testing and training; not a medical device.")
    print("All figures are illustrative, not dosing advice.")
    pump = Pump(PumpConfig(reservoir_capacity_ml=20.0))
    concentration = 10_000.0  # mcg/mL
    day_rate = dose_to_rate(3_000.0, concentration, pump.config.rate_resolution_ml_per_day)
    night_rate = dose_to_rate(2_000.0, concentration, pump.config.rate_resolution_ml_per_day)
    program = TherapyProgram(
        FlexibleSchedule(
            (
                Step(0.0, hours(7), night_rate.rate_ml_per_day),
                Step(hours(7), hours(15), day_rate.rate_ml_per_day),
                Step(hours(22), hours(2), night_rate.rate_ml_per_day),
            )
        ),
        PatientBolusSettings(0.01, minutes(10), hours(3), 4),
        low_reservoir_alarm_ml=2.0,
    )
    pump.fill_reservoir(20.0, Mix.of(morphine=concentration), program)
    pump.start_priming_bolus()
    _show(pump, "implanted, filled, priming the catheter")

    for day in range(30):
        for hour in (9, 14, 19):
            pump.advance(days(day) + hours(hour))
            pump.request_patient_bolus()
    pump.advance(days(30))
    pump.interrogate()
    _show(pump, "one month on: three patient bolus requests a day")

    pump.inject(CatheterOcclusion(onset_s=days(35), delivered_fraction=0.5))
    pump.advance(days(50))
    result = pump.withdraw_reservoir()
    print(
        f"\n== refill at {_when(pump.now_s)}: withdrew {result.withdrawn_ml:.2f} mL, "
        f"expected {result.expected_ml:.2f} mL -> {result.verdict}"
    )
    pump.fill_reservoir(20.0, Mix.of(morphine=concentration))
    _show(pump, "after the refill (the partial occlusion is still there)")

    pump.enter_mri_safe_mode()
    pump.advance(pump.now_s + hours(1))
    pump.exit_mri_safe_mode()
    pump.advance(pump.now_s + hours(3))
    pump.interrogate()
    recovery = pump.log.of_kind(*_MRI_KINDS)
    print("\n== MRI (an alarm was latched, so the pump waited to be interrogated):")
    for record in recovery[-5:]:
        print(f"   {_when(record.at_s)}  {record.kind}")

    pump.advance(days(150))
    _show(pump, "months later, nobody refilled")
    print(f"\n{len(pump.log)} log records; the last five:")
    for record in list(pump.log)[-5:]:
        details = ", ".join(f"{k}={v}" for k, v in record.details.items())
        print(f"   {_when(record.at_s)}  {record.kind}  {details}")
    return 0
