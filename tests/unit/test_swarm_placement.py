"""Where SwarmSpawner servers run: placement constraints (templated), the fail-fast answer
when no node can take a server, host-mode addresses from the task's node, a lost or drained
node, and pin_to_node — the pure decisions against literal dicts, the lifecycle through a
real JupyterHub on fakedocker's swarm (the same on a real three-node swarm:
tests/integration/test_swarm_cluster.py)."""

from __future__ import annotations

import asyncio

import pytest
from hub_helpers import new_user, read_progress, spawn, spawn_ready, stop, until, wait_for_spawn

from dockerspawner import SwarmSpawner
from dockerspawner.placement import (
    lost_task_reason,
    node_address,
    placement_spec,
    unschedulable_reason,
)

NODE = {"ID": "n1", "Description": {"Hostname": "worker1"}, "Spec": {"Availability": "active"},
        "Status": {"State": "ready", "Addr": "10.0.0.11"}}
RUNNING_TASK = {"NodeID": "n1", "DesiredState": "running", "Status": {"State": "running"}}


# pure --------------------------------------------------------------------------------------

def test_placement_renders_templates_and_adds_the_pin():
    spec = {"constraints": ["node.labels.jupyter-user == {username}", "node.role == worker"],
            "preferences": [("spread", "node.labels.zone")]}
    assert placement_spec(spec, {"username": "alice"}) == {
        "constraints": ["node.labels.jupyter-user == alice", "node.role == worker"],
        "preferences": [("spread", "node.labels.zone")]}
    assert placement_spec({}, {}, pinned_node_id="n1") == {"constraints": ["node.id == n1"]}
    assert placement_spec(spec, {"username": "a"}, "n1")["constraints"][-1] == "node.id == n1"
    assert spec["constraints"][0].endswith("{username}")  # the setting itself is untouched


def test_only_a_pending_task_no_node_can_take_is_unschedulable():
    reason = "no suitable node (scheduling constraints not satisfied on 3 nodes)"
    assert unschedulable_reason({"Status": {"State": "pending", "Err": reason}}) == reason
    assert unschedulable_reason({"Status": {"State": "pending"}}) is None
    assert unschedulable_reason({"Status": {"State": "rejected", "Err": reason}}) is None


def test_node_address_falls_back_to_the_manager_address():
    assert node_address(NODE) == "10.0.0.11"
    manager = {"Status": {"State": "ready", "Addr": "0.0.0.0"}, "ManagerStatus": {"Addr": "10.0.0.10:2377"}}
    assert node_address(manager) == "10.0.0.10"
    assert node_address({"Status": {"Addr": "0.0.0.0"}}) is None


def test_a_lost_task_names_its_node_and_why():
    given_up = {**RUNNING_TASK, "DesiredState": "shutdown"}
    assert lost_task_reason(RUNNING_TASK, NODE) is None
    down = {**NODE, "Status": {"State": "down", "Message": "heartbeat failure"}}
    assert lost_task_reason(given_up, down) == "its node worker1 is down (heartbeat failure)"
    drained = {**NODE, "Spec": {"Availability": "drain"}}
    assert lost_task_reason(given_up, drained) == "its node worker1 was set to drain"
    assert lost_task_reason(given_up, None) == "its node n1 left the swarm"
    assert lost_task_reason({**given_up, "Status": {"State": "shutdown"}}, NODE) is None


# through a real JupyterHub -----------------------------------------------------------------

def _swarm(engine):
    api = engine.api_client()
    api.init_swarm(advertise_addr="127.0.0.1")
    return api


def _label_node(api, **labels):
    node = api.nodes()[0]
    api.update_node(node["ID"], node["Version"]["Index"], {**node["Spec"], "Labels": labels})


@pytest.mark.spawner(cls="SwarmSpawner", extra_placement_spec={"constraints": ["node.labels.gpu == true"]})
async def test_a_constraint_no_node_satisfies_fails_the_spawn_at_once(hub, engine, lines):
    api = _swarm(engine)
    user = new_user(hub)
    r = await spawn(hub, user)
    assert r.status_code == 503, r.text  # the swarm's answer, not the start timeout
    message = r.json()["message"]
    assert "No node of the swarm can run your server now" in message
    assert "no suitable node (scheduling constraints not satisfied on 1 node)" in message
    await until(lambda: api.services() == [], "the service to be removed")
    errors = [line for line in lines.text().splitlines() if "Swarm cannot place" in line]
    assert len(errors) == 1 and user.name in errors[0]
    assert "Traceback" not in lines.text()


@pytest.mark.spawner(cls="SwarmSpawner",
                     extra_placement_spec={"constraints": ["node.labels.jupyter-user == {username}"]})
async def test_a_templated_constraint_places_each_user_on_their_node(hub, engine):
    api = _swarm(engine)
    user = new_user(hub)
    _label_node(api, **{"jupyter-user": user.name})
    spawner = await spawn_ready(hub, user)
    placement = api.inspect_service(spawner.service_id)["Spec"]["TaskTemplate"]["Placement"]
    assert placement["Constraints"] == [f"node.labels.jupyter-user == {user.name}"]
    await stop(hub, user)
    other = new_user(hub)  # no node carries this user's label
    r = await spawn(hub, other)
    assert r.status_code == 503 and "no suitable node" in r.json()["message"]


