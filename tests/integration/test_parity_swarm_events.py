"""What a swarm monitor reads, fake vs real: the states of ended, running and removed tasks
under the task list's desired-state and label filters, and the manager's service events.

Every object is named ``fdtest-ev-<random>-...`` (``NAME_STEM``)."""

from __future__ import annotations

import json
import time

from conftest import BUSYBOX
from docker import types

NAME_STEM = "fdtest-ev"
SECOND = 1_000_000_000
SLEEP = ["sleep", "1000"]  # ignores SIGTERM as PID 1: a stop waits out the grace period


def _service(api, names, suffix, command, replicas=1, **spec):
    template = types.TaskTemplate(types.ContainerSpec(BUSYBOX, command, stop_grace_period=SECOND),
                                  restart_policy=types.RestartPolicy(condition="none"))
    return api.create_service(template, name=names(suffix), labels=names.label,
                              mode=types.ServiceMode("replicated", replicas), **spec)["ID"]


def _mine(api, names, **filters):
    """The tasks carrying this test's label (the service's, copied into each task)."""
    return api.tasks(filters={"label": [f"fdtest={names.prefix}"], **filters})


def _ended(state):
    return state in ("failed", "complete", "rejected", "shutdown")


def _row(task):
    status = task["Status"]
    container = status.get("ContainerStatus") or {}
    return (status["State"], status["Message"], status.get("Err"), task["DesiredState"],
            container.get("ExitCode"), bool(container.get("PID")))


def _one_task(api, poll, sid, done):
    return poll(lambda: api.tasks(filters={"service": sid}), lambda ts: len(ts) == 1 and done(ts[0]))[0]


def _follow_until_gone(api, names, poll, task_id, timeout=30):
    """Every distinct row the task shows (found by its label) until it is gone."""
    rows: list[tuple] = []

    def fetch():
        found = [t for t in _mine(api, names) if t["ID"] == task_id]
        if found and (not rows or rows[-1] != _row(found[0])):
            rows.append(_row(found[0]))
        return found

    poll(fetch, lambda found: not found, timeout=timeout, interval=0.05)
    return rows


def _in_order(rows, allowed):
    """Whether every row is one of ``allowed``, in that order (rows may be missed: the
    ``shutdown`` one lasts about 0.25 s on the daemon and none on the fake's immediate mode)."""
    places = [allowed.index(r) if r in allowed else -1 for r in rows]
    return -1 not in places and places == sorted(places)


# 1: ended, running and removed tasks -------------------------------------------------------

def test_ended_and_running_tasks_by_desired_state_and_label(api, names, poll):
    fails = _service(api, names, "fails", ["sh", "-c", "exit 3"])
    completes = _service(api, names, "completes", ["sh", "-c", "exit 0"])
    runs = _service(api, names, "runs", SLEEP)
    # the daemon's orchestrator sets DesiredState shutdown a moment after the task ended (a
    # first look may show failed/complete with desired running): wait for both
    settled = lambda t: _ended(t["Status"]["State"]) and t["DesiredState"] == "shutdown"  # noqa: E731
    failed = _one_task(api, poll, fails, settled)
    complete = _one_task(api, poll, completes, settled)
    running = _one_task(api, poll, runs, lambda t: t["Status"]["State"] == "running")
    assert [_row(t) for t in (failed, complete, running)] == [
        ("failed", "started", "task: non-zero exit (3)", "shutdown", 3, False),
        ("complete", "finished", None, "shutdown", 0, False),
        ("running", "started", None, "running", 0, True),
    ]
    assert [t["Status"]["PortStatus"] for t in (failed, complete, running)] == [{}, {}, {}]
    by_id = lambda tasks: sorted(t["ID"] for t in tasks)  # noqa: E731
    assert by_id(_mine(api, names)) == by_id([failed, complete, running])
    assert by_id(_mine(api, names, **{"desired-state": "shutdown"})) == by_id([failed, complete])
    assert by_id(_mine(api, names, **{"desired-state": "running"})) == [running["ID"]]
    assert api.tasks(filters={"label": [f"fdtest={names.prefix}-other"]}) == []

    # a label-only update leaves the running task as it is, with the labels it was made with
    service = api.inspect_service(runs)
    spec = {**service["Spec"], "Labels": {**names.label, "fdtest-extra": "1"}}
    api._raise_for_status(api._post_json(api._url("/services/{0}/update", runs),
                                         params={"version": service["Version"]["Index"]}, data=spec))

    # removed, the ended tasks keep their state (desired remove) and are gone within moments
    for sid in (fails, completes):
        api.remove_service(sid)
    for task in (failed, complete):
        rows = _follow_until_gone(api, names, poll, task["ID"], timeout=10)
        state, message, err, _, code, _ = _row(task)
        assert set(rows) <= {(state, message, err, desired, code, False) for desired in ("shutdown", "remove")}

    assert api.tasks(filters={"label": ["fdtest-extra=1"]}) == []
    assert [t["ID"] for t in _mine(api, names)] == [running["ID"]]
    assert _row(api.inspect_task(running["ID"])) == _row(running)


