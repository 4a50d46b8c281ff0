"""Scenario files, their runner, reports and hazard tracing, as QA would use them."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pumpsim_cli.main import main as cli
from pumpsim_scenarios.campaigns import campaign, hazards
from pumpsim_scenarios.files import library, spec
from pumpsim_scenarios.running import runner

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = library.directory()
SHIPPED = campaign.collect([LIBRARY])


@pytest.mark.parametrize("scenario", SHIPPED, ids=lambda s: s.id)
def test_each_shipped_scenario_passes(scenario: spec.Scenario) -> None:
    result = runner.run(scenario)
    failed = [e.message for e in result.expectations if not e.passed]
    assert result.error == ""
    assert failed == []
    assert result.passed


def test_every_shipped_scenario_says_what_it_teaches() -> None:
    for path in LIBRARY.glob("*.toml"):
        assert path.read_text().startswith("# Teaches"), path.name


@pytest.mark.parametrize("scenario", [s for s in SHIPPED if s.mode == "model"], ids=lambda s: s.id)
def test_model_and_full_stack_agree_on_the_final_state(scenario: spec.Scenario) -> None:
    model = runner.run(scenario, "model")
    stack = runner.run(scenario, "stack")
    assert stack.error == ""
    assert stack.passed == model.passed
    for key in ("sim_days", "reservoir_ml", "reservoir_expected_ml", "delivered_ml"):
        assert math.isclose(model.final[key], stack.final[key], rel_tol=1e-6, abs_tol=1e-6), key
    assert [v for _, v in model.verdicts] == [v for _, v in stack.verdicts]
    assert model.rejections.keys() == stack.rejections.keys()
    # The virtual patients met the same delivery either way, so they tell the same story.
    assert [o["worst"] for o in model.patients] == [o["worst"] for o in stack.patients]
    for a, b in zip(model.patients, stack.patients, strict=True):
        assert [(x["sign"], x["severity"]) for x in a["signs"]] == [
            (x["sign"], x["severity"]) for x in b["signs"]
        ]
        for x, y in zip(a["signs"], b["signs"], strict=True):
            assert math.isclose(x["day"], y["day"], abs_tol=1e-4)


def _write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


BASE = """\
[scenario]
name = "t"
duration_days = 10

