"""The virtual patient in scenarios: the lessons' consequences (a missed baclofen refill and its
in-time twin, a refill at twice the entered concentration), a cohort's verdict in every output,
and a [patient] table the runner cannot take refused with its line and code."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pumpsim.patient import parameters as pr
from pumpsim.units import SECONDS_PER_DAY
from pumpsim_cli.main import main as cli
from pumpsim_scenarios.files import library, spec
from pumpsim_scenarios.running import runner


def _one(name: str) -> runner.ScenarioResult:
    (scenario,) = spec.load(library.resolve(name))
    return runner.run(scenario)


def test_a_missed_baclofen_refill_brings_withdrawal_inside_the_onset_window() -> None:
    result = _one("baclofen-refill-missed")
    assert result.passed, [e.message for e in result.expectations]
    (patient,) = result.patients
    signs = patient["signs"]
    lost = next(s["day"] for s in signs if s["sign"] == "loss_of_effect")
    withdrawal = next(s["day"] for s in signs if s["sign"] == "withdrawal")
    onset = pr.parameter("baclofen", "withdrawal_onset_s")
    # Exposure falls from the therapy band to the withdrawal level in well under a day; the
    # onset delay runs from there, so withdrawal begins within the window after the loss.
    assert lost + onset.low / SECONDS_PER_DAY <= withdrawal
    assert withdrawal <= lost + 1 + onset.high / SECONDS_PER_DAY
    assert patient["worst"] == "life-threatening"
    assert any("withdrawal (baclofen), mild from day" in line for line in patient["story"])


def test_its_in_time_twin_shows_no_sign_at_all() -> None:
    result = _one("baclofen-refill-in-time")
    assert result.passed, [e.message for e in result.expectations]
    (patient,) = result.patients
    assert patient["signs"] == []
    assert patient["harmed"] is False
    assert result.cohort["verdict"].startswith("harmed 0 of 1")


def test_a_refill_at_twice_the_entered_concentration_is_toxic() -> None:
    result = _one("morphine-double-concentration")
    assert result.passed, [e.message for e in result.expectations]
    (patient,) = result.patients
    toxic = [s for s in patient["signs"] if s["sign"] == "toxicity" and s["severity"] != "none"]
    assert toxic
    assert 5.0 < toxic[0]["day"] < 7.0
    assert patient["exposure_final"]["morphine"] > 1.8


def test_a_30_patient_cohort_says_harmed_n_of_30_in_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("jinja2", reason="the HTML report needs the report extra")
    pytest.importorskip("matplotlib", reason="the HTML report needs the report extra")
    out = {k: tmp_path / f"r.{k}" for k in ("json", "xml", "html")}
    code = cli(
        [
            "scenario", "run", "mri-baclofen", "--quiet", "--workers", "1",
            "--json", str(out["json"]), "--junit", str(out["xml"]), "--html", str(out["html"]),
        ]
    )  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    report = json.loads(out["json"].read_text())
    verdicts = [r["cohort"]["verdict"] for r in report["results"]]
    assert len(verdicts) == 2
    for verdict in verdicts:
        assert verdict.startswith("harmed ")
        assert " of 30; worst patient-" in verdict
        assert verdict in text
        assert verdict in out["html"].read_text()
    outs = [e.text or "" for e in ET.parse(out["xml"]).getroot().iter("system-out")]
    assert sorted(f"virtual patient: {v}" for v in verdicts) == sorted(outs)
    for r in report["results"]:
        assert len(r["patients"]) == 30
        assert r["cohort"]["harmed"] == sum(p["harmed"] for p in r["patients"])
    assert report["summary"]["virtual_patients"] == 60


def test_the_same_seed_draws_the_same_cohort_and_the_same_outcomes() -> None:
    (a, b) = spec.load(library.resolve("mri-baclofen"))
    assert runner.run(a).as_dict() == runner.run(a).as_dict()
    assert [p["label"] for p in runner.run(b).patients] == [
        p["label"] for p in runner.run(a).patients
    ]


BASE = """\
[scenario]
name = "t"
duration_days = 2

[initial]
drug = "baclofen"
concentration_mcg_per_ml = 500
fill_ml = 20
program = { mode = "continuous", dose_mcg_per_day = 200 }
"""


@pytest.mark.parametrize(
    ("extra", "line", "says"),
    [
        ("[patient]\nbaselines = { aspirin = 100 }\n", 12, "PATIENT_REJECTED: unknown drug"),
        ("[patient]\nbaseline_mcg_per_day = 0\n", 12, "PATIENT_REJECTED: baseline_mcg_per_day"),
        ("[patient]\nbaseline_mcg_per_day = -3\n", 12, "must be a number above zero"),
        ("[patient]\ncohort = 0\n", 12, "cohort must be a whole number in 1-1000"),
        ("[patient]\ncohort = 1001\n", 12, "cohort must be a whole number in 1-1000"),
        ("[patient]\nweight_kg = 70\n", 12, "unknown key 'weight_kg'"),
        ('[[expect]]\nkind = "harm"\nat_most = "none"\n', 11, "needs a [patient] table"),
        ('[patient]\n[[expect]]\nkind = "harm"\nat_most = "awful"\n', 12, "unknown severity"),
        ('[patient]\n[[expect]]\nkind = "sign"\nsign = "rash"\n', 12, "unknown sign 'rash'"),
    ],
)
def test_a_patient_the_runner_cannot_take_names_its_line(
    tmp_path: Path, extra: str, line: int, says: str
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(BASE + "\n" + extra)
    with pytest.raises(spec.ScenarioError) as e:
        spec.load(path)
    assert e.value.line == line, str(e.value)
    assert says in e.value.message


def test_a_mismatch_naming_a_drug_the_library_lacks_fails_the_run(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        BASE
        + '\n[patient]\n\n[[timeline]]\nat_days = 1\naction = "fault"\n'
        + 'fault = "MismatchedRefill"\ndrug = "aspirin"\nconcentration_mcg_per_ml = 5\n'
        + '\n[[expect]]\nkind = "harm"\nat_most = "none"\n'
    )
    (scenario,) = spec.load(path)
    result = runner.run(scenario)
    assert result.rejections == {0: ["FAULT_REJECTED"]}
    assert result.passed  # nothing was injected: no harm