@pytest.mark.spawner(cls="SwarmSpawner", publish_mode="host")
async def test_host_mode_answers_at_the_address_of_the_tasks_node(hub, engine):
    api = _swarm(engine)
    user = new_user(hub)
    spawner = await spawn_ready(hub, user)
    [task] = api.tasks(filters={"service": spawner.service_id})
    published = task["Status"]["PortStatus"]["Ports"][0]
    assert published["PublishMode"] == "host"
    assert (spawner.server.ip, spawner.server.port) == (
        api.inspect_node(task["NodeID"])["Status"]["Addr"], published["PublishedPort"])
    # the node's address, not host_ip: a node advertising another address is reached there
    engine.swarm.cluster.node.addr = "10.213.213.11"
    assert await spawner.get_ip_and_port() == ("10.213.213.11", published["PublishedPort"])
    engine.swarm.cluster.node.addr = "127.0.0.1"
    await stop(hub, user)


@pytest.mark.spawner(cls="SwarmSpawner", poll_interval=1)
async def test_a_lost_node_is_reported_by_poll_and_the_user_can_start_again(hub, engine):
    api = _swarm(engine)
    user = new_user(hub)
    spawner = await spawn_ready(hub, user)
    engine.swarm.lose_node()

    # JupyterHub's own periodic poll notices and does not call stop(); the service goes
    await until(lambda: not user.spawners[""].active, "the hub to see the server gone", limit=30)
    await until(lambda: api.services() == [], "the lost server's service to be removed")
    hostname = api.nodes()[0]["Description"]["Hostname"]
    assert spawner._previous_exit == f"service lost: its node {hostname} is down (heartbeat failure)"

    # the next spawn tells the user why, and lands once a node is ready again
    engine.swarm.restore_node()
    requested = asyncio.ensure_future(spawn(hub, user))
    await until(lambda: user.spawners[""].pending == "spawn", "the spawn to be pending")
    events = await read_progress(hub, user)
    assert any("is down (heartbeat failure)" in e["message"] for e in events), events
    assert (await requested).status_code in (201, 202)
    await wait_for_spawn(hub, user)
    [task] = api.tasks(filters={"service": user.spawners[""].service_id})
    assert task["Status"]["State"] == "running"
    await stop(hub, user)
    assert api.services() == []


@pytest.mark.spawner(cls="SwarmSpawner", pin_to_node=True)
async def test_pin_to_node_keeps_a_user_on_the_node_of_their_volumes(hub, engine, lines):
    api = _swarm(engine)
    user = new_user(hub)
    spawner = await spawn_ready(hub, user)
    node = api.nodes()[0]
    [task] = api.tasks(filters={"service": spawner.service_id})
    pinned = {"id": node["ID"], "hostname": node["Description"]["Hostname"]}
    assert task["NodeID"] == node["ID"]
    await stop(hub, user)
    # kept in the database across the stop (JupyterHub clears and saves the state then)
    orm_state = user.orm_user.orm_spawners[""].state
    assert orm_state["pinned_node"] == pinned
    assert "object_id" not in orm_state

    # the pin places the next server on that node; while the node takes nothing, the user
    # is told the server waits for it
    api.update_node(node["ID"], node["Version"]["Index"], {**node["Spec"], "Availability": "drain"})
    r = await spawn(hub, user)
    assert r.status_code == 503
    message = r.json()["message"]
    assert "1 node not available for new tasks" in message
    assert f"pinned to node {pinned['hostname']}" in message
    node = api.nodes()[0]
    api.update_node(node["ID"], node["Version"]["Index"], {**node["Spec"], "Availability": "active"})
    spawner = await spawn_ready(hub, user)
    constraints = api.inspect_service(spawner.service_id)["Spec"]["TaskTemplate"]["Placement"]["Constraints"]
    assert constraints == [f"node.id == {node['ID']}"]
    await stop(hub, user)


@pytest.mark.spawner(cls="SwarmSpawner", pin_to_node=True)
async def test_a_pin_to_a_node_that_left_the_swarm_is_dropped(hub, engine, lines):
    _swarm(engine)
    user = new_user(hub)
    user.orm_user.orm_spawners[""].state = {"pinned_node": {"id": "gone0node0id", "hostname": "old-worker"}}
    hub.db.commit()
    spawner = await spawn_ready(hub, user)
    placement = engine.api_client().inspect_service(spawner.service_id)["Spec"]["TaskTemplate"].get("Placement")
    assert "gone0node0id" not in str(placement)
    assert any("old-worker" in line and "left the swarm" in line for line in lines.text().splitlines())
    assert spawner.get_state()["pinned_node"]["id"] == engine.api_client().nodes()[0]["ID"]
    await stop(hub, user)


def test_pin_to_node_is_a_swarm_setting():
    assert SwarmSpawner.class_traits()["pin_to_node"].default_value is False
