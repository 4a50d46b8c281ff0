"""What the import-linter contracts cannot say: the model is pure, and each layer loads alone.

The layers between and inside the packages are contracts in pyproject.toml (`lint-imports`, run
by ./run lint and CI). Here: `pumpsim` may import only the standard library's pure modules and
numpy (no I/O, no threads, no wall clock), and importing a layer in a fresh interpreter loads
nothing of the layers above it, lazily or not.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pumpsim

PURE_ALLOWED = {
    "__future__",
    "array",
    "bisect",
    "collections",
    "copy",
    "dataclasses",
    "enum",
    "functools",
    "heapq",
    "itertools",
    "math",
    "numpy",
    "struct",
    "pumpsim",
    "typing",
    "zlib",
}
# The aliases of pre-0.2 module paths hook the import system: no I/O, but not the model's business.
# A cohort is drawn from its own seeded `random.Random`, never the module's shared generator.
IMPORT_MACHINERY = {
    "moved.py": {"importlib", "sys", "types", "warnings"},
    "profile.py": {"random"},
}
FORBIDDEN_CALLS = {"print", "open", "input", "exec", "eval"}
PACKAGE = Path(pumpsim.__file__).parent


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_pumpsim_imports_only_pure_modules() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        bad = _imports(tree) - PURE_ALLOWED - IMPORT_MACHINERY.get(path.name, set())
        calls = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FORBIDDEN_CALLS
        }
        if bad or calls:
            offenders[str(path.relative_to(PACKAGE))] = sorted(bad | calls)
    assert offenders == {}


def _loaded_after(imports: str, forbidden: set[str]) -> list[str]:
    """Top-level modules from `forbidden` that importing `imports` loads, in a fresh interpreter."""
    code = (
        f"import sys, {imports}\n"
        f"names = set({sorted(forbidden)!r})\n"
        "print(sorted(names & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(ast.literal_eval(out.stdout))


def test_importing_pumpsim_loads_no_outer_layer_or_io_library() -> None:
    forbidden = {"serial", "textual", "firmware_protocol", "programmer_tui", "pumpsim_cli"}
    forbidden |= {"sqlite3", "apsw", "socket", "asyncio"}
    assert _loaded_after("pumpsim, pumpsim.testing.reference", forbidden) == []


def test_firmware_protocol_never_reaches_for_the_ui() -> None:
    ui = {"textual", "programmer_tui"}
    assert (
        _loaded_after("firmware_protocol.client.pump_client, firmware_protocol.device.firmware", ui)
        == []
    )


def test_scenario_runner_is_headless() -> None:
    ui = {"textual", "programmer_tui"}
    assert _loaded_after("pumpsim_scenarios.campaigns.campaign, pumpsim_cli.main", ui) == []
