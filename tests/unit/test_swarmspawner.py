"""SwarmSpawner on fakedocker's swarm: the service spec, task states, addresses, poll and stop."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest
from hub_helpers import answers_through_proxy, new_user, spawn, spawn_ready, stop, until
from jupyterhub.objects import Hub, Server
from strict_client import StrictClient
from tornado import web

import fakedocker
from dockerspawner import SwarmSpawner, process_state
from dockerspawner.client import ClientCache
from dockerspawner.spec import ContainerRequest, ServiceOptions, build_service_kwargs

IMAGE = "quay.io/jupyterhub/singleuser:test"


def swarm_engine(**kwargs) -> fakedocker.FakeEngine:
    engine = fakedocker.FakeEngine(**kwargs)
    engine.add_image(IMAGE, config={"Cmd": ["jupyterhub-singleuser"], "ExposedPorts": {"8888/tcp": {}}})
    engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    return engine


@pytest.fixture
def make_spawner(monkeypatch):
    original_get = ClientCache.get.__func__
    monkeypatch.setattr(
        ClientCache, "get", classmethod(lambda cls, key, factory: original_get(cls, key, lambda: StrictClient(factory())))
    )
    patches = []

    def make(engine, username: str = "alice", server_name: str = "", **traits) -> SwarmSpawner:
        if not patches:
            process_state.reset()
            patch = fakedocker.patch(engine)
            patch.__enter__()
            patches.append(patch)
        user = SimpleNamespace(name=username, url=f"/user/{username}/", escaped_name=username)
        traits.setdefault("image", IMAGE)
        # these tasks' containers serve no HTTP (and their address, the service name, does not
        # resolve here): start() returns when the task runs, as with the check turned off
        traits.setdefault("wait_for_server_interval", 0)
        spawner = SwarmSpawner(user=user, hub=Hub(ip="127.0.0.1", port=8081), orm_spawner=SimpleNamespace(name=server_name, server=None),
                               **traits)
        spawner.api_token = "tok-swarm"
        spawner.server = Server(base_url=f"/user/{username}/")
        return spawner

    yield make
    for patch in patches:
        patch.__exit__(None, None, None)
    process_state.reset()


# the spec ---------------------------------------------------------------------------------------


def test_service_spec_renders_every_extra_option():
    req = ContainerRequest(
        image="img:1", name="jupyter-alice", port=8888, command=["jupyterhub-singleuser"],
        environment={"A": "1"}, labels={"org.jupyter.hub.user": "alice"}, network_name="jhub-overlay",
        volume_binds={"home-alice": {"bind": "/home/jovyan", "mode": "rw"},
                      "/srv/data": {"bind": "/data", "mode": "ro"}},
        mem_limit=2 * 1024**3, mem_guarantee=1024**3, cpu_limit=1.5, cpu_guarantee=0.25,
    )
    opts = ServiceOptions(
        publish_mode="host",
        volume_driver="nfs", volume_driver_options={"addr": "127.0.0.1"},
        extra_container_spec={"stop_grace_period": 5_000_000_000, "hostname": "nb"},
        extra_task_spec={"log_driver": {"Name": "json-file"}},
        extra_resources_spec={"mem_reservation": 512 * 1024**2},
        extra_placement_spec={"constraints": ["node.role == worker"]},
        extra_endpoint_spec={"mode": "vip"},
    )
    kwargs = build_service_kwargs(req, opts)
    template = kwargs["task_template"]
    container = template["ContainerSpec"]
    assert kwargs["name"] == "jupyter-alice"
    assert kwargs["labels"] == {"org.jupyter.hub.managed-by": "dockerspawner", "org.jupyter.hub.user": "alice"}
    assert container["Image"] == "img:1"
    assert container["Args"] == ["jupyterhub-singleuser"] and container.get("Command") is None
    assert container["Env"] == ["A=1"]
    assert container["Hostname"] == "nb" and container["StopGracePeriod"] == 5_000_000_000
    assert container["Mounts"] == [
        {"Target": "/home/jovyan", "Source": "home-alice", "Type": "volume", "ReadOnly": False,
         "VolumeOptions": {"DriverConfig": {"Name": "nfs", "Options": {"addr": "127.0.0.1"}}}},
        {"Target": "/data", "Source": "/srv/data", "Type": "bind", "ReadOnly": True},
    ]
    assert template["Resources"] == {
        "Limits": {"MemoryBytes": 2 * 1024**3, "NanoCPUs": 1_500_000_000},
        "Reservations": {"MemoryBytes": 512 * 1024**2, "NanoCPUs": 250_000_000},
    }
    assert template["Placement"] == {"Constraints": ["node.role == worker"]}
    assert template["RestartPolicy"]["Condition"] == "none"
    assert template["LogDriver"] == {"Name": "json-file"}
    assert template["Networks"] == [{"Target": "jhub-overlay"}]
    assert kwargs["endpoint_spec"] == {
        "Mode": "vip", "Ports": [{"Protocol": "tcp", "PublishedPort": None, "TargetPort": 8888, "PublishMode": "host"}]
    }


def test_service_spec_without_publishing_or_extras():
    req = ContainerRequest(image="img:1", name="n", port=8888)
    kwargs = build_service_kwargs(req, ServiceOptions(publish_mode=None))
    assert kwargs["endpoint_spec"] == {}
    assert "Networks" not in kwargs["task_template"]
    assert "Placement" not in kwargs["task_template"]


# the lifecycle on the fake swarm --------------------------------------------------------------------


async def test_spawn_poll_stop(make_spawner):
    engine = swarm_engine()
    spawner = make_spawner(engine, mem_limit="1G", cpu_limit=0.5, publish_mode="host",
                           volumes={"home-{username}": "/home/jovyan/work"})
    assert spawner.pull_policy == "skip" and spawner.will_resume is False
    ip, port = await spawner.start()
    api = engine.api_client()
    service = api.inspect_service(spawner.service_id)
    assert service["Spec"]["Name"] == spawner.service_name == "jupyter-alice"
    assert service["Spec"]["TaskTemplate"]["Resources"]["Limits"] == {"MemoryBytes": 1024**3, "NanoCPUs": 500_000_000}
    [task] = api.tasks(filters={"service": spawner.service_id})
    assert task["Status"]["State"] == "running"
    published = task["Status"]["PortStatus"]["Ports"][0]
    assert (ip, port) == ("127.0.0.1", published["PublishedPort"])
    env = dict(e.split("=", 1) for e in service["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"])
    assert env["JUPYTERHUB_USER"] == "alice" and env["JUPYTER_IMAGE_SPEC"] == IMAGE
    assert await spawner.poll() is None
    assert spawner.get_state() == {"object_id": spawner.service_id, "object_name": "jupyter-alice",
                                   "volume_names": {"home-{username}": "home-alice"}}

    engine.calls.clear()
    others = [make_spawner(engine, f"user{i}") for i in range(20)]
    await asyncio.gather(*(o.start() for o in others))
    spawner.monitor.invalidate()
    engine.calls.clear()
    assert await asyncio.gather(*(o.poll() for o in [spawner, *others])) == [None] * 21
    assert engine.calls == {"services": 1, "tasks": 1}  # two calls for 21 servers
    await asyncio.gather(*(o.stop() for o in others))

    await spawner.stop()
    assert api.services(filters={"name": "jupyter-alice"}) == []
    # the volume's name stays the server's (its data outlives the service)
    assert spawner.object_id is None and spawner.get_state() == {"volume_names": {"home-{username}": "home-alice"}}
    assert await spawner.poll() == 0


async def test_state_survives_a_hub_restart(make_spawner):
    engine = swarm_engine()
    first = make_spawner(engine)
    await first.start()
    state = first.get_state()
    second = make_spawner(engine)
    second.load_state(state)
    assert second.service_id == first.service_id
    assert await second.poll() is None
    await second.stop()
    assert engine.api_client().services() == []


async def test_internal_ip_and_hostname_on_an_overlay_network(make_spawner):
    engine = swarm_engine()
    api = engine.api_client()
    api.create_network("jhub-overlay", driver="overlay", attachable=True)
    spawner = make_spawner(engine, network_name="jhub-overlay")
    assert spawner.use_internal_ip is True
    ip, port = await spawner.start()
    [task] = api.tasks(filters={"service": spawner.service_id})
    [attachment] = [a for a in task["NetworksAttachments"] if a["Network"]["Spec"]["Name"] == "jhub-overlay"]
    assert ip == attachment["Addresses"][0].split("/")[0] and port == 8888
    assert "Ports" not in api.inspect_service(spawner.service_id)["Endpoint"]["Spec"]  # nothing published
    await spawner.stop()
    named = make_spawner(engine, "bob", network_name="jhub-overlay", use_internal_hostname=True)
    assert await named.start() == ("jupyter-bob", 8888)
    await named.stop()


async def test_missing_image_rejects_the_task_with_its_own_error(make_spawner, caplog):
    engine = swarm_engine()
    spawner = make_spawner(engine, image="127.0.0.1:5000/nowhere/notebook:1")
    with caplog.at_level(logging.ERROR), pytest.raises(web.HTTPError) as err:
        await asyncio.wait_for(spawner.start(), 10)
    assert err.value.status_code == 500
    assert "task rejected" in err.value.log_message
    assert "No such image: 127.0.0.1:5000/nowhere/notebook:1" in err.value.log_message
    assert "No such image" in caplog.text
    assert "Traceback" not in caplog.text


async def test_failed_task_is_reported_by_poll(make_spawner):
    engine = swarm_engine()
    spawner = make_spawner(engine)
    await spawner.start()
    engine.swarm.fail_task(spawner.service_id, exit_code=3)
    spawner.monitor.invalidate()  # as when the next poll interval comes
    status = await spawner.poll()
    assert status == "service failed: task: non-zero exit (3)"
    await spawner.stop()


async def test_start_waits_through_the_pending_task_states(make_spawner):
    now = [1000.0]
    engine = swarm_engine(transitions="timer", clock=lambda: now[0], step_delay=1.0)
    spawner = make_spawner(engine)
    starting = asyncio.ensure_future(spawner.start())
    await until(lambda: engine.calls.get("tasks", 0) >= 3, "the spawner to look at the task a few times")
    assert not starting.done()
    [task] = engine.api_client().tasks(filters={"service": spawner.service_id})
    assert task["Status"]["State"] in ("new", "pending", "assigned", "accepted", "preparing", "starting")
    now[0] += 60  # every remaining state is due
    ip, port = await asyncio.wait_for(starting, 10)
    assert port > 0
    messages = [e["message"] for e in spawner._progress_events]
    assert messages[0] == "Creating service jupyter-alice"
    assert "Swarm task running" in messages and messages[-1] == "Waiting for the server to answer"
    progress = [e["progress"] for e in spawner._progress_events if "progress" in e]
    assert progress == sorted(progress)

    # stop() returns once the task has ended, not when the service is only asked to go (a
    # next server must not meet it on its volumes or at its service name)
    task_name = f"{spawner.service_name}."
    tasks_before = engine.calls.get("tasks", 0)
    stopping = asyncio.ensure_future(spawner.stop())
    await until(lambda: engine.calls.get("remove_service") and engine.calls.get("tasks", 0) >= tasks_before + 3,
                "stop() to look at the removed service's tasks twice")
    assert not stopping.done()
    [task] = engine.api_client().tasks(filters={"name": task_name})
    assert (task["DesiredState"], task["Status"]["State"]) == ("remove", "running")
    now[0] += 60  # the shutdown is due
    await asyncio.wait_for(stopping, 10)
    assert all(t["Status"]["State"] == "shutdown" for t in engine.api_client().tasks(filters={"name": task_name}))


async def test_a_leftover_service_is_replaced(make_spawner):
    engine = swarm_engine()
    first = make_spawner(engine)
    await first.start()
    leftover = first.service_id
    second = make_spawner(engine)  # a new hub that lost the state
    await second.start()
    assert second.service_id != leftover
    assert [s["ID"] for s in engine.api_client().services()] == [second.service_id]
    await second.stop()


# through a real JupyterHub -------------------------------------------------------------------------


@pytest.mark.spawner(cls="SwarmSpawner", publish_mode="host")
async def test_swarm_spawn_answers_through_the_proxy_and_stops(hub, engine):
    engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    user = new_user(hub)
    await spawn_ready(hub, user)
    spawner = user.spawners[""]
    assert isinstance(spawner, SwarmSpawner)
    assert (await answers_through_proxy(hub, user)).endswith(f"/user/{user.name}/api/status")
    api = engine.api_client()
    [task] = api.tasks(filters={"service": spawner.service_id})
    container = api.inspect_container(task["Status"]["ContainerStatus"]["ContainerID"])
    assert container["Config"]["Labels"]["org.jupyter.hub.user"] == user.name
    await stop(hub, user)
    assert api.services() == []
    assert api.containers(all=True, filters={"label": f"org.jupyter.hub.user={user.name}"}) == []


@pytest.mark.spawner(cls="SwarmSpawner", image="127.0.0.1:5000/nowhere/notebook:1")
async def test_swarm_rejection_reaches_the_user(hub, engine):
    engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    user = new_user(hub)
    r = await spawn(hub, user)
    assert r.status_code == 500
    assert "task rejected" in r.json()["message"]
    assert "No such image: 127.0.0.1:5000/nowhere/notebook:1" in r.json()["message"]


# what a service can express, and what it cannot --------------------------------------------------


# the service name on the overlay network does not resolve here: no wait for its server
@pytest.mark.spawner(cls="SwarmSpawner", network_name="jhub-overlay", stop_grace_period=20, wait_for_server_interval=0,
                     extra_create_kwargs={"labels": {"team": "{raw_username}-team"}, "hostname": "nb-{username}"},
                     extra_host_config={"network_mode": "jhub-overlay", "cap_add": ["SYS_PTRACE"],
                                        "extra_hosts": {"db.internal": "127.0.0.1"}, "cpu_period": 50_000})
async def test_swarm_honours_what_a_service_can_express(hub, engine):
    api = engine.api_client()
    api.init_swarm(advertise_addr="127.0.0.1")
    api.create_network("jhub-overlay", driver="overlay", attachable=True)
    user = new_user(hub)
    await spawn_ready(hub, user)
    service = api.inspect_service(user.spawners[""].service_id)["Spec"]
    assert service["Labels"]["team"] == f"{user.name}-team"
    assert service["Labels"]["org.jupyter.hub.user"] == user.name
    container = service["TaskTemplate"]["ContainerSpec"]
    assert container["Hostname"] == f"nb-{user.name}"
    assert container["CapabilityAdd"] == ["SYS_PTRACE"]
    assert container["Hosts"] == ["127.0.0.1 db.internal"]
    assert container["StopGracePeriod"] == 20_000_000_000
    await stop(hub, user)


@pytest.mark.parametrize(("options", "named"), [
    ({"links": {"jupyterhub": "jupyterhub"}}, "links"),
    ({"extra_host_config": {"privileged": True}}, "extra_host_config['privileged']"),
    ({"extra_host_config": {"network_mode": "host"}}, "extra_host_config['network_mode']"),
    ({"extra_create_kwargs": {"mac_address": "02:42:ac:11:00:02"}}, "extra_create_kwargs['mac_address']"),
    ({"no_new_privileges": True}, "no_new_privileges"),
    ({"post_start_cmd": "touch /tmp/ready"}, "post_start_cmd"),
])
@pytest.mark.spawner(cls="SwarmSpawner")
async def test_swarm_refuses_what_a_service_cannot_express(hub, engine, options, named):
    engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    user = new_user(hub)
    spawner = user.spawners[""]
    assert isinstance(spawner, SwarmSpawner)
    for key, value in options.items():
        setattr(spawner, key, value)
    r = await spawn(hub, user)
    assert r.status_code == 500, r.text
    assert named in r.json()["message"]
    assert engine.api_client().services() == []  # refused before anything was created


async def test_swarm_sets_no_new_privileges_where_the_daemon_can(make_spawner):
    engine = swarm_engine(api_version="1.46")
    spawner = make_spawner(engine, no_new_privileges=True)
    await spawner.start()
    spec = engine.api_client().inspect_service(spawner.service_id)["Spec"]
    assert spec["TaskTemplate"]["ContainerSpec"]["Privileges"] == {"NoNewPrivileges": True}
    await spawner.stop()


async def test_a_swarm_spawn_checks_and_creates_one_request(make_spawner):
    calls = []

    def numbered(spawner):
        calls.append(1)
        return str(len(calls))

    engine = swarm_engine()
    spawner = make_spawner(engine, environment={"SPAWN": numbered})
    await spawner.start()
    assert len(calls) == 1  # checked against what a service can express and created from it
    env = engine.api_client().inspect_service(spawner.service_id)["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert "SPAWN=1" in env
    await spawner.stop()
