"""The virtual patient over the wire (protocol 3): only the simulator role attaches and reads it,
a patient the model cannot take is refused with its code, and a restart keeps it."""

from __future__ import annotations

import pytest

from firmware_protocol.client.errors import DeviceError
from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.wire import messages as m
from pumpsim import CatheterDislodgement, Continuous, Mix, TherapyProgram
from pumpsim.patient.profile import cohort, typical
from pumpsim.units import days

from protocol_helpers import Bench, bench


def _filled(b: Bench) -> PumpClient:
    sim = b.client(m.Role.SIMULATOR)
    sim.refill_withdraw()
    sim.refill_fill(20.0, Mix.of(baclofen=500.0), TherapyProgram(Continuous(0.4)))
    sim.priming_bolus()
    return sim


def test_the_simulator_attaches_a_patient_and_reads_its_withdrawal() -> None:
    with bench() as b:
        sim = _filled(b)
        assert sim.sim_patient().attached is False
        sim.sim_attach_patient(typical({"baclofen": 200.0}))
        sim.sim_advance(days(1))
        report = sim.sim_patient()
        assert report.attached
        assert report.exposures[0].drug == "baclofen"
        assert report.exposures[0].exposure == pytest.approx(1.0, abs=0.05)
        sim.sim_inject_fault(CatheterDislodgement(b.firmware.pump.now_s))
        sim.sim_advance(days(5))
        report = sim.sim_patient()
        assert report.worst in ("serious", "life-threatening")
        assert {s.sign for s in report.signs_now} == {"loss_of_effect", "withdrawal"}
        assert report.timeline_total == len(report.timeline)
        # The same story the model tells, word for word.
        view = b.firmware.pump.patient()
        assert view is not None
        assert [(c.sign, c.severity.label) for c in view.timeline] == [
            (c.sign, c.severity) for c in report.timeline
        ]


def test_a_clinician_cannot_see_or_attach_the_patient() -> None:
    with bench() as b:
        _filled(b).sim_attach_patient(typical({"baclofen": 200.0}))
        clinician = b.client(m.Role.CLINICIAN)
        for ask in (
            clinician.sim_patient,
            lambda: clinician.sim_attach_patient(typical({"baclofen": 1.0})),
        ):
            with pytest.raises(DeviceError) as refused:
                ask()
            assert refused.value.code == "ROLE_FORBIDDEN"


def test_a_version_2_session_does_not_know_the_patient_messages() -> None:
    with bench() as b:
        base = b.client(m.Role.SIMULATOR, connect=False)
        old = PumpClient(base.port, base.key, monotonic=b.sim.monotonic, protocol_version=2)
        old.connect()
        with pytest.raises(DeviceError) as refused:
            old.sim_patient()
        assert refused.value.code == "UNKNOWN_MESSAGE"


@pytest.mark.parametrize("baselines", [{"aspirin": 100.0}, {"baclofen": 0.0}, {"baclofen": -1.0}])
def test_a_patient_the_model_cannot_take_is_refused_with_its_code(
    baselines: dict[str, float],
) -> None:
    with bench() as b:
        sim = _filled(b)
        with pytest.raises(DeviceError) as refused:
            sim.sim_attach_patient(typical(baselines))
        assert refused.value.code == "PATIENT_REJECTED"
        assert sim.sim_patient().attached is False


def test_the_patient_survives_a_restart_exactly() -> None:
    with bench() as b:
        sim = _filled(b)
        sim.sim_attach_patient(typical({"baclofen": 200.0}))
        sim.sim_inject_fault(CatheterDislodgement(b.firmware.pump.now_s + days(1)))
        sim.sim_advance(days(3))
        before = b.firmware.pump.patient()
        b.restart()
        assert b.firmware.pump.patient() == before


def test_a_cohort_attached_at_once_is_read_patient_by_patient() -> None:
    with bench() as b:
        sim = _filled(b)
        people = cohort({"baclofen": 200.0}, 3, seed=7)
        sim.sim_attach_patient(*people)
        sim.sim_advance(days(1))
        reports = [sim.sim_patient(i) for i in range(4)]
        assert [r.label for r in reports[:3]] == [p.label for p in people]
        assert all(r.patients == 3 for r in reports)
        assert reports[3].attached is False
