"""The public API survives the move into folders: users' code and the README's examples run.

The import lines below are those of the README at 0.1 (before the split), frozen here: each old
path must still load, warn that it moved, and give the very objects the new paths give.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"

OLD_README_IMPORTS = """
from firmware_protocol.client import PumpClient
from firmware_protocol.security import DeviceKey
from firmware_protocol.simulated import simulated_pump
from firmware_protocol.messages import Role
from firmware_protocol.async_client import AsyncPumpClient
from firmware_protocol import field_faults
from pumpsim.faults import CatheterOcclusion
from pumpsim.units import days
"""

NEW_NAMES = """
import firmware_protocol, pumpsim
from firmware_protocol.client.pump_client import PumpClient as P
from firmware_protocol.session.security import DeviceKey as K
from firmware_protocol.harness.simulated import simulated_pump as S
from firmware_protocol.wire.messages import Role as R
from firmware_protocol.client.async_client import AsyncPumpClient as A
from firmware_protocol.line import field_faults as F
assert (PumpClient, DeviceKey, simulated_pump, Role, AsyncPumpClient) == (P, K, S, R, A)
assert field_faults is F and CatheterOcclusion is pumpsim.CatheterOcclusion
assert firmware_protocol.PumpClient is P and firmware_protocol.Role is R
"""


def _python(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *flags, "-c", code], capture_output=True, text=True)


def test_the_old_module_paths_still_import_the_same_objects_and_say_where_they_moved() -> None:
    run = _python(OLD_README_IMPORTS + NEW_NAMES, "-W", "always::DeprecationWarning")
    assert run.returncode == 0, run.stderr
    assert "firmware_protocol.security moved to firmware_protocol.session.security" in run.stderr
    assert "pumpsim.faults moved to pumpsim.domain.faults" in run.stderr
    # `firmware_protocol.client` is a folder now, but its old names load from it without a word.
    assert "firmware_protocol.client moved" not in run.stderr


def test_the_new_paths_import_without_a_warning() -> None:
    run = _python(
        "from firmware_protocol import PumpClient, DeviceKey, Role, simulated_pump\n"
        "from pumpsim import Pump, Mix\nfrom pumpsim.units import days\n",
        "-W",
        "error::DeprecationWarning",
    )
    assert run.returncode == 0, run.stderr


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    import firmware_protocol

    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        _ = firmware_protocol.NoSuchThing


def _readme_blocks() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    # Those that need hardware (a device path) or a programmer of the reader's own cannot run here.
    return [b for b in blocks if "/dev/" not in b and "MyProgrammer" not in b]


@pytest.mark.parametrize("index", range(2))
def test_the_readmes_examples_run_unchanged(index: int) -> None:
    blocks = _readme_blocks()
    assert len(blocks) == 2, "the README's runnable examples changed: update this test"
    run = _python(blocks[index], "-W", "error::DeprecationWarning")
    assert run.returncode == 0, run.stderr
