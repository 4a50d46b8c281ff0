"""Shared test set-up: hypothesis profiles and small pump builders.

Profiles: "fast" (the default, and what CI runs: derandomised so a CI failure reproduces) and
"thorough" (by hand: HYPOTHESIS_PROFILE=thorough ./run test). Loading one explicitly overrides the
built-in "ci" profile hypothesis would otherwise pick when CI=true.
"""

from __future__ import annotations

import gc
import os

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


def pytest_collection_finish(session: object) -> None:
    """Move everything imported while collecting (numpy, textual, dask...) out of the collector's
    sight: a full collection then walks only what the tests themselves allocate, so a test's
    time does not depend on which modules the tests before it imported."""
    gc.collect()
    gc.freeze()
