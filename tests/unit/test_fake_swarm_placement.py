"""Placement on the fake's swarm: constraints evaluated against the node, availability
(drain, a node lost and back) and what tasks show meanwhile, worded as a real manager does
(see tests/integration/test_swarm_cluster.py for the same on a real three-node swarm)."""

from __future__ import annotations

import docker
import pytest
from docker import types
from fake_fixtures import fake_engine_fixtures

from fakedocker.state.swarm.placement import parse_constraint, satisfies, unschedulable_reason

IMAGE = "fakedocker-test/busybox:1.36"
engine, api, client = fake_engine_fixtures({IMAGE: {"Cmd": ["sh"]}}, swarm=True)

NODE = {
    "ID": "abc123",
    "Spec": {"Role": "worker", "Availability": "active", "Labels": {"zone": "North", "gpu": ""}},
    "Description": {"Hostname": "node-1", "Platform": {"OS": "linux", "Architecture": "x86_64"},
                    "Engine": {"Labels": {"storage": "ssd"}}},
    "Status": {"State": "ready", "Addr": "10.0.0.1"},
}


def _service(api, constraints=None, name="s"):
    template = types.TaskTemplate(
        container_spec=types.ContainerSpec(IMAGE, command=["sleep", "300"]),
        restart_policy=types.RestartPolicy(condition="none"),
        placement=types.Placement(constraints=constraints) if constraints else None,
    )
    return api.create_service(template, name=name)["ID"]


def _task(api, service_id):
    (task,) = api.tasks(filters={"service": service_id})
    return task


# pure ------------------------------------------------------------------------------------

@pytest.mark.parametrize("constraint, expected", [
    ("node.hostname == node-1", True),
    ("node.hostname==NODE-1", True),  # case-insensitive, as swarmkit compares
    ("node.hostname != node-1", False),
    ("node.id==abc123", True),
    ("node.role==manager", False),
    ("node.platform.os==linux", True),
    ("node.labels.zone==north", True),
    ("node.labels.zone!=south", True),
    ("node.labels.missing==x", False),
    ("node.labels.missing!=x", True),
    ("engine.labels.storage==ssd", True),
    ("node.unknown==x", False),
])
def test_a_constraint_is_matched_against_the_node(constraint, expected):
    assert satisfies(NODE, [constraint]) is expected


def test_constraints_all_hold():
    assert satisfies(NODE, ["node.labels.zone==north", "node.role==worker"])
    assert not satisfies(NODE, ["node.labels.zone==north", "node.role==manager"])
    assert satisfies(NODE, [])


def test_parse_constraint_splits_on_the_operator():
    assert parse_constraint(" node.labels.a == b ") == ("node.labels.a", "==", "b")
    assert parse_constraint("node.id!=x") == ("node.id", "!=", "x")


def test_the_reason_counts_nodes_as_a_manager_does():
    drained = {**NODE, "Spec": {**NODE["Spec"], "Availability": "drain"}}
    down = {**NODE, "Status": {"State": "down"}}
    assert unschedulable_reason([NODE], {"Constraints": ["node.role==worker"]}) is None
    assert unschedulable_reason([NODE, NODE, NODE], {"Constraints": ["node.role==manager"]}) == (
        "no suitable node (scheduling constraints not satisfied on 3 nodes)")
    assert unschedulable_reason([drained, down, drained], None) == (
        "no suitable node (3 nodes not available for new tasks)")
    assert unschedulable_reason([drained, down, NODE], {"Constraints": ["node.labels.zone==south"]}) == (
        "no suitable node (2 nodes not available for new tasks; scheduling constraints not satisfied on 1 node)")
    assert unschedulable_reason([drained, NODE], {"Constraints": ["node.labels.zone==north"]}) is None


# through the API ---------------------------------------------------------------------------

def test_a_constraint_without_an_operator_is_refused(api):
    with pytest.raises(docker.errors.APIError) as info:
        _service(api, ["nonsense"])
    assert info.value.response.status_code == 500
    assert "constraint expected one operator from ==, !=" in info.value.explanation


def test_a_constraint_the_node_fails_keeps_the_task_pending_with_the_reason(api):
    task = _task(api, _service(api, ["node.labels.zone==north"]))
    assert task["Status"]["State"] == "pending"
    assert task["Status"]["Err"] == "no suitable node (scheduling constraints not satisfied on 1 node)"
    assert "NodeID" not in task


def test_labelling_the_node_schedules_the_pending_task(api):
    service_id = _service(api, ["node.labels.zone==north"])
    node = api.nodes()[0]
    api.update_node(node["ID"], node["Version"]["Index"],
                    {**node["Spec"], "Labels": {"zone": "north"}})
    task = _task(api, service_id)
    assert task["Status"]["State"] == "running"
    assert task["NodeID"] == node["ID"]
    assert "Err" not in task["Status"]


def test_a_drained_node_sheds_its_tasks_and_takes_no_new_ones(api):
    running = _service(api, name="before")
    node = api.nodes()[0]
    api.update_node(node["ID"], node["Version"]["Index"], {**node["Spec"], "Availability": "drain"})
    shed = _task(api, running)
    assert (shed["DesiredState"], shed["Status"]["State"]) == ("shutdown", "shutdown")
    task = _task(api, _service(api, name="after"))
    assert task["Status"]["State"] == "pending"
    assert task["Status"]["Err"] == "no suitable node (1 node not available for new tasks)"


def test_a_lost_node_reads_down_and_its_task_running_but_unwanted(engine, api):
    service_id = _service(api)
    engine.swarm.lose_node()
    node = api.nodes()[0]
    assert node["Status"]["State"] == "down"
    assert node["Status"]["Message"] == "heartbeat failure"
    task = _task(api, service_id)
    assert (task["DesiredState"], task["Status"]["State"]) == ("shutdown", "running")
    assert len(api.tasks(filters={"service": service_id})) == 1  # restart policy none: no new task
    pending = _task(api, _service(api, name="later"))
    assert pending["Status"]["Err"] == "no suitable node (1 node not available for new tasks)"


def test_a_node_back_shuts_down_what_it_was_told_to_drop_and_schedules_the_rest(engine, api):
    service_id = _service(api)
    engine.swarm.lose_node()
    later = _service(api, name="later")
    engine.swarm.restore_node()
    assert api.nodes()[0]["Status"]["State"] == "ready"
    assert _task(api, service_id)["Status"]["State"] == "shutdown"
    assert _task(api, later)["Status"]["State"] == "running"
