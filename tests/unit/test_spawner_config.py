"""DockerSpawner's configuration surface, exercised on a spawner object against fakedocker
(no hub): images, pull policy, names, limits, volumes, extra kwargs, env, deprecations."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import docker
import pytest
from conftest import SINGLEUSER_IMAGE
from jupyterhub.objects import Hub, Server
from tornado import web
from traitlets.config import Config

from dockerspawner import DockerSpawner, process_state, volumenamingstrategy
from dockerspawner.client import client_kwargs_for, remote_daemon_host
from dockerspawner.spec import build_create_kwargs

TOKEN = "tok-3b7c1f0a9e"


@pytest.fixture
def make_spawner(engine):
    made = []

    def make(username: str = "alice", server_name: str = "", config: Config | None = None, **traits):
        user = SimpleNamespace(name=username, url=f"/user/{username}/", escaped_name=username)
        config = config or Config()
        if "container_image" not in config.DockerSpawner:
            traits.setdefault("image", SINGLEUSER_IMAGE)
        spawner = DockerSpawner(user=user, hub=Hub(ip="127.0.0.1", port=8081), orm_spawner=SimpleNamespace(name=server_name, server=None),
                                config=config, **traits)
        spawner.api_token = TOKEN
        spawner.server = Server(base_url=f"/user/{username}/{server_name + '/' if server_name else ''}")
        made.append(spawner)
        return spawner

    return make


async def create_kwargs(spawner: DockerSpawner) -> dict:
    return build_create_kwargs(await spawner.container_request(), spawner.client.api_version)


# names ---------------------------------------------------------------------------------------


def test_default_names_escape_dns_safe(make_spawner):
    spawner = make_spawner("Jane.Doe@Example")
    assert spawner.escaped_name == "-4aane-2e-44oe-40-45xample"
    assert spawner.object_name == "jupyter--4aane-2e-44oe-40-45xample"
    assert spawner.container_name == spawner.object_name
    named = make_spawner("bob", server_name="Lab 1")
    # lowercased before escaping, as in the reference: existing containers keep their names
    assert named.object_name == "jupyter-bob--lab-201"


def test_legacy_and_callable_escape(make_spawner):
    assert make_spawner("Jane.Doe", escape="legacy").escaped_name == "Jane_2EDoe"
    assert make_spawner("Jane", escape=lambda s: s.upper()).escaped_name == "JANE"


def test_name_template_fields(make_spawner):
    spawner = make_spawner(
        "Ann", server_name="x",
        name_template="{prefix}_{username}_{raw_username}_{imagename}_{servername}",
        prefix="hub",
    )
    assert spawner.object_name == "hub_-41nn_Ann_quay.io-jupyterhub-singleuser-test_x"
    assert ":" not in spawner.template_namespace()["imagename"]


def test_object_and_container_id_aliases(make_spawner):
    spawner = make_spawner()
    spawner.container_id = "abc"
    assert spawner.object_id == "abc"
    spawner.load_state({"container_id": "old-key"})
    assert spawner.object_id == "old-key"
    spawner.load_state({"object_id": "new-key"})
    assert spawner.get_state()["object_id"] == "new-key"


# images ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "requested", "expected"),
    [
        ({}, "other:1", 400),
        ([], "other:1", 400),
        (["a:1", "b:2"], "b:2", "b:2"),
        (["a:1", "b:2"], "evil:latest", 400),
        ({"Python": "py:3", "R": "r:4"}, "R", "r:4"),
        ({"Python": "py:3", "R": "r:4"}, "r:4", 400),  # the value is not a key
        ("*", "anything/at:all", "anything/at:all"),
        (lambda spawner: ["c:" + spawner.user.name], "c:alice", "c:alice"),
        (lambda spawner: ["c:" + spawner.user.name], "c:bob", 400),
    ],
)
async def test_allowed_images(make_spawner, allowed, requested, expected):
    spawner = make_spawner(allowed_images=allowed)
    spawner.user_options = {"image": requested}
    if expected == 400:
        with pytest.raises(web.HTTPError) as err:
            await spawner._apply_image_option()
        assert err.value.status_code == 400
        assert spawner.image == SINGLEUSER_IMAGE
    else:
        await spawner._apply_image_option()
        assert spawner.image == expected


async def test_async_allowed_images_callable(make_spawner):
    async def allowed(spawner):
        return {"one": "one:1"}

    spawner = make_spawner(allowed_images=allowed)
    spawner.user_options = {"image": "one"}
    await spawner._apply_image_option()
    assert spawner.image == "one:1"


@pytest.mark.parametrize("bad", [
    ["a:1"], {"x": 1}, 3, "", "   ",  # not a string
    # with any image allowed, still a valid reference
    "--privileged", "busybox; rm -rf /", "Busybox:1", "a b", "../../etc/passwd",
    "busybox:1\nrm", "registry:5000/../x", "x@sha256:zz",
])
async def test_a_requested_image_must_be_a_valid_reference(make_spawner, bad):
    spawner = make_spawner(allowed_images="*")
    spawner.user_options = {"image": bad}
    with pytest.raises(web.HTTPError) as err:
        await spawner._apply_image_option()
    assert err.value.status_code == 400
    assert spawner.image == SINGLEUSER_IMAGE


async def test_default_options_form(make_spawner):
    one = make_spawner(allowed_images=["only:1"])
    assert await one.options_form(one) == ""
    several = make_spawner(allowed_images={"Py <3>": "py:3", "R": "r:4"})
    form = await several.options_form(several)
    assert '<select class="form-control" name="image"' in form
    assert '<option value="Py &lt;3&gt;">' in form and '<option value="R">' in form
    assert several.options_from_form({"image": ["R"], "other": ["x"]}) == {"image": "R"}
    assert several.options_from_form({}) == {}


async def test_image_env(make_spawner):
    env = make_spawner().get_env()
    assert env["JUPYTER_IMAGE_SPEC"] == SINGLEUSER_IMAGE
    assert "JUPYTER_IMAGE" not in env  # the reference sets only JUPYTER_IMAGE_SPEC


# pull policy -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "present", "pulls", "error"),
    [
        ("ifnotpresent", True, 0, None),
        ("ifnotpresent", False, 1, None),
        ("IfNotPresent", False, 1, None),
        ("always", True, 1, None),
        ("always", False, 1, None),
        ("never", True, 0, None),
        ("never", False, 0, 500),
        ("skip", False, 0, None),
    ],
)
async def test_pull_policy(make_spawner, engine, policy, present, pulls, error):
    image = "127.0.0.1:5000/team/notebook:2"
    engine.registry.push(image, config={"Cmd": ["jupyterhub-singleuser"]})
    if present:
        engine.add_image(image, config={"Cmd": ["jupyterhub-singleuser"]})
    spawner = make_spawner(pull_policy=policy)
    engine.calls.clear()
    if error:
        with pytest.raises(web.HTTPError) as err:
            await spawner.pull_image(image)
        assert err.value.status_code == error
        assert "not present" in err.value.log_message
    else:
        await spawner.pull_image(image)
    assert engine.calls.get("pull", 0) == pulls
    if policy == "skip":
        assert engine.calls == {}
    if not error and policy != "skip":
        assert engine.images.resolve(image) is not None


async def test_pull_failure_is_a_clear_error(make_spawner, engine):
    spawner = make_spawner()
    with pytest.raises(web.HTTPError) as err:
        await spawner.pull_image("127.0.0.1:5000/missing/image:9")
    assert err.value.status_code == 500
    assert "127.0.0.1:5000/missing/image:9" in err.value.log_message
    assert "not found" in err.value.log_message


# resources ----------------------------------------------------------------------------------------


async def test_limits_and_guarantees_in_host_config(make_spawner):
    spawner = make_spawner(mem_limit="1G", cpu_limit=1.5, mem_guarantee="512M", cpu_guarantee=0.5)
    host = (await create_kwargs(spawner))["host_config"]
    assert host["Memory"] == 1024**3
    assert host["CpuPeriod"] == 100_000
    assert host["CpuQuota"] == 150_000
    assert host["MemoryReservation"] == 512 * 1024**2
    assert host["CpuShares"] == 512


async def test_callable_limits_and_cpu_period_override(make_spawner):
    async def mem(spawner):
        return {"alice": "2G"}.get(spawner.user.name, "1G")

    spawner = make_spawner(mem_limit=mem, cpu_limit=lambda s: 2, extra_host_config={"cpu_period": 50_000})
    host = (await create_kwargs(spawner))["host_config"]
    assert host["Memory"] == 2 * 1024**3
    assert (host["CpuPeriod"], host["CpuQuota"]) == (50_000, 100_000)


async def test_no_limits_by_default(make_spawner):
    host = (await create_kwargs(make_spawner()))["host_config"]
    for key in ("Memory", "CpuQuota", "MemoryReservation", "CpuShares"):
        assert key not in host
    assert host["CpuPeriod"] == 100_000  # without a quota it limits nothing; the reference sets it too


async def test_cpu_limit_none_sends_no_period(make_spawner):
    """The reference's test_cpu_limit: cpu_limit = None (set explicitly) sends no CpuPeriod;
    0, the default, sends the period without a quota; a period in extra_host_config is sent."""
    spawner = make_spawner(cpu_limit=None)
    assert (spawner.cpu_limit, make_spawner().cpu_limit, make_spawner().mem_limit) == (None, 0.0, 0)
    host = (await create_kwargs(spawner))["host_config"]
    assert "CpuPeriod" not in host and "CpuQuota" not in host
    host = (await create_kwargs(make_spawner(cpu_limit=None, extra_host_config={"cpu_period": 50_000})))["host_config"]
    assert host["CpuPeriod"] == 50_000 and "CpuQuota" not in host


# extra kwargs ------------------------------------------------------------------------------------


async def test_extra_kwargs_merge_and_format(make_spawner):
    async def extra_host(spawner):
        return {"dns": ["127.0.0.1"], "log_config": {"config": {"tag": "{username}"}}}

    spawner = make_spawner(
        extra_create_kwargs={"user": "root", "labels": {"owner": "{raw_username}"}, "working_dir": "/home/{username}"},
        extra_host_config=extra_host,
    )
    kwargs = await create_kwargs(spawner)
    assert kwargs["user"] == "root"
    assert kwargs["working_dir"] == "/home/alice"
    assert kwargs["labels"]["owner"] == "alice"
    assert kwargs["labels"]["org.jupyter.hub.user"] == "alice"  # merged, not replaced
    assert kwargs["host_config"]["Dns"] == ["127.0.0.1"]
    assert kwargs["host_config"]["LogConfig"]["Config"] == {"tag": "alice"}
    assert kwargs["host_config"]["PortBindings"] == {"8888/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}


async def test_start_arguments_merge_into_extras(make_spawner, engine):
    spawner = make_spawner(extra_host_config={"dns": ["127.0.0.1"]})
    await spawner.start(extra_host_config={"shm_size": "64m"}, extra_create_kwargs={"hostname": "box"})
    info = engine.api_client().inspect_container(spawner.object_id)
    assert info["HostConfig"]["Dns"] == ["127.0.0.1"]
    assert info["HostConfig"]["ShmSize"] == 64 * 1024**2
    assert info["Config"]["Hostname"] == "box"
    await spawner.stop()


# volumes -------------------------------------------------------------------------------------------


async def test_volumes_read_only_volumes_and_mounts(make_spawner):
    spawner = make_spawner(
        "Bo",
        volumes={
            "jupyterhub-user-{username}": "/home/jovyan/work",
            "/srv/shared/{username}": {"bind": "/mnt/shared", "mode": "z"},
        },
        read_only_volumes={"/srv/data": "/mnt/data"},
        mounts=[{"type": "volume", "source": "scratch-{username}", "target": "/scratch"}],
    )
    assert spawner.volume_binds == {
        "jupyterhub-user--42o": {"bind": "/home/jovyan/work", "mode": "rw"},
        "/srv/shared/-42o": {"bind": "/mnt/shared", "mode": "z"},
        "/srv/data": {"bind": "/mnt/data", "mode": "ro"},
    }
    assert spawner.volume_mount_points == ["/home/jovyan/work", "/mnt/data", "/mnt/shared"]
    kwargs = await create_kwargs(spawner)
    assert sorted(kwargs["host_config"]["Binds"]) == [
        "/srv/data:/mnt/data:ro",
        "/srv/shared/-42o:/mnt/shared:z",
        "jupyterhub-user--42o:/home/jovyan/work:rw",
    ]
    assert kwargs["host_config"]["Mounts"][0]["Source"] == "scratch--42o"
    assert kwargs["host_config"]["Mounts"][0]["Target"] == "/scratch"


async def test_volumes_are_created_per_user_on_the_daemon(make_spawner, engine):
    spawner = make_spawner("carol", volumes={"home-{username}": "/home/jovyan"})
    await spawner.start()
    volume = engine.api_client().inspect_volume("home-carol")
    assert volume["Name"] == "home-carol"
    await spawner.stop()


def test_format_volume_name_strategies(make_spawner):
    spawner = make_spawner("Dee", format_volume_name=volumenamingstrategy.escaped_format_volume_name,
                           volumes={"v-{username}": "/v"})
    assert list(spawner.volume_binds) == ["v--44ee"]
    custom = make_spawner("Dee", format_volume_name=lambda template, s: template.replace("{username}", "X"),
                          volumes={"v-{username}": "/v"})
    assert list(custom.volume_binds) == ["v-X"]
    assert volumenamingstrategy.default_format_volume_name("a-{username}-{servername}", spawner) == "a--44ee-"


# environment and command ------------------------------------------------------------------------------


async def test_environment_env_keep_and_templates(make_spawner, monkeypatch):
    monkeypatch.setenv("KEEP_ME", "kept")
    monkeypatch.setenv("DROP_ME", "dropped")
    spawner = make_spawner(
        environment={"STATIC": "1", "DYNAMIC": lambda s: s.user.name.upper()},
        env_keep=["KEEP_ME"],
        notebook_dir="/home/{username}/work",
        default_url="/lab/tree/{username}",
        debug=True,
    )
    env = (await create_kwargs(spawner))["environment"]
    assert env["STATIC"] == "1" and env["DYNAMIC"] == "ALICE"
    assert env["KEEP_ME"] == "kept" and "DROP_ME" not in env
    assert env["JUPYTERHUB_ROOT_DIR"] == "/home/alice/work"
    assert env["JUPYTERHUB_DEFAULT_URL"] == "/lab/tree/alice"
    assert env["JUPYTERHUB_DEBUG"] == "1"
    assert env["JUPYTERHUB_API_TOKEN"] == TOKEN


async def test_command_defaults_to_the_image_cmd_plus_args(make_spawner):
    assert await make_spawner().get_command() == ["jupyterhub-singleuser"]
    assert await make_spawner(args=["--debug"]).get_command() == ["jupyterhub-singleuser", "--debug"]
    assert await make_spawner(cmd=["start.sh", "jupyterhub-singleuser"], args=["--x"]).get_command() == [
        "start.sh", "jupyterhub-singleuser", "--x"]
    assert await make_spawner(cmd="start-notebook.sh").get_command() == ["start-notebook.sh"]


# networking ---------------------------------------------------------------------------------------------


async def test_published_port_on_host_ip(make_spawner):
    spawner = make_spawner()
    ip, port = await spawner.start()
    assert ip == "127.0.0.1" and 32768 <= port <= 60999
    await spawner.stop()


async def test_internal_ip_on_a_user_network(make_spawner, engine):
    engine.api_client().create_network("jhub-net", driver="bridge")
    # the fake's container IPs are made up: no wait for the server at one
    spawner = make_spawner(network_name="jhub-net", wait_for_server_interval=0)
    assert spawner.use_internal_ip is True
    ip, port = await spawner.start()
    info = engine.api_client().inspect_container(spawner.object_id)
    assert ip == info["NetworkSettings"]["Networks"]["jhub-net"]["IPAddress"] != ""
    assert port == 8888
    assert info["HostConfig"].get("PortBindings") in (None, {})
    await spawner.stop()


async def test_internal_hostname(make_spawner):
    spawner = make_spawner(network_name="bridge", use_internal_hostname=True, wait_for_server_interval=0)
    assert await spawner.start() == ("jupyter-alice", 8888)
    await spawner.stop()


async def test_host_network_override_keeps_working(make_spawner, engine):
    class HostNetworkSpawner(DockerSpawner):
        async def get_ip_and_port(self):
            return self.host_ip, self.port

    user = SimpleNamespace(name="hn", url="/user/hn/", escaped_name="hn")
    spawner = HostNetworkSpawner(user=user, hub=Hub(ip="127.0.0.1", port=8081), image=SINGLEUSER_IMAGE, network_name="host")
    spawner.api_token = TOKEN
    spawner.server = Server(base_url="/user/hn/")
    assert await spawner.start() == ("127.0.0.1", 8888)
    assert engine.api_client().inspect_container(spawner.object_id)["HostConfig"]["NetworkMode"] == "host"
    await spawner.stop()


def test_host_ip_follows_a_tcp_docker_host(make_spawner, monkeypatch):
    assert remote_daemon_host({}, {"DOCKER_HOST": "tcp://10.1.2.3:2376"}) == "10.1.2.3"
    assert remote_daemon_host({"base_url": "tcp://dockerhost:2375"}, {}) == "dockerhost"
    assert remote_daemon_host({}, {"DOCKER_HOST": "unix:///var/run/docker.sock"}) is None
    monkeypatch.setenv("DOCKER_HOST", "tcp://192.0.2.10:2376")
    assert make_spawner().host_ip == "192.0.2.10"
    monkeypatch.delenv("DOCKER_HOST")
    assert make_spawner().host_ip == "127.0.0.1"


def test_client_kwargs_precedence(tmp_path):
    env = {"DOCKER_HOST": "tcp://127.0.0.1:2375"}
    kwargs = client_kwargs_for({"timeout": 5}, {}, env)
    assert kwargs["base_url"] == "tcp://127.0.0.1:2375" and kwargs["timeout"] == 5
    assert kwargs["version"] == "auto"
    override = client_kwargs_for({"base_url": "unix:///other.sock"}, {}, env)
    assert override["base_url"] == "unix:///other.sock"
    tls = client_kwargs_for({}, {"verify": False}, {})
    assert isinstance(tls["tls"], docker.tls.TLSConfig)


# post_start_cmd, docker(), state -----------------------------------------------------------------------------


async def test_post_start_cmd_output_is_logged(make_spawner, engine, caplog):
    seen = []

    def handler(container, cmd, env, user, workdir):
        seen.append(cmd)
        return 0, b"prepared home\n", b""

    engine.exec_handler = handler
    spawner = make_spawner(post_start_cmd="sh -c 'mkdir -p ~/work'")
    with caplog.at_level(logging.DEBUG):
        await spawner.start()
    assert seen == [["sh", "-c", "mkdir -p ~/work"]]
    [record] = [r for r in caplog.records if "prepared home" in r.getMessage()]
    assert record.levelno == logging.DEBUG  # stdout, as the reference logs it
    await spawner.stop()


async def test_docker_method_returns_a_future(make_spawner):
    spawner = make_spawner()
    future = spawner.docker("inspect_image", SINGLEUSER_IMAGE)
    assert isinstance(future, asyncio.Future)
    assert (await future)["RepoTags"] == [SINGLEUSER_IMAGE]


async def started_and_stopped(make_spawner, remove: bool):
    """A spawner with this ``remove`` (which decides will_resume), started and stopped: the
    spawner and the id of the container it ran."""
    spawner = make_spawner(remove=remove)
    assert spawner.will_resume is not remove
    await spawner.start()
    object_id = spawner.object_id
    await spawner.stop()
    return spawner, object_id


async def test_remove_false_keeps_state_and_resumes(make_spawner, engine):
    spawner, first = await started_and_stopped(make_spawner, remove=False)
    spawner.clear_state()
    assert spawner.get_state() == {"object_id": first, "object_name": "jupyter-alice"}
    restored = make_spawner(remove=False)
    restored.load_state({"object_id": first})
    assert await restored.poll() is not None  # stopped
    await restored.start()
    assert restored.object_id == first and await restored.poll() is None
    await restored.stop()


async def test_remove_true_removes_and_clears(make_spawner, engine):
    spawner, container = await started_and_stopped(make_spawner, remove=True)
    assert spawner.object_id is None and spawner.get_state() == {}
    with pytest.raises(docker.errors.NotFound):
        engine.api_client().inspect_container(container)


async def test_poll_reports_exit_and_disappearance(make_spawner, engine):
    spawner = make_spawner()
    await spawner.start()
    assert await spawner.poll() is None
    engine.crash(spawner.object_id, exit_code=3)
    spawner.monitor.invalidate()  # as when the next poll interval comes
    assert "exited with code 3" in await spawner.poll()
    engine.api_client().remove_container(spawner.object_id, force=True)
    spawner.monitor.invalidate()
    assert await spawner.poll() == 0


async def test_polls_share_one_list_call_per_interval(make_spawner, engine):
    """Without the event stream (poll_events=False): one list per interval (live, see
    test_monitor_events.py)."""
    spawners = [make_spawner(f"user{i}", poll_events=False) for i in range(50)]
    await asyncio.gather(*(s.start() for s in spawners))
    engine.calls.clear()
    results = await asyncio.gather(*(s.poll() for s in spawners))
    assert results == [None] * 50
    assert engine.calls == {"containers": 1}  # one list for fifty servers, no inspect each
    await asyncio.gather(*(s.poll() for s in spawners))
    assert engine.calls == {"containers": 1}  # still fresh within the interval
    spawners[0].monitor.invalidate()
    engine.crash(spawners[7].object_id, exit_code=137, oom=True)
    results = await asyncio.gather(*(s.poll() for s in spawners))
    # one more list; only the dead server is inspected, for its exit report (docker-py's logs()
    # inspects the container once more itself)
    assert engine.calls == {"containers": 2, "inspect_container": 2, "logs": 1}
    assert [i for i, r in enumerate(results) if r is not None] == [7]
    assert "out of memory" in results[7]
    await asyncio.gather(*(s.stop() for s in spawners))


async def test_the_monitor_trusts_what_the_spawner_just_did(make_spawner, engine):
    spawner = make_spawner()
    await spawner.start()
    assert await spawner.poll() is None  # snapshot taken: running
    await spawner.stop()  # remove=False: stopped, kept
    assert await spawner.poll() is not None  # the note wins over the older snapshot
    await spawner.start()
    assert await spawner.poll() is None


async def test_a_new_hub_process_sees_the_daemon_as_it_is(make_spawner, engine):

    spawner = make_spawner()
    await spawner.start()
    assert await spawner.poll() is None
    engine.api_client().stop(spawner.object_id, timeout=0)
    process_state.reset()  # a hub restart: a fresh process has no view yet
    restored = make_spawner()
    restored.load_state(spawner.get_state())
    assert "exited" in await restored.poll()


# deprecations ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [
        ("container_image", "image", "old/image:1"),
        ("container_ip", "host_ip", "127.0.0.2"),
        ("container_port", "port", 9999),
        ("container_prefix", "prefix", "lab"),
        ("container_name_template", "name_template", "{prefix}-x-{username}"),
        ("image_whitelist", "allowed_images", ["a:1"]),
        ("remove_containers", "remove", True),
    ],
)
def test_deprecated_aliases_forward_and_warn_once(make_spawner, caplog, old, new, value):
    config = Config()
    config.DockerSpawner[old] = value
    with caplog.at_level(logging.WARNING):
        spawner = make_spawner(config=config)
        setattr(spawner, old, value)
    assert getattr(spawner, new) == value
    warnings = [r for r in caplog.records if f"DockerSpawner.{old} is deprecated" in r.getMessage()]
    assert len(warnings) == 1
    assert f"use DockerSpawner.{new}" in warnings[0].getMessage()


@pytest.mark.parametrize(("old", "message"), [
    ("tls_verify", "tls_verify config ignored, use DockerSpawner.tls_config dict"),
    ("tls_ca", "tls_ca config ignored, use DockerSpawner.tls_config dict"),
    ("tls_cert", "tls_cert config ignored, use DockerSpawner.tls_config dict"),
    ("tls_key", "tls_key config ignored, use DockerSpawner.tls_config dict"),
    ("tls_assert_hostname", "tls_assert_hostname config ignored, use DockerSpawner.tls_config dict"),
    ("tls", "tls config ignored, use DockerSpawner.tls_config dict"),
    ("use_docker_client_env", "DockerSpawner.use_docker_client_env is deprecated and ignored"),
    ("hub_ip_connect", "Ignoring DockerSpawner.hub_ip_connect='127.0.0.2'"),
])
def test_ignored_options_warn_in_the_references_words(make_spawner, caplog, old, message):
    config = Config()
    config.DockerSpawner[old] = {"use_docker_client_env": False, "hub_ip_connect": "127.0.0.2"}.get(old, "x")
    with caplog.at_level(logging.WARNING):
        make_spawner(config=config)
    assert sum(message in r.getMessage() for r in caplog.records) == 1


def test_deprecated_tls_options_are_ignored_as_in_the_reference(make_spawner):
    """The reference has ignored tls_* since 0.9: a deployment carrying them runs without TLS,
    so honouring them now would change what it does."""
    spawner = make_spawner(tls_verify=True, tls_cert="/c.pem", tls_key="/k.pem")
    assert "tls" not in client_kwargs_for(spawner.client_kwargs, spawner.tls_config, {})
    assert spawner.tls_client == ("/c.pem", "/k.pem")  # the reference's property, kept


def test_default_image_matches_the_installed_jupyterhub():
    import jupyterhub

    major_minor = ".".join(jupyterhub.__version__.split(".")[:2])
    assert DockerSpawner().image == f"quay.io/jupyterhub/singleuser:{major_minor}"


# internal ssl -----------------------------------------------------------------------------------------


async def test_move_certs_stages_files_into_the_certs_volume(make_spawner, engine, tmp_path):
    paths = {}
    for key, name in (("keyfile", "user.key"), ("certfile", "user.crt"), ("cafile", "ca.crt")):
        (tmp_path / name).write_text(f"-----{key}-----\n")
        paths[key] = str(tmp_path / name)
    spawner = make_spawner("sam", prefix="hub-")
    spawner.internal_ssl = True
    assert spawner.use_internal_hostname is True
    assert f"DNS:{spawner.internal_hostname}" in spawner.ssl_alt_names
    moved = await spawner.move_certs(paths)
    assert moved == {"keyfile": "/certs/user.key", "certfile": "/certs/user.crt",
                     "cafile": "/certs/ca.crt"}
    api = engine.api_client()
    assert api.inspect_volume("hub-ssl-sam")["Name"] == "hub-ssl-sam"
    assert engine.calls["put_archive"] == 1
    assert api.containers(all=True) == []  # the staging container is gone
    spawner.cert_paths = moved
    kwargs = await create_kwargs(spawner)
    assert "hub-ssl-sam:/certs:ro" in kwargs["host_config"]["Binds"]
    env = kwargs["environment"]
    assert env["JUPYTERHUB_SSL_KEYFILE"] == "/certs/user.key"


async def test_unlabelled_containers_from_older_spawners_are_not_taken_for_gone(make_spawner, engine):
    """A container created by the reference implementation carries no labels: the list does not
    show it, so poll asks the daemon for it (once per interval) instead of declaring it gone."""
    api = engine.api_client()
    legacy = api.create_container("busybox:1.30.1", ["sh", "-c", "sleep 1000"], name="jupyter-alice")
    api.start(legacy)
    spawner = make_spawner(remove=False)
    spawner.load_state({"container_id": legacy["Id"]})  # the reference's state key
    assert spawner.client  # (made now, so its version check is not counted below)
    engine.calls.clear()
    assert await spawner.poll() is None
    assert await spawner.poll() is None
    # the events stream is opened with the first list
    assert engine.calls == {"events": 1, "containers": 1, "inspect_container": 1}
    api.stop(legacy["Id"], timeout=0)
    spawner.monitor.invalidate()
    assert "exited" in await spawner.poll()


async def test_a_resumed_container_keeps_its_api_token(make_spawner, engine):
    spawner = make_spawner(remove=False)
    await spawner.start()
    original = spawner.api_token
    await spawner.stop()
    spawner.api_token = "a-new-token-jupyterhub-made"
    await spawner.start()
    assert spawner.api_token == original  # JupyterHub discards the unused new one
    await spawner.stop()


def test_where_a_published_port_is_reached():
    from dockerspawner.client import published_host

    assert published_host("127.0.0.1", None, "127.0.0.1") == "127.0.0.1"
    assert published_host("10.1.2.3", "dockerd.test", "0.0.0.0") == "10.1.2.3"  # bound there
    assert published_host("0.0.0.0", "dockerd.test", "0.0.0.0") == "dockerd.test"  # a remote daemon
    assert published_host("0.0.0.0", None, "192.0.2.7") == "192.0.2.7"
    assert published_host("::", None, "0.0.0.0") == "127.0.0.1"


async def test_a_spawn_inspects_its_image_once(make_spawner, engine):
    # pull_policy ifnotpresent looks at the image; the image's CMD (cmd is None) comes from that look
    spawner = make_spawner()
    assert spawner.cmd is None
    engine.calls.clear()
    await spawner.start()
    assert engine.calls["inspect_image"] == 1
    await spawner.stop()
    spawner.pull_policy = "skip"  # no look for the pull: the command's look is its own
    engine.calls.clear()
    await spawner.start()
    assert engine.calls["inspect_image"] == 1
    await spawner.stop()
    spawner.cmd = ["jupyterhub-singleuser"]  # and none when the command is given
    engine.calls.clear()
    await spawner.start()
    assert engine.calls.get("inspect_image", 0) == 0
    await spawner.stop()


def test_a_subclass_with_change_hooks_of_its_own_keeps_every_base_class_hook(engine, caplog):
    """A subclass names only its own hooks; the deprecation forwarding and the spawner's own
    hooks (user_options re-evaluating limits) still run."""
    seen = []

    class Mine(DockerSpawner):
        _change_hooks = {"image": "_on_image", "user_options": "_on_options"}

        def _on_image(self, change):
            seen.append(("image", change.new))

        def _on_options(self, change):
            seen.append(("user_options", change.new))

    user = SimpleNamespace(name="alice", url="/user/alice/", escaped_name="alice")
    spawner = Mine(user=user, hub=Hub(ip="127.0.0.1", port=8081),
                   orm_spawner=SimpleNamespace(name="", server=None),
                   mem_limit=lambda spawner: "2G" if spawner.user_options.get("big") else "1G")
    with caplog.at_level(logging.WARNING):
        spawner.container_image = "old/image:1"
    assert spawner.image == "old/image:1"  # forwarded, with the deprecation warning
    assert any("container_image is deprecated" in r.getMessage() for r in caplog.records)
    spawner.user_options = {"big": True}
    assert spawner.mem_limit == 2 * 1024**3  # the base class's hook re-evaluated the limit
    assert seen == [("image", "old/image:1"), ("user_options", {"big": True})]
