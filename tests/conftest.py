"""Shared test set-up: hypothesis profiles and small pump builders.

Profiles: "fast" (the default, and what CI runs: derandomised so a CI failure reproduces) and
"thorough" (by hand: HYPOTHESIS_PROFILE=thorough ./run test). Loading one explicitly overrides the
built-in "ci" profile hypothesis would otherwise pick when CI=true.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import textual.constants
from hypothesis import HealthCheck, settings

# The programmer's tab underline slides; the tests look at what is there, not how it got there.
# Set on the module, not the environment: the snapshot plugin imports textual before this file,
# and an app reads the level from here when it is created.
textual.constants.TEXTUAL_ANIMATIONS = "none"  # type: ignore[misc]

settings.register_profile(
    "fast",
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


@pytest.fixture(scope="session", autouse=True)
def _freeze_the_runners_heap() -> Iterator[None]:
    """The modules, the collected tests and hypothesis live as long as the run: frozen out of the
    collector's sight, so a full collection (every programmer test has one) walks only what the
    tests made, not the whole runner. The programmer sees the heap frozen and leaves it so."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def _collect_cycles_between_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """A Textual app leaves a large graph of cycles behind; collecting it in the teardown keeps
    the next test from paying for it in the middle of its own run. (Only after the programmer's
    tests: a full collection after every test would cost more than it saves.)"""
    yield
    if request.module.__name__.startswith(("test_tui", "test_training")):
        gc.collect()


# Browser tests (tests/web): Debian's Chromium, driven by Playwright (its own browser download is
# not used); where there is none they skip, with one line saying so. Playwright is started and
# stopped inside each test: pytest-playwright's session-long instance leaves an event loop running
# in its worker, and every asyncio test (the programmer's pilot tests) after it then fails.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def chromium_page() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no Chromium here (apt-get install chromium): the browser tests skip")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 720})
        finally:
            browser.close()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One worker more than the cores (`-n auto`): many tests wait on something outside the
    process (a browser, a served terminal, a socket, a pilot's idle check), and a spare worker
    keeps the cores busy meanwhile. On 2 cores: 70 s of wall against 81 s with 2 workers."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


@pytest.hookimpl(trylast=True)  # after any plugin that reorders the tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests first: they are the longest (3-8 s in a full run, mostly waits on a
    browser and the servers it talks to), and one started as the other workers finish would
    stretch the run by its whole length."""
    items.sort(key=lambda item: "chromium_page" not in getattr(item, "fixturenames", ()))
