"""The virtual patient driven by the pump: the engine's closed form against a fine-step
integration of the same equation, exact sign onsets, the accidents, snapshots and bad input."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from patient_reference import rk4

from pumpsim import (
    CatheterDislodgement,
    CatheterOcclusion,
    Continuous,
    ErrorCode,
    FlexibleSchedule,
    HarmSeverity,
    MismatchedRefill,
    Mix,
    PatientBolusSettings,
    PatientRejectedError,
    Pump,
    PumpError,
    SignKind,
    Step,
    TherapyProgram,
)
from pumpsim.patient import parameters as pr
from pumpsim.patient import state as state_module
from pumpsim.patient.profile import MAX_COHORT, DrugResponse, PatientProfile, cohort, typical
from pumpsim.patient.state import PatientState
from pumpsim.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, days, hours

from builders import typical_morphine_pump_as_in_format_3

K_BACLOFEN = math.log(2) / pr.parameter("baclofen", "csf_half_life_s").value


def _pump(drug: str, conc: float, program: TherapyProgram, fill_ml: float = 20.0) -> Pump:
    pump = Pump()
    pump.withdraw_reservoir()
    pump.fill_reservoir(fill_ml, Mix.of(**{drug: conc}), program)
    pump.start_priming_bolus()
    pump.advance(hours(2))  # primed: the drug is at the tip
    return pump


class Spy:
    """Every stretch the engine hands the patient, as it was handed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[Any, ...]] = []
        carry = PatientState.carry

        def spy(state: PatientState, *args: Any) -> None:
            self.calls.append(args)
            carry(state, *args)

        monkeypatch.setattr(PatientState, "carry", spy)


def _rk4(exposure: float, k: float, inflow: Any, t0: float, t1: float, cuts: list[float]) -> float:
    """The reference: classical Runge-Kutta on E' = k (r(t) - E), 30-second steps, restarted at
    every change of r so each step sees a smooth inflow."""
    edges = sorted({t0, t1, *[c for c in cuts if t0 < c < t1]})
    for a, b in itertools.pairwise(edges):
        r = inflow((a + b) / 2)  # constant between two edges
        exposure = rk4(exposure, k, r, b - a, max(1, math.ceil((b - a) / 30.0)))
    return exposure


def _reference(calls: list[tuple[Any, ...]], column: int, scale: float, k: float) -> float:
    exposure = 1.0
    for t0, t1, per_ml, b, pulse, pulse_end, curve in calls:
        q = per_ml.get(column, 0.0) * scale

        def inflow(
            t: float,
            q: float = q,
            b: float = b,
            pulse: float = pulse,
            pulse_end: float = pulse_end,
            curve: Any = curve,
        ) -> float:
            rate = b + (pulse if t < pulse_end else 0.0)
            if curve is not None:
                rate += curve.rate_ml_s(t)
            return q * rate

        cuts = [pulse_end]
        if curve is not None:
            t = t0
            while t < t1:
                t = curve.next_change_s(t)
                cuts.append(t)
        exposure = _rk4(exposure, k, inflow, t0, t1, cuts)
    return exposure


RATES = st.sampled_from([0.1, 0.2, 0.3, 0.4, 0.6])


@st.composite
def programs(draw: st.DrawFn) -> TherapyProgram:
    bolus = PatientBolusSettings(0.02, 600.0, hours(2), 4)
    if draw(st.booleans()):
        return TherapyProgram(Continuous(draw(RATES)), bolus)
    a, b = draw(RATES), draw(RATES)
    split = draw(st.sampled_from([6, 8, 12, 18]))
    steps = (Step(0.0, hours(split), a), Step(hours(split), hours(24 - split), b))
    return TherapyProgram(FlexibleSchedule(steps), bolus)


