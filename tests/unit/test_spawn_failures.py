"""Failures a user or an admin can cause, as JupyterHub counts them: on JupyterHub >= 6 each is a
``SpawnException`` with a reason (logged without a traceback, counted by reason in
``jupyterhub_server_spawn_duration_seconds`` with status ``failure``, never toward
``consecutive_failure_limit``); before, an HTTPError with the same status and message.  One test
per reason, each through JupyterHub's own REST API (MockHub)."""

from __future__ import annotations

import jupyterhub
import pytest
from hub_helpers import new_user, spawn, spawn_ready, stop, until

from dockerspawner import errors

try:
    from jupyterhub.spawner import SpawnException
except ImportError:  # JupyterHub 4.1, 5.x
    SpawnException = None

counts_reasons = pytest.mark.skipif(SpawnException is None, reason="this JupyterHub has no SpawnException (added in 6.0)")


def jupyterhubs_own(record) -> bool:
    """JupyterHub before 5.0 logs every HTTPError a spawn raises with its traceback itself."""
    return jupyterhub.version_info < (5,) and record.getMessage().startswith("Unhandled error starting")


def failures(reason: str) -> float:
    """How many spawns JupyterHub's metrics counted as failed for ``reason``."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("jupyterhub_server_spawn_duration_seconds_count",
                                     {"status": "failure", "reason": reason}) or 0


async def refused(hub, lines, user, status: int, reason: str, server_name: str = "", **options) -> str:
    """Spawn through the REST API, expecting it refused with ``status``; on JupyterHub >= 6 it
    is counted under ``reason`` and not toward the consecutive failure limit.  The message."""
    before = failures(reason)
    r = await spawn(hub, user, server_name, **options)
    assert r.status_code == status, r.text
    spawner = user.spawners[server_name]
    await until(lambda: not spawner.pending, "the spawn to end")
    assert not spawner.active
    assert not [rec.getMessage() for rec in lines.records if rec.exc_info and not jupyterhubs_own(rec)], \
        "a traceback was logged"
    if SpawnException is not None:
        await until(lambda: failures(reason) == before + 1, f"JupyterHub to count a failure for {reason!r}")
        assert hub.tornado_application.settings.get("failure_count", 0) == 0
    return r.json()["message"]


@pytest.mark.spawner(allowed_images={"Python": "quay.io/jupyterhub/singleuser:test"})
async def test_an_image_not_allowed(hub, lines, engine):
    message = await refused(hub, lines, new_user(hub), 400, errors.REASON_IMAGE, image="evil/miner:1")
    assert "'evil/miner:1' is not in the allowed list: Python" in message


@pytest.mark.spawner(profile_list=[{"display_name": "Small", "slug": "small", "default": True}])
async def test_a_profile_not_offered(hub, lines, engine):
    message = await refused(hub, lines, new_user(hub), 400, errors.REASON_PROFILE, profile="huge")
    assert "huge" in message


@pytest.mark.spawner(gpus=1, gpu_ids=["0"])
async def test_too_few_free_gpus(hub, lines, engine):
    engine.declare_gpus(1)
    holder = new_user(hub)
    await spawn_ready(hub, holder)
    try:
        message = await refused(hub, lines, new_user(hub), 503, errors.REASON_GPU)
        assert "Your server needs 1 GPU" in message
    finally:
        await stop(hub, holder)


@pytest.mark.spawner(name_template="{prefix}-{no_such_field}")
async def test_a_setting_the_spawner_cannot_use(hub, lines, engine):
    message = await refused(hub, lines, new_user(hub), 500, errors.REASON_CONFIG)
    assert "configuration error in name_template" in message


@pytest.mark.spawner(mem_limit="512M", cpu_limit=0.5)
async def test_limits_the_engine_dropped(hub, lines, engine):
    """Rootless Podman on cgroups v1 creates the container without its limits, saying nothing:
    the server is not started unlimited, and nothing is left."""
    engine.resource_limits = False
    message = await refused(hub, lines, new_user(hub), 500, errors.REASON_CONFIG)
    assert "configuration error in cpu_limit" in message and "without these limits" in message
    assert "unset cpu_limit, mem_limit" in message
    assert engine.api_client().containers(all=True) == []


async def test_the_daemon_down(hub, lines, engine):
    engine.faults.daemon_down()
    try:
        message = await refused(hub, lines, new_user(hub), 503, errors.REASON_UNREACHABLE)
    finally:
        engine.faults.daemon_up()
    assert "is not reachable" in message


@pytest.mark.spawner(pull_policy="always", image="127.0.0.1:5000/absent/image:1")
async def test_an_image_that_cannot_be_pulled(hub, lines, engine):
    message = await refused(hub, lines, new_user(hub), 500, errors.REASON_PULL)
    assert "Could not pull image 127.0.0.1:5000/absent/image:1" in message


@pytest.mark.spawner(extra_host_config={"nano_cpus": 1_000_000_000})
async def test_a_call_the_daemon_refuses(hub, lines, engine):
    message = await refused(hub, lines, new_user(hub), 500, errors.REASON_DOCKER)
    assert "Docker could not start your server: Conflicting options: Nano CPUs and CPU Period" in message


@pytest.mark.spawner(image="busybox:1.30.1", cmd=["sh", "-c", "echo no jupyterhub here >&2; exit 127"])
async def test_a_server_that_exits_while_starting(hub, lines, engine):
    user = new_user(hub)
    message = await refused(hub, lines, user, 500, errors.REASON_EXITED)
    assert "exited during startup with code 127" in message and "no jupyterhub here" in message


@pytest.mark.spawner(cls="SwarmSpawner", extra_placement_spec={"constraints": ["node.labels.gpu == yes"]})
async def test_no_node_can_run_the_server(hub, lines, engine):
    engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    message = await refused(hub, lines, new_user(hub), 503, errors.REASON_NO_NODE)
    assert "No node of the swarm can run your server now: no suitable node" in message


@pytest.mark.spawner(cls="SwarmSpawner")
async def test_an_engine_without_services(hub, lines, engine):
    """Podman answers every service call with a 503 of its own: the spawn says so, and the
    poll JupyterHub makes to clean up after it asks the engine nothing (nothing was made), so
    no traceback is logged."""
    podman = "Podman does not support service: /v1.41/services/jupyter-x"
    engine.faults.fail("inspect_service", status=503, message=podman, times=None)
    engine.faults.fail("create_service", status=503, message=podman, times=None)
    message = await refused(hub, lines, new_user(hub), 500, errors.REASON_DOCKER)
    assert f"Docker could not start your server: {podman}" in message


@pytest.mark.spawner(cls="SystemUserSpawner")
async def test_no_system_account(hub, lines, engine):
    message = await refused(hub, lines, new_user(hub, "nosuchaccount"), 403, errors.REASON_ACCOUNT)
    assert "no system account" in message


@counts_reasons
async def test_a_server_that_exits_while_starting_shows_its_log_lines_as_html(make_spawner):
    spawner = make_spawner(image="busybox:1.30.1", cmd=["sh", "-c", "echo '<b>config</b> is broken' >&2; exit 3"])
    with pytest.raises(SpawnException) as err:
        await spawner.start()
    assert err.value.reason == errors.REASON_EXITED and err.value.status_code == 500
    assert "Last lines of its log:<pre>" in err.value.message_html
    assert "&lt;b&gt;config&lt;/b&gt; is broken" in err.value.message_html


@counts_reasons
@pytest.mark.spawner(gpus=1, gpu_ids=["0"], consecutive_failure_limit=2)
async def test_refusals_never_reach_the_consecutive_failure_limit(hub, lines, engine):
    """A full GPU pool answers 503; JupyterHub 6 counts an HTTPError of 500 or more as an error,
    and at consecutive_failure_limit errors the hub exits.  Refusals are not errors."""
    engine.declare_gpus(1)
    holder = new_user(hub)
    await spawn_ready(hub, holder)
    try:
        for _ in range(3):
            await refused(hub, lines, new_user(hub), 503, errors.REASON_GPU)
        assert hub.tornado_application.settings.get("failure_count", 0) == 0
    finally:
        await stop(hub, holder)


@pytest.fixture
def make_spawner(engine):
    from conftest import SINGLEUSER_IMAGE
    from hub_helpers import handed_over_spawner

    from dockerspawner import DockerSpawner

    def make(**traits):
        traits.setdefault("image", SINGLEUSER_IMAGE)
        return handed_over_spawner(DockerSpawner, "failing", "", "tok-failing", **traits)

    return make
