"""The shipped scenario library: one file per failure mode, installed with the package.

Why package data: QA runs the library from wherever they are, not from a checkout. A scenario is
named by its file's stem (`motor-stall`); anything that is an existing path is taken as a path.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

TEMPLATE = """#:schema ./{schema}
# Teaches: in a sentence, what this scenario shows the reviewer of a campaign.
[scenario]
format = 1                # the scenario file format (CHANGELOG.md says what changed)
name = "{name}"
duration_days = 30
mode = "model"            # or "stack": firmware and client over a simulated line
seed = 1

[initial]
drug = "morphine"
concentration_mg_per_ml = 10
fill_ml = 20
program = {{ mode = "continuous", dose_mg_per_day = 3 }}

[[timeline]]              # program, bolus, priming, patient_bolus, refill, mri, interrogate,
at_days = 5               # acknowledge, fault; in stack mode also link_noise, link_loss,
action = "fault"          # firmware_reset
fault = "CatheterOcclusion"
delivered_fraction = 0.5

[[expect]]                # alarm / no_alarm, delivered, refill_verdict, rejected, nothing_lost
kind = "delivered"
drug = "morphine"
min_mg = 50
max_mg = 100
"""


def directory() -> Path:
    return Path(str(resources.files("pumpsim_scenarios.files") / "library"))


def names() -> list[str]:
    return sorted(p.stem for p in directory().glob("*.toml"))


def teaches(name: str) -> str:
    """The file's opening "# Teaches:" sentence (continuation lines joined), or ""."""
    lines = (directory() / f"{name}.toml").read_text().splitlines()
    out: list[str] = []
    for line in lines:
        if line.startswith("#:"):  # an editor's directive (#:schema), not prose
            continue
        if not line.startswith("#"):
            break
        text = line.lstrip("# ").strip()
        out.append(re.sub(r"^Teaches( \([^)]*\))?:\s*", "", text))
    return " ".join(out)


def resolve(item: str | Path) -> Path:
    """A path as given if it exists, else the library scenario of that name."""
    path = Path(item)
    if path.exists():
        return path
    shipped = directory() / f"{item}.toml"
    if shipped.exists():
        return shipped
    raise FileNotFoundError(2, "no such scenario file or library name", str(item))


def template(name: str, schema_file: str) -> str:
    """A commented scenario to start from; its first line names the JSON Schema beside it, for
    editors that check TOML as it is typed."""
    return TEMPLATE.format(name=name, schema=schema_file)