[initial]
drug = "morphine"
concentration_mg_per_ml = 10
fill_ml = 20
program = { mode = "continuous", dose_mg_per_day = 3 }
"""


def test_a_wrong_expectation_fails_with_a_clear_message(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE + '\n[[expect]]\nkind = "alarm"\nalarm = "motor_stall"\n')
    (scenario,) = spec.load(path)
    result = runner.run(scenario)
    assert not result.passed
    assert (
        result.expectations[0].message
        == "expected motor_stall between day 0 and day 10 (never raised)"
    )
    assert cli(["scenario", "run", str(path)]) == 1


@pytest.mark.parametrize(
    ("extra", "line", "says"),
    [
        ('\n[[timeline]]\nat_days = 1\naction = "teleport"\n', 13, "unknown action 'teleport'"),
        ('\n[[timeline]]\nat_days = 11\naction = "interrogate"\n', 12, "after the scenario ends"),
        ('\n[[timeline]]\nat_days = 1\naction = "link_noise"\n', 13, "needs mode = 'stack'"),
        (
            '\n[[timeline]]\nat_days = 1\naction = "fault"\nfault = "Gremlin"\n',
            14,
            "fault must be one of",
        ),
        ('\n[[expect]]\nkind = "alarm"\nalarm = "fire"\n', 13, "unknown alarm 'fire'"),
        ('\n[[expect]]\nkind = "nothing_lost"\n', 11, "needs mode = 'stack'"),
        ("\n[oops]\nx = 1\n", 11, "unknown table 'oops'"),
        (
            '\n[[timeline]]\nat_days = "soon"\naction = "interrogate"\n',
            12,
            "at_days must be a number",
        ),
    ],
)
def test_errors_name_the_file_and_line(tmp_path: Path, extra: str, line: int, says: str) -> None:
    path = _write(tmp_path, BASE + extra)
    with pytest.raises(spec.ScenarioError) as err:
        spec.load(path)
    assert err.value.line == line, str(err.value)
    assert says in err.value.message
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_bad_toml_and_unknown_drug(tmp_path: Path) -> None:
    with pytest.raises(spec.ScenarioError) as err:
        spec.load(_write(tmp_path, '[scenario]\nname = "x\n'))
    assert err.value.line == 2
    with pytest.raises(spec.ScenarioError) as err:
        spec.load(_write(tmp_path, BASE.replace('"morphine"', '"unobtainium"')))
    assert err.value.line == 6
    assert "unknown drug" in err.value.message
    assert cli(["scenario", "run", str(tmp_path / "s.toml")]) == 2


def test_a_matrix_makes_a_scenario_per_combination() -> None:
    combos = spec.load(LIBRARY / "partial-occlusion.toml")
    assert len(combos) == 4
    assert len({s.id for s in combos}) == 4
    assert {s.seed for s in combos} == {1, 2}
    assert {s.pump["accuracy_factor"] for s in combos} == {1.0, 0.95}


def test_reports_are_byte_identical_whatever_the_parallelism(tmp_path: Path) -> None:
    scenarios = [s for s in SHIPPED if s.mode == "model"][:6]
    serial = campaign.json_report(campaign.run_all(scenarios, workers=1))
    parallel = campaign.json_report(campaign.run_all(scenarios, workers=2))
    assert serial == parallel
    data = json.loads(serial)
    with_patients = [r for r in data["results"] if r["cohort"]]
    assert data["summary"] == {
        "scenarios": 6,
        "passed": 6,
        "failed": 0,
        "virtual_patients": sum(r["cohort"]["size"] for r in with_patients),
        "virtual_patients_harmed": sum(r["cohort"]["harmed"] for r in with_patients),
    }


def test_cli_writes_json_and_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = _write(
        tmp_path,
        BASE + '\n[[expect]]\nkind = "no_alarm"\nalarm = "low_reservoir"\nby_days = 10\n',
        "ok.toml",
    )
    bad = _write(
        tmp_path,
        BASE + '\n[[expect]]\nkind = "delivered"\ndrug = "morphine"\nmin_mg = 500\n',
        "bad.toml",
    )
    status = cli(
        [
            "scenario",
            "run",
            str(wrong),
            str(bad),
            "--workers",
            "1",
            "--json",
            str(tmp_path / "r.json"),
            "--junit",
            str(tmp_path / "r.xml"),
        ]
    )
    assert status == 1
    out = capsys.readouterr().out
    assert "1 passed, 1 failed" in out
    assert "expected within [500000, inf] mcg" in out
    suites = ET.parse(tmp_path / "r.xml").getroot()
    assert suites.attrib["tests"] == "2"
    assert suites.attrib["failures"] == "1"
    failure = suites.find(".//failure")
    assert failure is not None
    assert "morphine delivered" in failure.attrib["message"]
    report = json.loads((tmp_path / "r.json").read_text())
    assert [r["passed"] for r in report["results"]] == [False, True]


def test_a_local_dask_cluster_gives_the_same_results() -> None:
    import distributed  # here: a third of a second to import, in every worker otherwise

    scenarios = [s for s in SHIPPED if s.mode == "model"][:4]
    local = distributed.LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, processes=False, dashboard_address=None
    )
    with local as cluster:
        on_dask = campaign.run_all(scenarios, dask_address=cluster.scheduler_address)
    assert on_dask == campaign.run_all(scenarios, workers=1)


def test_every_hazard_is_exercised_and_its_references_exist() -> None:
    names = {s.name for s in SHIPPED}
    assert hazards.uncovered(names) == []
    for h in hazards.HAZARDS:
        for name in h.scenarios:
            assert name in names, (h.id, name)
        for test in h.tests:
            assert (ROOT / test).is_file(), (h.id, test)
    table = hazards.coverage_table(names)
    assert "MISSING" not in table
    assert cli(["scenario", "hazards", "--scenarios", str(LIBRARY)]) == 0


@st.composite
def generated(draw: st.DrawFn) -> str:
    lines = [
        "[scenario]",
        'name = "generated"',
        f"seed = {draw(st.integers(0, 1000))}",
        "duration_days = 20",
        "[initial]",
        f'drug = "{draw(st.sampled_from(["morphine", "hydromorphone", "baclofen"]))}"',
        "concentration_mcg_per_ml = 1000",
        "fill_ml = 20",
        'program = { mode = "continuous", rate_ml_per_day = %g }'
        % (draw(st.integers(50, 900)) / 1000),
    ]
    actions = st.sampled_from(
        [
            'action = "interrogate"',
            'action = "acknowledge"',
            'action = "refill"',
            'action = "mri"\nduration_hours = 2',
            'action = "bolus"\nvolume_ml = 0.05\nduration_min = 60',
            'action = "fault"\nfault = "MotorStall"\nduration_hours = 3',
            'action = "fault"\nfault = "CatheterOcclusion"\ndelivered_fraction = 0.5',
            'action = "fault"\nfault = "OverInfusionDrift"\nfinal_factor = 1.2\nramp_days = 2',
            'action = "patient_bolus"\ncount = 3\nevery_minutes = 20',
        ]
    )
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, 190)) / 10
        lines += ["[[timeline]]", f"at_days = {at}", draw(actions)]
    lines += ["[[expect]]", 'kind = "no_alarm"', 'alarm = "end_of_service"']
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None)
@given(text=generated())
def test_any_valid_scenario_runs_and_its_report_is_deterministic(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        (scenario,) = spec.load(_write(Path(tmp), text))
        first = runner.run(scenario).as_dict()
        second = runner.run(scenario).as_dict()
    assert first["error"] == ""
    assert first == second
    assert first["passed"]
