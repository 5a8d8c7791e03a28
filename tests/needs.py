"""What a test does when something it needs from the machine is missing (a daemon, the registry,
an image, a cluster node, podman, Chromium, the reference's virtualenv).

On a developer's machine without Docker that is a skip, with the reason.  Under CI (``CI`` set
to ``true`` or ``1``, as ``.ci/run`` sets it) the test command has provisioned all of it, so a
missing piece is a failure with the reason: a run that quietly skipped what it claims to test
would pass without proving anything.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip (a developer's machine) or fail (CI) the test, saying what is missing and what
    provides it."""
    if under_ci():
        pytest.fail(f"{reason} [CI: the test command provisions this, so it is a failure, not a skip]",
                    pytrace=False)
    pytest.skip(reason)
