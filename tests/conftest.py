"""Shared test settings: hypothesis profiles, and the path to the shared reference data."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference"

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=40
)
# CI runs the same examples every time, so a red run is reproducible from its log.
settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=40,
    derandomize=True,
)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")
