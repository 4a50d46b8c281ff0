"""The scenario format's JSON Schema and its parser agree: on every shipped scenario, and on what
each refuses; a file of a newer format gets one line saying what to do."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from pumpsim_cli.main import main as cli
from pumpsim_scenarios.files import library, schema, spec


def _draft() -> Any:
    """jsonschema's Draft 2020-12 validator, imported without its "iri" format checker: that
    compiles 38 grammars as jsonschema is imported (0.8 s in every test worker), and the scenario
    schema names no string format. It is left out as where its package is not installed."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import jsonschema

    return jsonschema.Draft202012Validator


DRAFT = _draft()
VALIDATOR = DRAFT(schema.build())


def test_the_schema_is_a_valid_json_schema() -> None:
    DRAFT.check_schema(schema.build())


@pytest.mark.parametrize("name", library.names())
def test_every_shipped_scenario_is_valid_for_both(name: str) -> None:
    path = library.directory() / f"{name}.toml"
    errors = [e.message for e in VALIDATOR.iter_errors(tomllib.loads(path.read_text()))]
    assert errors == []
    assert spec.load(path)


BROKEN = {
    "an unknown action": ('action = "fault"', 'action = "explode"'),
    "an unknown fault": ('fault = "CatheterOcclusion"', 'fault = "Gremlins"'),
    "no name": ('name = "x"\n', ""),
    "an unknown expectation": ('kind = "delivered"', 'kind = "vibes"'),
    "a delivered without its drug": ('drug = "morphine"\nmin_mg', "min_mg"),
    "an unknown table": ("[initial]", "[initials]"),
    "a reservoir no pump has": ("[initial]", "[pump]\nreservoir_ml = 30\n\n[initial]"),
    "a newer format": ("format = 1", "format = 2"),
}


@pytest.mark.parametrize("mistake", sorted(BROKEN))
def test_what_one_refuses_the_other_refuses(tmp_path: Path, mistake: str) -> None:
    text = library.template("x", schema.FILE_NAME)
    old, new = BROKEN[mistake]
    assert old in text
    path = tmp_path / "x.toml"
    path.write_text(text.replace(old, new, 1))
    assert list(VALIDATOR.iter_errors(tomllib.loads(path.read_text())))
    with pytest.raises(spec.ScenarioError):
        spec.load(path)


def test_a_newer_format_says_in_one_line_how_to_go_on(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text(library.template("x", schema.FILE_NAME).replace("format = 1", "format = 3"))
    with pytest.raises(spec.ScenarioError) as e:
        spec.load(path)
    assert "\n" not in str(e.value)
    assert "written for scenario format 3; this pumpsim reads format 1" in str(e.value)
    assert "update pumpsim" in str(e.value)
    no_format = tmp_path / "old.toml"  # files from before formats were numbered are format 1
    no_format.write_text(library.template("x", schema.FILE_NAME).replace("format = 1\n", ""))
    assert spec.load(no_format)


def test_scenario_new_names_the_schema_and_the_schema_command_prints_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "mine.toml"
    assert cli(["scenario", "new", "mine", "-o", str(target)]) == 0
    first = target.read_text().splitlines()[0]
    assert first == f"#:schema ./{schema.FILE_NAME}"
    beside = json.loads((tmp_path / schema.FILE_NAME).read_text())
    assert beside == schema.build()
    assert list(VALIDATOR.iter_errors(tomllib.loads(target.read_text()))) == []
    assert spec.load(target)
    capsys.readouterr()
    assert cli(["scenario", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == schema.build()
