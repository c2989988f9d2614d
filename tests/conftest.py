"""Test-suite settings shared by every test module."""

from __future__ import annotations

import os

from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples, so a submission's result does not depend on
# the draw; local runs keep exploring new examples (that is how the bugs they found were found).
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
