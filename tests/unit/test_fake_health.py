"""Health checks on the fake: State.Health follows Interval / Retries / StartPeriod on the
engine's clock, the check's answer is pluggable, and list filters and events show it."""

from __future__ import annotations

import docker
import pytest

import fakedocker
from fakedocker.state.containers.health import apply_result, merge_healthcheck, probe_command

IMAGE = "busybox:1.36"
S = 1_000_000_000


class FakeClock:
    def __init__(self, t: float = 1_700_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def engine(clock):
    with fakedocker.FakeEngine(clock=clock, engine_version="20.10") as engine:  # 20.10's answers
        engine.add_image(IMAGE, config={"Cmd": ["sh"]})
        yield engine


@pytest.fixture
def api(engine):
    return engine.api_client()


def _run(api, healthcheck, cmd=("sleep", "1000"), image=IMAGE):
    c = api.create_container(image, list(cmd), healthcheck=healthcheck)
    api.start(c)
    return c


def _health(api, c):
    return api.inspect_container(c)["State"].get("Health")


def _actions(engine, c):
    return [e["Action"] for e in engine.events if e["Type"] == "container" and e["Actor"]["ID"] == c["Id"]]


def test_starting_until_the_first_interval_then_healthy_by_default(api, clock):
    c = _run(api, {"Test": ["CMD", "curl", "-f", "http://localhost/"], "Interval": 2 * S})
    assert _health(api, c) == {"Status": "starting", "FailingStreak": 0, "Log": []}
    clock.t += 1.9
    assert _health(api, c)["Status"] == "starting"
    clock.t += 0.1
    health = _health(api, c)
    assert (health["Status"], health["FailingStreak"]) == ("healthy", 0)
    assert [(e["ExitCode"], e["Output"]) for e in health["Log"]] == [(0, "")]


def test_a_failing_check_counts_its_streak_and_turns_unhealthy_at_retries(api, engine, clock):
    c = _run(api, {"Test": ["CMD-SHELL", "echo out; echo err >&2; exit 3"], "Interval": S, "Retries": 2})
    clock.t += 1
    assert (_health(api, c)["Status"], _health(api, c)["FailingStreak"]) == ("starting", 1)
    clock.t += 1
    health = _health(api, c)
    assert (health["Status"], health["FailingStreak"]) == ("unhealthy", 2)
    assert [(e["ExitCode"], e["Output"]) for e in health["Log"]] == [(3, "out\nerr\n")] * 2
    check = "/bin/sh -c echo out; echo err >&2; exit 3"
    assert _actions(engine, c) == ["create", "start"] + [
        f"exec_create: {check}", f"exec_start: {check}", "exec_die"] * 2 + ["health_status: unhealthy"]
    die = [e for e in engine.events if e["Action"] == "exec_die"][0]["Actor"]["Attributes"]
    assert die["exitCode"] == "3" and len(die["execID"]) == 64


def test_the_log_keeps_the_last_five_results_and_a_jumping_clock_does_not_replay_days(api, clock):
    c = _run(api, {"Test": ["CMD", "false"], "Interval": S, "Retries": 1})
    for _ in range(7):
        clock.t += 1
        api.inspect_container(c)
    health = _health(api, c)
    assert (health["Status"], health["FailingStreak"], len(health["Log"])) == ("unhealthy", 7, 5)
    clock.t += 86_400 * 7  # ... but the sleep 1000 ends first
    assert _health(api, c)["FailingStreak"] < 20


def test_the_check_answer_is_pluggable(api, engine, clock):
    answers = {"code": 1, "output": "down"}
    engine.health_check = lambda container: (answers["code"], answers["output"])
    c = _run(api, {"Test": ["CMD", "true"], "Interval": S})
    for _ in range(3):
        clock.t += 1
        api.inspect_container(c)
    assert _health(api, c)["Status"] == "unhealthy"  # the default 3 retries
    answers.update(code=0, output="up")
    clock.t += 1
    health = _health(api, c)
    assert (health["Status"], health["FailingStreak"], health["Log"][-1]["Output"]) == ("healthy", 0, "up")
    assert [a for a in _actions(engine, c) if a.startswith("health_status")] == [
        "health_status: unhealthy", "health_status: healthy"]


def test_failures_within_the_start_period_do_not_count(api, clock):
    c = _run(api, {"Test": ["CMD", "false"], "Interval": S, "Retries": 1, "StartPeriod": 3 * S})
    for _ in range(2):
        clock.t += 1
        api.inspect_container(c)
    health = _health(api, c)
    assert (health["Status"], health["FailingStreak"], len(health["Log"])) == ("starting", 0, 2)
    clock.t += 1  # at 3 s: no longer within the start period
    assert (_health(api, c)["Status"], _health(api, c)["FailingStreak"]) == ("unhealthy", 1)


def test_the_default_interval_is_30_seconds_and_the_images_healthcheck_applies(api, engine, clock):
    engine.add_image("checked:1", config={"Cmd": ["sleep", "1000"],
                                          "Healthcheck": {"Test": ["CMD-SHELL", "exit 1"], "Retries": 1}})
    c = api.create_container("checked:1")
    api.start(c)
    assert api.inspect_container(c)["Config"]["Healthcheck"] == {"Test": ["CMD-SHELL", "exit 1"], "Retries": 1}
    clock.t += 29
    assert _health(api, c)["Status"] == "starting"
    clock.t += 1
    assert _health(api, c)["Status"] == "unhealthy"
    # a create's own fields win, the unset ones come from the image
    d = api.create_container("checked:1", healthcheck={"Interval": 5 * S})
    assert api.inspect_container(d)["Config"]["Healthcheck"] == {
        "Test": ["CMD-SHELL", "exit 1"], "Retries": 1, "Interval": 5 * S}


def test_no_health_without_a_check_to_run_or_before_the_start(api):
    none = _run(api, {"Test": ["NONE"]})
    empty = _run(api, {"Test": [], "Interval": S})
    created = api.create_container(IMAGE, ["sleep", "1000"], healthcheck={"Test": ["CMD", "true"]})
    assert _health(api, none) is None and _health(api, empty) is None and _health(api, created) is None
    assert api.inspect_container(empty)["Config"]["Healthcheck"] == {"Interval": S}


def test_list_filters_and_status_text_follow_health(api, clock):
    starting = _run(api, {"Test": ["CMD", "true"], "Interval": 10 * S})
    failing = _run(api, {"Test": ["CMD", "false"], "Interval": S, "Retries": 1})
    healthy = _run(api, {"Test": ["CMD", "true"], "Interval": S})
    plain = api.create_container(IMAGE, ["sleep", "1000"])
    api.start(plain)
    clock.t += 1

    def ids(value):
        return {c["Id"] for c in api.containers(filters={"health": value})}

    assert ids("starting") == {starting["Id"]}
    assert ids("healthy") == {healthy["Id"]}
    assert ids("unhealthy") == {failing["Id"]}
    assert ids("none") == {plain["Id"]}
    status = {c["Id"]: c["Status"] for c in api.containers()}
    assert status[starting["Id"]] == "Up 1 second (health: starting)"
    assert status[healthy["Id"]] == "Up 1 second (healthy)"
    assert status[failing["Id"]] == "Up 1 second (unhealthy)"
    assert status[plain["Id"]] == "Up 1 second"
    with pytest.raises(docker.errors.APIError) as caught:
        api.containers(filters={"health": "bogus"})
    assert caught.value.status_code == 400
    assert caught.value.explanation == "Unrecognised filter value for health: bogus"


def test_a_stop_leaves_it_unhealthy_and_a_start_begins_again(api, engine, clock):
    c = _run(api, {"Test": ["CMD", "true"], "Interval": S})
    clock.t += 1
    api.stop(c, timeout=0)
    assert engine.transitions.clocked() == []
    health = _health(api, c)
    assert (health["Status"], health["FailingStreak"], len(health["Log"])) == ("unhealthy", 0, 1)
    assert {x["Id"] for x in api.containers(all=True, filters={"health": "unhealthy"})} == {c["Id"]}
    api.start(c)
    health = _health(api, c)
    assert (health["Status"], health["FailingStreak"], len(health["Log"])) == ("starting", 0, 1)


def test_no_checks_run_while_paused(api, clock):
    c = _run(api, {"Test": ["CMD", "true"], "Interval": S})
    api.pause(c)
    clock.t += 3
    assert _health(api, c)["Log"] == []
    assert api.containers()[0]["Status"].endswith("(Paused)")
    api.unpause(c)
    clock.t += 1
    assert _health(api, c)["Status"] == "healthy"


# the pure parts ----------------------------------------------------------------------------

def test_merge_healthcheck():
    image = {"Test": ["CMD", "x"], "Interval": 5 * S, "Retries": 4}
    assert merge_healthcheck(None, image) == image
    assert merge_healthcheck({"Retries": 1}, image) == {"Retries": 1, "Test": ["CMD", "x"], "Interval": 5 * S}
    assert merge_healthcheck({"Test": ["NONE"]}, image) == {"Test": ["NONE"], "Interval": 5 * S, "Retries": 4}
    assert merge_healthcheck(None, None) is None


@pytest.mark.parametrize(("test", "command"), [
    (["CMD", "curl", "-f", "x"], ["curl", "-f", "x"]),
    (["CMD-SHELL", "exit 1"], ["/bin/sh", "-c", "exit 1"]),
    (["NONE"], None), ([], None), (["CMD"], None), (["WHAT", "x"], None),
])
def test_probe_command(test, command):
    assert probe_command({"Test": test}) == command


def test_apply_result_counts_failures_only_past_the_start_period():
    hc = {"Retries": 2, "StartPeriod": 10 * S}
    starting = {"Status": "starting", "FailingStreak": 0, "Log": []}
    early = {"Start": "2023-11-14T22:13:25.000000000Z", "End": "", "ExitCode": 1, "Output": ""}
    late = dict(early, Start="2023-11-14T22:13:40.000000000Z")
    started = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    assert apply_result(starting, hc, started, early)["FailingStreak"] == 0
    once = apply_result(starting, hc, started, late)
    assert (once["Status"], once["FailingStreak"]) == ("starting", 1)
    twice = apply_result(once, hc, started, late)
    assert (twice["Status"], twice["FailingStreak"]) == ("unhealthy", 2)
