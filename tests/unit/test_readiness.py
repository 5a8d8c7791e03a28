"""Waiting for a new server in start(): how often the container itself is looked at."""

from __future__ import annotations

from itertools import islice

from dockerspawner import process_state
from dockerspawner.readiness import probe_interval, status_gaps


def test_the_container_is_looked_at_after_one_second_then_at_doubling_gaps_up_to_thirty():
    assert list(islice(status_gaps(), 8)) == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert list(islice(status_gaps(0.5, 3.0), 5)) == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_the_servers_waiting_at_once_share_one_budget_of_http_checks():
    assert probe_interval(0.1, 1) == 0.1  # one server: checked every interval
    assert probe_interval(0.1, 2) == 0.1  # a few: still every interval (20 checks a second in all)
    assert probe_interval(0.1, 50) == 2.5  # fifty: each every 2.5 s, still 20 a second in all
    assert probe_interval(1.0, 10, per_second=5) == 2.0


async def test_a_wait_is_counted_while_it_lasts_and_not_after(monkeypatch):
    from dockerspawner import readiness

    seen = []

    async def answers_on_the_third_check(host, port, path, timeout=1.0):
        seen.append(process_state.STATE.waiting_servers)
        return len(seen) == 3

    async def running():
        return None

    monkeypatch.setattr(readiness, "answers_http", answers_on_the_third_check)
    before = process_state.STATE.waiting_servers
    await readiness.wait_until_answering("127.0.0.1", 1, "/", timeout=30, interval=0, status=running)
    assert seen == [before + 1] * 3
    assert process_state.STATE.waiting_servers == before
