"""The filters of ``GET /containers/json`` as a table (``fakedocker.state.filters``): the names
the daemon accepts, its 400s for the others, and the order of its checks."""

from __future__ import annotations

import pytest

from fakedocker.routing import DaemonError
from fakedocker.state.filters import CONTAINER_FILTERS, check_container_filters


def test_the_filters_the_daemon_accepts():
    assert set(CONTAINER_FILTERS) == {
        "ancestor", "before", "exited", "health", "id", "isolation", "is-task", "label", "name",
        "network", "publish", "expose", "since", "status", "volume",
    }


def test_accepted_filters_pass_the_check():
    check_container_filters({"isolation": ["default"], "status": ["running", "dead"],
                             "health": ["none", "starting"], "label": ["a=b"]})


@pytest.mark.parametrize(("filters", "message"), [
    ({"bogus": ["x"]}, "Invalid filter 'bogus'"),
    ({"status": ["bogus"]}, "Invalid filter 'status=bogus'"),
    ({"health": ["bogus"]}, "Unrecognised filter value for health: bogus"),
    # the unknown name first, then the statuses, then the health values
    ({"health": ["bogus"], "status": ["bogus"], "bogus": ["x"]}, "Invalid filter 'bogus'"),
    ({"health": ["bogus"], "status": ["bogus"]}, "Invalid filter 'status=bogus'"),
])
def test_the_daemons_400s(filters, message):
    with pytest.raises(DaemonError) as err:
        check_container_filters(filters)
    assert (err.value.status, err.value.message) == (400, message)
