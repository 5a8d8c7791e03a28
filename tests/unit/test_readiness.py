"""Waiting for a new server in start(): how often the container itself is looked at."""

from __future__ import annotations

from itertools import islice

from dockerspawner.readiness import status_gaps


def test_the_container_is_looked_at_after_one_second_then_at_doubling_gaps_up_to_ten():
    assert list(islice(status_gaps(), 7)) == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert list(islice(status_gaps(0.5, 3.0), 5)) == [0.5, 1.0, 2.0, 3.0, 3.0]