def test_a_removed_or_scaled_away_task_runs_until_its_container_stops(api, names, poll):
    since = time.time()
    sid = _service(api, names, "pair", SLEEP, replicas=2)
    tasks = poll(lambda: api.tasks(filters={"service": sid}),
                 lambda ts: len(ts) == 2 and all(t["Status"]["State"] == "running" for t in ts))
    first, second = sorted(tasks, key=lambda t: t["Slot"])
    service = api.inspect_service(sid)
    spec = {**service["Spec"], "Mode": {"Replicated": {"Replicas": 1}}}
    api._raise_for_status(api._post_json(api._url("/services/{0}/update", sid),
                                         params={"version": service["Version"]["Index"]}, data=spec))
    stopping = ("running", "started", None, "remove", -1, True)
    # the stopping task is neither running nor shutdown for the desired-state filter
    while_stopping: dict[str, list[str]] = {}

    def fetch():
        task = api.inspect_task(second["ID"])
        if _row(task) == stopping and not while_stopping:
            for desired in ("running", "shutdown"):
                while_stopping[desired] = [t["ID"] for t in _mine(api, names, **{"desired-state": desired})]
        return task

    poll(fetch, lambda t: _row(t) == stopping, interval=0.05)
    assert while_stopping == {"running": [first["ID"]], "shutdown": []}
    # running (desired remove, exit code -1) while SIGTERM is ignored for the grace period,
    # then shutdown with the SIGKILL's 137, then gone with its container
    order = [("running", "started", None, "running", 0, True), ("running", "started", None, "remove", 0, True),
             stopping, ("shutdown", "shutdown", None, "remove", 137, False)]
    rows = _follow_until_gone(api, names, poll, second["ID"])
    assert _in_order(rows, order[2:]), rows
    assert [t["ID"] for t in api.tasks(filters={"service": sid})] == [first["ID"]]

    # the service removed: its task the same way, still found by the service's label
    api.remove_service(sid)
    rows = _follow_until_gone(api, names, poll, first["ID"])
    assert stopping in rows and _in_order(rows, order), rows
    poll(lambda: api.containers(all=True, filters={"name": names.prefix}), lambda cs: cs == [])
    dies = [e["Actor"]["Attributes"]["exitCode"]
            for e in api.events(since=since, until=time.time() + 0.1, decode=True,
                                filters={"service": [names.prefix + "-pair"], "event": ["die"]})]
    assert dies == ["137", "137"]


# 2: the manager's events ---------------------------------------------------------------------

def _events(api, since, until, **filters):
    return list(api.events(since=since, until=until, filters=filters, decode=True))


def test_service_events(api, names, poll):
    since = time.time()
    update_config = types.UpdateConfig(monitor=SECOND // 5)
    svc = _service(api, names, "svc", SLEEP, update_config=update_config)
    _one_task(api, poll, svc, lambda t: t["Status"]["State"] == "running")
    service = api.inspect_service(svc)
    spec = service["Spec"]
    spec["TaskTemplate"]["ContainerSpec"]["Env"] = ["A=1"]
    api._raise_for_status(api._post_json(api._url("/services/{0}/update", svc),
                                         params={"version": service["Version"]["Index"]}, data=spec))
    poll(lambda: api.inspect_service(svc).get("UpdateStatus", {}).get("State"), lambda s: s == "completed")
    fails = _service(api, names, "fails", ["sh", "-c", "exit 3"])
    _one_task(api, poll, fails, lambda t: t["Status"]["State"] == "failed")
    api.remove_service(svc)
    api.remove_service(fails)
    poll(lambda: _mine(api, names), lambda ts: ts == [])
    poll(lambda: api.containers(all=True, filters={"name": names.prefix}), lambda cs: cs == [])
    until = time.time() + 0.5

    ours = {svc: "svc", fails: "fails"}
    service_events = [e for e in _events(api, since, until, type=["service"]) if e["Actor"]["ID"] in ours]
    assert [(e["Action"], ours[e["Actor"]["ID"]], names.norm(e["Actor"]["Attributes"]))
            for e in service_events] == [
        ("create", "svc", {"name": "fdtest-X-svc"}),
        ("update", "svc", {"name": "fdtest-X-svc"}),
        ("update", "svc", {"name": "fdtest-X-svc", "updatestate.new": "updating"}),
        ("update", "svc", {"name": "fdtest-X-svc", "updatestate.old": "updating", "updatestate.new": "completed"}),
        ("create", "fails", {"name": "fdtest-X-fails"}),  # its task failing is no service event
        ("remove", "svc", {"name": "fdtest-X-svc"}),
        ("remove", "fails", {"name": "fdtest-X-fails"}),
    ]
    assert {json.dumps(sorted(names.norm(e))) for e in service_events} == {
        json.dumps(["Action", "Actor", "Type", "scope", "time", "timeNano"])}
    assert {(e["Type"], e["scope"]) for e in service_events} == {("service", "swarm")}
    # the label filter reads the event's attributes, which carry no service labels
    assert _events(api, since, until, type=["service"], label=[f"fdtest={names.prefix}"]) == []
    assert _events(api, since, until, label=[f"fdtest={names.prefix}"]) == []
    assert _events(api, since, until, type=["task"]) == []
    # service=NAME matches by prefix, whatever the type: the service's and its task
    # container's events (named NAME.1.<task id>)
    by_name = _events(api, since, until, service=[names.prefix + "-fails"])
    assert [(e["Type"], e["Action"], e["Actor"]["Attributes"].get("exitCode")) for e in by_name] == [
        ("service", "create", None), ("container", "create", None), ("container", "start", None),
        ("container", "die", "3"), ("service", "remove", None), ("container", "destroy", None)]
    assert [e["Action"] for e in _events(api, since, until, service=[svc[:8]])] == [
        "create", "update", "update", "update", "remove"]
    assert [e["Action"] for e in _events(api, since, until, type=["service"], container=[names.prefix + "-fa"])] == [
        "create", "remove"]
