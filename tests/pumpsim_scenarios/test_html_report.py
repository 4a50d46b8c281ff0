"""The campaign's HTML page: every scenario, three plots each, the hazard matrix, failures first,
and nothing it would have to fetch."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pumpsim_cli.main import main
from pumpsim_scenarios.campaigns import campaign, html_report
from pumpsim_scenarios.files import library

LIBRARY = library.directory()

BROKEN = """
[scenario]
name = "expects-the-impossible"
duration_days = 3

[initial]
drug = "morphine"
concentration_mg_per_ml = 10
fill_ml = 20
program = { mode = "continuous", dose_mg_per_day = 3 }

[[timeline]]
at_days = 1
action = "fault"
fault = "MotorStall"

[[expect]]
kind = "no_alarm"
alarm = "motor_stall"
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    broken = tmp_path_factory.mktemp("broken") / "broken.toml"
    broken.write_text(BROKEN)
    scenarios = campaign.collect([LIBRARY / "partial-occlusion.toml", LIBRARY / "mri.toml"])
    scenarios += campaign.collect([broken])
    results = campaign.run_all(scenarios, workers=1)
    data: dict[str, object] = json.loads(campaign.json_report(results))
    return data


def test_the_json_holds_bounded_time_series_and_the_moments(report: dict[str, object]) -> None:
    results = report["results"]
    assert isinstance(results, list)
    for r in results:
        series = r["series"]
        assert 0 < len(series["t_days"]) <= 240
        assert len(series["reservoir_ml"]) == len(series["t_days"])
        assert series["dose"]
    occlusion = next(r for r in results if r["name"] == "partial-occlusion")
    kinds = {m["kind"] for m in occlusion["moments"]}
    assert {"fault", "refill", "alarm"} <= kinds


@pytest.fixture(scope="module")
def page(report: dict[str, object]) -> str:
    return html_report.render(report, wall_s=1.5)


def test_the_page_holds_every_scenario_its_plots_and_the_matrix(
    report: dict[str, object], page: str
) -> None:
    results = report["results"]
    assert isinstance(results, list)
    for r in results:
        assert r["id"] in page
    sections = re.findall(r'<section class="scenario[^"]*" id="s-\d+">(.*?)</section>', page, re.S)
    assert len(sections) == len(results)
    for section in sections:
        assert section.count("<svg") >= 3
        for plot in html_report.PLOTS:
            assert f'data-plot="{plot}"' in section
    assert 'class="matrix"' in page
    for hazard in ("H1", "H6", "H13"):
        assert f"<b>{hazard}</b>" in page
    assert "uncovered here" in page  # this small campaign leaves hazards uncovered
    assert "1.50 s" in page


def test_failures_come_first_and_are_marked(page: str) -> None:
    first_row = page.index('<tr class="failed"')
    assert first_row < page.index('<tr class="" data-passed="1"')
    first_section = re.search(r'<section class="scenario ([^"]*)"', page)
    assert first_section is not None
    assert first_section.group(1) == "failed"
    assert "expects-the-impossible" in page[first_row : first_row + 400]


def test_the_page_needs_nothing_from_outside(page: str) -> None:
    assert "http://" not in page
    assert "https://" not in page
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    assert len(page.encode()) < 2_000_000


def test_without_the_report_extra_it_says_what_to_install(
    report: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # as if not installed
    with pytest.raises(html_report.ReportUnavailableError, match=r"pumpsim\[report\]"):
        html_report.render(report)


def test_the_commands_write_the_page_from_a_run_and_from_saved_results(tmp_path: Path) -> None:
    scenario = str(LIBRARY / "pocket-fill.toml")
    pumpsim = [sys.executable, "-m", "pumpsim_cli.main", "scenario"]
    run = subprocess.run(
        [
            *pumpsim,
            "run",
            scenario,
            "--json",
            str(tmp_path / "r.json"),
            "--html",
            str(tmp_path / "r.html"),
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "pocket-fill" in (tmp_path / "r.html").read_text()
    # The page again from the saved results, through the command's own `main` (the entry point
    # ran above; a missing or wrong results file is among the command-line mistakes' tests).
    assert (
        main(["scenario", "report", str(tmp_path / "r.json"), "-o", str(tmp_path / "again.html")])
        == 0
    )
    assert (tmp_path / "again.html").read_text().count("<svg") == 3


def test_a_scenario_that_asks_for_its_accuracy_gets_trumpet_curves_on_the_page() -> None:
    results = campaign.run_all(campaign.collect([LIBRARY / "flow-accuracy.toml"]), workers=1)
    data = json.loads(campaign.json_report(results))
    assert all(r["trumpet"]["windows"] for r in data["results"])
    shown = html_report.render(data)
    assert shown.count('data-plot="trumpet"') == 3  # one per class of the matrix
    assert "IEC 60601-2-24 adapted to an implant" in shown
