"""Browser tests: Debian's Chromium, driven by pytest-playwright (Playwright's own browser download
is not used). Where there is no Chromium, every test here skips with one line saying so."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if CHROMIUM is None:
        pytest.skip("no Chromium here (apt-get install chromium): the browser tests skip")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--no-sandbox"]}