@settings(max_examples=40)
@given(
    program=programs(),
    requests=st.lists(st.floats(0.0, days(3)), max_size=6),
    fault=st.sampled_from(["none", "dislodgement", "occlusion"]),
    baseline=st.floats(50.0, 400.0),
)
def test_the_engines_closed_form_agrees_with_fine_steps(
    program: TherapyProgram, requests: list[float], fault: str, baseline: float
) -> None:
    with pytest.MonkeyPatch.context() as mp:
        pump = _pump("morphine", 1000.0, program)
        pump.attach_patient(typical({"morphine": baseline}))
        spy = Spy(mp)
        start = pump.now_s
        if fault == "dislodgement":
            pump.inject(CatheterDislodgement(start + days(1)))
        elif fault == "occlusion":
            pump.inject(CatheterOcclusion(start + days(1), 0.3))
        for t in sorted(requests):
            pump.advance(start + t)
            pump.request_patient_bolus()
        pump.advance(start + days(3.5))
    view = pump.patient()
    assert view is not None
    k = math.log(2) / view.exposures[0].half_life_s
    want = _reference(spy.calls, 0, SECONDS_PER_DAY / baseline, k)
    assert view.exposures[0].exposure == pytest.approx(want, rel=1e-6, abs=1e-9)


def test_what_the_engine_hands_the_patient_is_the_mass_that_reached_the_csf(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    program = TherapyProgram(
        FlexibleSchedule((Step(0.0, hours(8), 0.5), Step(hours(8), hours(16), 0.2))),
        PatientBolusSettings(0.05, 600.0, hours(2), 4),
    )
    pump = _pump("morphine", 1000.0, program)
    pump.attach_patient(typical({"morphine": 300.0}))
    before = pump.physical().delivered_mcg["morphine"]
    spy = Spy(monkeypatch)
    for day in range(3):
        pump.advance(days(day) + hours(9))
        pump.request_patient_bolus()
    pump.advance(days(4))
    handed = 0.0
    for t0, t1, per_ml, b, pulse, pulse_end, curve in spy.calls:
        volume = b * (t1 - t0) + pulse * max(0.0, min(t1, pulse_end) - t0)
        if curve is not None:
            volume += curve.volume_ml(t0, t1)
        handed += per_ml.get(0, 0.0) * volume
    delivered = pump.physical().delivered_mcg["morphine"] - before
    assert handed == pytest.approx(delivered, rel=1e-9)


def test_nothing_delivered_decays_with_the_half_life_and_the_patient_adds_no_event() -> None:
    pump = _pump("baclofen", 500.0, TherapyProgram(Continuous(0.4)))
    bare = pump.clone()
    pump.attach_patient(typical({"baclofen": 200.0}))
    pump.inject(CatheterDislodgement(pump.now_s))
    bare.inject(CatheterDislodgement(bare.now_s))
    start = pump.now_s
    for n in (1, 2, 5):
        pump.advance(start + n * math.log(2) / K_BACLOFEN)
        bare.advance(start + n * math.log(2) / K_BACLOFEN)
        view = pump.patient()
        assert view is not None
        assert view.exposures[0].exposure == pytest.approx(0.5**n, rel=1e-9)
    pump.advance(start + days(3650))
    bare.advance(start + days(3650))
    assert pump.events_processed == bare.events_processed


def test_a_dislodged_baclofen_catheter_brings_withdrawal_after_the_onset_delay() -> None:
    pump = _pump("baclofen", 500.0, TherapyProgram(Continuous(0.4)))  # 200 mcg a day
    pump.attach_patient(typical({"baclofen": 200.0}))
    pump.advance(days(2))
    view = pump.patient()
    assert view is not None
    assert view.exposures[0].exposure == pytest.approx(1.0, rel=1e-9)
    at = pump.now_s
    pump.inject(CatheterDislodgement(at))
    pump.advance(at + days(8))
    view = pump.patient()
    assert view is not None
    changes = {(c.sign, c.severity): c.at_s for c in view.timeline}
    band_low = pr.parameter("baclofen", "band_low").value
    low = pr.parameter("baclofen", "withdrawal_level").value
    onset = pr.parameter("baclofen", "withdrawal_onset_s").value
    serious = pr.parameter("baclofen", "withdrawal_serious_after_s").value
    assert changes[(SignKind.LOSS_OF_EFFECT, HarmSeverity.MILD)] == pytest.approx(
        at + math.log(1 / band_low) / K_BACLOFEN, abs=1e-3
    )
    mild = at + math.log(1 / low) / K_BACLOFEN + onset
    assert changes[(SignKind.WITHDRAWAL, HarmSeverity.MILD)] == pytest.approx(mild, abs=1e-3)
    assert changes[(SignKind.WITHDRAWAL, HarmSeverity.SERIOUS)] == pytest.approx(
        mild + serious, abs=1e-3
    )
    assert view.worst is HarmSeverity.LIFE_THREATENING
    assert {s.sign for s in view.signs_now} == {SignKind.LOSS_OF_EFFECT, SignKind.WITHDRAWAL}


def test_ziconotide_can_be_stopped_abruptly_without_withdrawal() -> None:
    pump = _pump("ziconotide", 25.0, TherapyProgram(Continuous(0.09)))
    pump.attach_patient(typical({"ziconotide": 2.25}))
    pump.inject(CatheterDislodgement(pump.now_s))
    pump.advance(pump.now_s + days(10))
    view = pump.patient()
    assert view is not None
    assert {c.sign for c in view.timeline} == {SignKind.LOSS_OF_EFFECT}


def test_a_refill_at_twice_the_entered_concentration_is_toxic_while_the_pump_believes_it() -> None:
    pump = _pump("morphine", 1000.0, TherapyProgram(Continuous(0.5)))
    pump.attach_patient(typical({"morphine": 500.0}))
    pump.advance(days(10))
    pump.inject(MismatchedRefill(pump.now_s, concentration_factor=2.0))
    pump.withdraw_reservoir()
    pump.fill_reservoir(20.0, Mix.of(morphine=1000.0))
    filled = pump.now_s
    assert pump.status().mix == Mix.of(morphine=1000.0)  # what it was told
    before = pump.physical().delivered_mcg["morphine"]
    pump.advance(filled + days(2))
    delivered = pump.physical().delivered_mcg["morphine"] - before
    assert delivered > 1.5 * 500.0 * 2  # well over the entered 500 a day
    view = pump.patient()
    assert view is not None
    toxic = [c for c in view.timeline if c.sign is SignKind.TOXICITY and c.severity]
    assert toxic
    assert filled < toxic[0].at_s < filled + hours(24)


def test_another_drug_in_the_syringe_is_a_drug_the_patient_never_had() -> None:
    pump = _pump("baclofen", 500.0, TherapyProgram(Continuous(0.4)))
    pump.attach_patient(typical({"baclofen": 200.0}))
    pump.inject(MismatchedRefill(pump.now_s, drug="morphine", concentration_mcg_per_ml=1000.0))
    pump.withdraw_reservoir()
    pump.fill_reservoir(20.0, Mix.of(baclofen=500.0))
    pump.advance(pump.now_s + days(7))
    view = pump.patient()
    assert view is not None
    signs = {(c.drug, c.sign) for c in view.timeline if c.severity}
    assert ("morphine", SignKind.UNEXPECTED_DRUG) in signs
    assert ("baclofen", SignKind.WITHDRAWAL) in signs


def test_snapshot_and_restore_carry_the_patient_exactly_and_format_2_still_loads() -> None:
    pump = _pump("baclofen", 500.0, TherapyProgram(Continuous(0.4)))
    pump.attach_patient(typical({"baclofen": 200.0}))
    pump.inject(CatheterDislodgement(pump.now_s + days(1)))
    pump.advance(days(4))
    copy = Pump.restore(pump.snapshot())
    assert copy.patient() == pump.patient()
    for p in (pump, copy):
        p.advance(days(9))
    assert copy.patient() == pump.patient()
    assert copy.patient_samples() == pump.patient_samples()

    # A new pump as pumpsim 0.2.0 wrote it (the file was written by that code, see
    # tests/pumpsim/data/README.md).
    restored = Pump.restore((Path(__file__).parent / "data" / "pump-format-2.snap").read_bytes())
    assert restored.patient() is None
    assert restored.status() == Pump().status()


def test_a_format_4_snapshot_patient_goes_on_as_it_would_have() -> None:
    """Format 4 kept the envelope's bounds, not the per-step check that 5 keeps: a patient from
    it has them worked out again. The file was written by commit f8026c3 (data/README.md)."""
    old = Pump.restore((Path(__file__).parent / "data" / "pump-format-4.snap").read_bytes())
    same = typical_morphine_pump_as_in_format_3()
    assert old.patient() == same.patient()
    for p in (old, same):
        p.advance(p.now_s + days(2))
        p.withdraw_reservoir()  # nothing flows: exposure decays, then withdrawal begins
        p.advance(p.now_s + days(3))
    now, then = old.patient(), same.patient()
    assert now is not None
    assert then is not None
    assert [(c.at_s, c.sign, c.severity) for c in now.timeline] == [
        (c.at_s, c.sign, c.severity) for c in then.timeline
    ]
    assert any(c.sign.value == "withdrawal" for c in now.timeline)
    for a, b in zip(now.exposures, then.exposures, strict=True):
        assert a.exposure == pytest.approx(b.exposure, rel=1e-12)


@pytest.mark.parametrize(
    ("profile", "words"),
    [
        (typical({"aspirin": 100.0}), "unknown drug"),
        (typical({"morphine": 0.0}), "above zero"),
        (typical({"morphine": -5.0}), "above zero"),
        (typical({"morphine": math.nan}), "above zero"),
        (PatientProfile("p", ()), "at least one drug"),
        (PatientProfile("p", (DrugResponse("morphine", 1.0, 0.0),)), "half_life_s"),
    ],
)
def test_a_patient_it_cannot_take_is_refused_with_a_code_and_changes_nothing(
    profile: PatientProfile, words: str
) -> None:
    pump = _pump("morphine", 1000.0, TherapyProgram(Continuous(0.5)))
    pump.attach_patient(typical({"morphine": 500.0}))
    before = pump.snapshot()
    with pytest.raises(PatientRejectedError, match=words) as e:
        pump.attach_patient(profile)
    assert e.value.code is ErrorCode.PATIENT_REJECTED
    assert pump.snapshot() == before


@pytest.mark.parametrize("size", [0, -1, MAX_COHORT + 1, True])
def test_a_cohort_outside_1_to_1000_is_refused(size: int) -> None:
    with pytest.raises(PatientRejectedError, match="1-1000"):
        cohort({"morphine": 100.0}, size, seed=1)


def test_a_mismatch_naming_a_drug_the_library_lacks_is_refused() -> None:
    pump = _pump("morphine", 1000.0, TherapyProgram(Continuous(0.5)))
    before = pump.snapshot()
    with pytest.raises(PumpError, match="not in the library") as e:
        pump.inject(MismatchedRefill(pump.now_s, drug="aspirin", concentration_mcg_per_ml=1.0))
    assert e.value.code is ErrorCode.FAULT_REJECTED
    assert pump.snapshot() == before


@given(seed=st.integers(0, 2**32), size=st.integers(1, 40))
def test_a_cohort_is_the_same_for_the_same_seed_and_stays_in_the_published_ranges(
    seed: int, size: int
) -> None:
    people = cohort({"baclofen": 200.0, "morphine": 1000.0}, size, seed)
    assert people == cohort({"baclofen": 200.0, "morphine": 1000.0}, size, seed)
    assert len({p.label for p in people}) == size
    for person in people:
        person.check(("baclofen", "morphine"))
        for d in person.drugs:
            hl = pr.parameter(d.drug, "csf_half_life_s")
            assert hl.low <= d.half_life_s <= hl.high
            sens = pr.parameter(d.drug, "sensitivity")
            assert sens.low <= d.sensitivity <= sens.high
            if d.drug == "baclofen":
                onset = pr.parameter("baclofen", "withdrawal_onset_s")
                assert d.withdrawal_onset_s is not None
                assert onset.low <= d.withdrawal_onset_s <= onset.high


def test_every_parameter_has_a_source_or_says_default() -> None:
    for row in pr.TABLE:
        assert row.source, row
        assert row.low <= row.value <= row.high, row
    assert not pr.parameter("morphine", "csf_half_life_s").is_default
    assert pr.parameter("fentanyl", "csf_half_life_s").is_default
    assert pr.parameter("baclofen", "withdrawal_onset_s").low == SECONDS_PER_HOUR * 12


def test_the_readme_prints_the_parameter_table_as_the_code_holds_it() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for row in pr.TABLE:
        if row.unit == "s":
            value = f"{row.value / 3600:g} h ({row.low / 3600:g}-{row.high / 3600:g})"
        elif row.low != row.high:
            value = f"{row.value:g} ({row.low:g}-{row.high:g})"
        else:
            value = f"{row.value:g}"
        drug = "every drug" if row.drug == pr.ANY_DRUG else row.drug
        assert f"| {drug} | `{row.name}` | {value} | {row.source} |" in readme, row


def _never_quiet(track: Any, *_args: Any) -> bool:
    return False


def _no_envelope(track: Any, g: Any) -> None:
    # No deviation is ever clear: every stretch goes to the exact walk.
    track.steps = tuple((at, -math.inf, math.inf, 0.0, math.inf, -math.inf) for at in g.bounds)
    track.quiet = False


@settings(max_examples=40)
@given(
    program=programs(),
    requests=st.lists(st.floats(0.0, days(3)), max_size=6),
    fault=st.sampled_from(["none", "dislodgement", "occlusion", "double"]),
    baseline=st.floats(50.0, 400.0),
)
def test_the_shortcuts_tell_the_same_story_as_the_exact_walk(
    program: TherapyProgram, requests: list[float], fault: str, baseline: float
) -> None:
    """The envelope and the boundary check may skip a stretch only when no level is crossed in
    it: with both switched off (every stretch walked piece by piece, each crossing solved) the
    signs, their times and the exposure are the same."""

    def life() -> Pump:
        pump = _pump("morphine", 1000.0, program)
        pump.attach_patient(typical({"morphine": baseline}))
        start = pump.now_s
        if fault == "dislodgement":
            pump.inject(CatheterDislodgement(start + days(1)))
        elif fault == "occlusion":
            pump.inject(CatheterOcclusion(start + days(1), 0.3))
        elif fault == "double":
            pump.inject(MismatchedRefill(start, concentration_factor=2.0))
            pump.withdraw_reservoir()
            pump.fill_reservoir(20.0, Mix.of(morphine=1000.0))
        for t in sorted(requests):
            pump.advance(start + t)
            pump.request_patient_bolus()
        pump.advance(start + days(4))
        return pump

    quick = life()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(state_module, "_quietly", _never_quiet)
        mp.setattr(state_module, "_envelope", _no_envelope)
        walked = life()
    a, b = quick.patient(), walked.patient()
    assert a is not None
    assert b is not None
    assert [(c.sign, c.severity) for c in a.timeline] == [(c.sign, c.severity) for c in b.timeline]
    for x, y in zip(a.timeline, b.timeline, strict=True):
        assert x.at_s == pytest.approx(y.at_s, abs=1e-3)
    assert a.exposures[0].exposure == pytest.approx(b.exposures[0].exposure, rel=1e-9, abs=1e-12)


def test_an_opioid_increase_lowers_its_toxicity_levels_for_72_hours_and_baclofens_do_not() -> None:
    risk = pr.parameter("morphine", "early_risk_s").value
    for drug, conc in (("morphine", 1000.0), ("baclofen", 500.0)):
        pump = _pump(drug, conc, TherapyProgram(Continuous(0.5)))
        pump.attach_patient(typical({drug: 0.5 * conc}))
        pump.advance(days(3))
        raised = pump.now_s
        pump.set_program(TherapyProgram(Continuous(0.8)), override_soft_limits=True)  # 1.6x
        pump.advance(raised + days(6))
        view = pump.patient()
        assert view is not None
        toxic = [c for c in view.timeline if c.sign is SignKind.TOXICITY]
        if drug == "baclofen":
            assert toxic == []  # 1.6x stays under its levels
            continue
        assert [c.severity for c in toxic] == [HarmSeverity.MILD, HarmSeverity.NONE]
        assert raised < toxic[0].at_s < raised + hours(12)
        assert toxic[1].at_s == pytest.approx(raised + risk, abs=1e-6)  # the window closes
