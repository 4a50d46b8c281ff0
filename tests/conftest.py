"""Shared test set-up: hypothesis profiles and small pump builders.

Profiles: "fast" (the default, and what CI runs: derandomised so a CI failure reproduces) and
"thorough" (by hand: HYPOTHESIS_PROFILE=thorough ./run test). Loading one explicitly overrides the
built-in "ci" profile hypothesis would otherwise pick when CI=true.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
