"""docs/security.md traces each threat to a control and to the tests that show it works: every
test it names must exist, and every interface the issue lists must have its section."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def test_every_test_the_threat_model_names_exists() -> None:
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", DOC.read_text())
    assert len(named) >= 25
    missing = [f"{f}::{t}" for f, t in named if t not in _tests_in(ROOT / f)]
    assert missing == []


def test_every_interface_has_a_stride_table() -> None:
    text = DOC.read_text()
    for section in ("The line", "Key files", "The state file", "The simulator role"):
        assert f"### {section}" in text, section
    for letter in (
        "Spoofing",
        "Tampering",
        "Repudiation",
        "Information disclosure",
        "Denial of service",
        "Elevation of privilege",
    ):
        assert f"| {letter}" in text, letter
