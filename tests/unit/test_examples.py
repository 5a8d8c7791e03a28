"""Every example under examples/ loads with JupyterHub's own config loader, names only options
that exist, and gives the spawner it documents the settings its README describes (checked on a
spawner built from that config, on fakedocker)."""

from __future__ import annotations

import pwd
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml  # the test extra has it (JupyterHub 4.1 does not bring it)
from conftest import SINGLEUSER_CONFIG
from jupyterhub.app import JupyterHub
from jupyterhub.objects import Hub, Server
from tornado import web
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from dockerspawner import DockerSpawner, SwarmSpawner, SystemUserSpawner
from dockerspawner import systemuserspawner as sus_module
from dockerspawner.images import DEFAULT_IMAGE
from dockerspawner.spec import build_service_kwargs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REQUIRED = {"simple", "image_form", "swarm", "internal-ssl", "system-user", "profiles"}

#: environment variables each example's config reads, set to test values
EXAMPLE_ENV = {
    "simple": {"HUB_CONNECT_IP": "192.0.2.10"},
    "image_form": {"HUB_CONNECT_IP": "192.0.2.10"},
    "profiles": {"HUB_CONNECT_IP": "192.0.2.10"},
    "swarm": {"DOCKER_NETWORK_NAME": "test-overlay", "HUB_SERVICE_NAME": "hub-test",
              "DUMMY_PASSWORD": "test-password"},
    "internal-ssl": {"DOCKER_NETWORK_NAME": "test-ssl-net", "HUB_HOSTNAME": "hub-test"},
    "system-user": {"HUB_CONNECT_IP": "192.0.2.10", "JUPYTERHUB_GROUP": "testers"},
    "demo": {"DEMO_HUB_CONNECT_IP": "192.0.2.10"},  # DEMO_STATE_DIR: set per test (tmp_path)
}


def example_names() -> list[str]:
    return sorted(p.parent.name for p in EXAMPLES.glob("*/jupyterhub_config.py"))


def load_config(name: str, monkeypatch, tmp_path) -> Config:
    for key, value in EXAMPLE_ENV.get(name, {}).items():
        monkeypatch.setenv(key, value)
    if name == "demo":
        monkeypatch.setenv("DEMO_STATE_DIR", str(tmp_path / "demo-state"))
    return PyFileConfigLoader("jupyterhub_config.py", path=str(EXAMPLES / name)).load_config()


def spawner_class(config: Config) -> type:
    """The class JupyterHub itself resolves ``JupyterHub.spawner_class`` to (entry points)."""
    return JupyterHub.class_traits()["spawner_class"].validate(None, config.JupyterHub.spawner_class)


def make_spawner(config: Config, username: str = "alice", **traits):
    """A spawner of the configured class with the example's config, as the hub would make it."""
    cls = spawner_class(config)
    user = SimpleNamespace(name=username, url=f"/user/{username}/", escaped_name=username)
    spawner = cls(user=user, hub=Hub(), orm_spawner=SimpleNamespace(name="", server=None),
                  config=config, **traits)
    spawner.api_token = "tok-example"
    spawner.server = Server(base_url=f"/user/{username}/")
    return spawner


# every example --------------------------------------------------------------------------------


def test_the_required_examples_exist():
    assert set(example_names()) >= REQUIRED
    for name in REQUIRED:
        assert (EXAMPLES / name / "README.md").is_file(), f"examples/{name}/README.md is missing"


@pytest.mark.parametrize("name", example_names())
def test_example_names_only_existing_options(name, monkeypatch, tmp_path):
    config = load_config(name, monkeypatch, tmp_path)
    spawner_setting = config.JupyterHub.spawner_class
    assert isinstance(spawner_setting, str) and "." not in spawner_setting, (
        "examples select the spawner by its entry-point name (docker, docker-swarm, docker-system-user)"
    )
    cls = spawner_class(config)
    assert issubclass(cls, DockerSpawner)
    hub_traits = JupyterHub.class_traits(config=True)
    unknown = sorted(k for k in config.JupyterHub if k not in hub_traits)
    assert not unknown, f"unknown JupyterHub options in examples/{name}: {unknown}"
    spawner_traits = cls.class_traits(config=True)
    for section in [klass.__name__ for klass in cls.__mro__ if klass.__name__.endswith("Spawner")]:
        if section in config:
            unknown = sorted(k for k in config[section] if k not in spawner_traits)
            assert not unknown, f"unknown {section} options in examples/{name}: {unknown}"


# one example at a time --------------------------------------------------------------------------


async def test_simple(engine, monkeypatch, tmp_path):
    config = load_config("simple", monkeypatch, tmp_path)
    spawner = make_spawner(config)
    assert type(spawner) is DockerSpawner
    assert config.JupyterHub.hub_connect_ip == config.JupyterHub.hub_ip == "192.0.2.10"
    assert spawner.network_name == "bridge" and not spawner.use_internal_ip
    assert spawner.remove is True
    assert spawner.mem_limit == 2 * 1024**3 and spawner.cpu_limit == 1.0
    assert spawner.object_name == "jupyter-alice"
    engine.add_image(spawner.image, config=SINGLEUSER_CONFIG)
    request = await spawner.container_request()
    assert request.volume_binds["jupyterhub-user-alice"] == {"bind": "/home/jovyan/work", "mode": "rw"}
    assert request.publish_host_ip == "127.0.0.1"


async def test_image_form(engine, monkeypatch, tmp_path):
    config = load_config("image_form", monkeypatch, tmp_path)
    spawner = make_spawner(config)
    allowed = dict(config.DockerSpawner.allowed_images)
    assert len(allowed) >= 2
    assert spawner.image in allowed.values()
    # the built-in form lists every key
    form = spawner.options_form
    assert callable(form)
    html = await form(spawner)
    assert '<select class="form-control" name="image"' in html
    for key in allowed:
        assert f'<option value="{key}">' in html
    # a key picks its image; anything else (an image name, another string) is refused
    key, image = next(iter(allowed.items()))
    assert await spawner.check_allowed(key) == image
    for requested in (image, "evil/miner:latest"):
        with pytest.raises(web.HTTPError) as err:
            await spawner.check_allowed(requested)
        assert err.value.status_code == 400


async def test_profiles(engine, monkeypatch, tmp_path):
    config = load_config("profiles", monkeypatch, tmp_path)
    spawner = make_spawner(config)
    spawner.user.groups = []
    slugs = ["small", "data-science"]
    html = await spawner.options_form(spawner)
    assert [m for m in slugs if f'value="{m}"' in html] == slugs and 'value="large"' not in html
    # what the README promises: the data-science profile with its R image, its limits and
    # guarantees; free text checked against the regex; the large profile for its group only
    engine.add_image("quay.io/jupyter/r-notebook:2024-12-02", config=SINGLEUSER_CONFIG)
    spawner.user_options = {"profile": "data-science", "image": "r"}
    selection = await spawner.apply_profile()
    assert selection.describe() == "data-science (image=r)"
    assert spawner.image == "quay.io/jupyter/r-notebook:2024-12-02"
    assert (spawner.mem_limit, spawner.cpu_limit, spawner.mem_guarantee) == (8 * 1024**3, 4.0, 4 * 1024**3)
    assert spawner.environment["OMP_NUM_THREADS"] == "4"
    spawner.user_options = {"profile": "data-science", "image--unlisted-choice": "evil/miner:1"}
    with pytest.raises(web.HTTPError) as err:
        await spawner.apply_profile()
    assert err.value.status_code == 400
    spawner.user_options = {"profile": "large"}
    with pytest.raises(web.HTTPError):
        await spawner.apply_profile()
    spawner.user.groups = [SimpleNamespace(name="large")]
    await spawner.apply_profile()
    assert spawner.mem_limit == 32 * 1024**3 and spawner.extra_host_config == {"shm_size": "8G"}
    assert spawner.image == DEFAULT_IMAGE  # the data-science profile's image is not kept


def _compose(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name / "docker-compose.yml").read_text())


def test_swarm_compose_file_structure():
    """The key lines are there, as an admin reading the file sees them."""
    text = (EXAMPLES / "swarm" / "docker-compose.yml").read_text()
    for needle in ("services:", "node.role == manager", "driver: overlay",
                   "/var/run/docker.sock:/var/run/docker.sock", "DOCKER_NETWORK_NAME:"):
        assert needle in text


def test_swarm_compose_file(monkeypatch, tmp_path):
    compose = _compose("swarm")
    hub = compose["services"]["hub"]
    assert "node.role == manager" in hub["deploy"]["placement"]["constraints"]
    assert hub["deploy"]["replicas"] == 1
    assert "/var/run/docker.sock:/var/run/docker.sock" in hub["volumes"]
    [network_key] = hub["networks"]
    network = compose["networks"][network_key]
    assert network["driver"] == "overlay"
    # the spawner is told the network's real name, and the hub's name on it
    assert hub["environment"]["DOCKER_NETWORK_NAME"] == network["name"]
    assert hub["environment"]["HUB_SERVICE_NAME"] == "hub"
    [config_ref] = hub["configs"]
    assert compose["configs"][config_ref["source"]]["file"] == "./jupyterhub_config.py"
    assert (EXAMPLES / "swarm" / compose["configs"][config_ref["source"]]["file"]).is_file()


async def test_swarm(engine, monkeypatch, tmp_path):
    engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    config = load_config("swarm", monkeypatch, tmp_path)
    spawner = make_spawner(config)
    assert type(spawner) is SwarmSpawner
    assert spawner.network_name == "test-overlay"
    assert spawner.use_internal_ip is True  # a user-defined network: no published port
    assert spawner.pull_policy == "skip"
    assert spawner.mem_limit == 2 * 1024**3 and spawner.mem_guarantee == 512 * 1024**2
    assert config.JupyterHub.hub_connect_ip == "hub-test"
    assert config.DummyAuthenticator.password == "test-password"
    kwargs = build_service_kwargs(await spawner.container_request(), spawner.service_options())
    template = kwargs["task_template"]
    assert template["Networks"] == [{"Target": "test-overlay"}]
    assert template["Resources"]["Limits"]["MemoryBytes"] == 2 * 1024**3
    assert template["Resources"]["Reservations"]["MemoryBytes"] == 512 * 1024**2
    assert "Ports" not in (kwargs.get("endpoint_spec") or {})
    assert kwargs["name"] == "jupyter-alice"


def test_internal_ssl_compose_file():
    compose = _compose("internal-ssl")
    hub = compose["services"]["jupyterhub"]
    [network_key] = hub["networks"]
    network = compose["networks"][network_key]
    assert network.get("driver", "bridge") == "bridge"  # user-defined: Docker's DNS resolves names
    assert hub["environment"]["DOCKER_NETWORK_NAME"] == network["name"]
    assert hub["environment"]["HUB_HOSTNAME"] == hub["container_name"] == hub["hostname"]
    # the hub's image is built from a Dockerfile that is there (the swarm example's)
    build = hub["build"]
    assert (EXAMPLES / "internal-ssl" / build["context"] / build["dockerfile"]).is_file()


async def test_internal_ssl(engine, monkeypatch, tmp_path):
    config = load_config("internal-ssl", monkeypatch, tmp_path)
    assert config.JupyterHub.internal_ssl is True
    assert config.JupyterHub.hub_connect_ip == "hub-test"
    assert "DNS:hub-test" in config.JupyterHub.trusted_alt_names
    # the hub hands its internal_ssl setting to every spawner it makes
    spawner = make_spawner(config, internal_ssl=True)
    assert type(spawner) is DockerSpawner
    assert spawner.network_name == "test-ssl-net"
    assert spawner.use_internal_hostname is True
    assert "DNS:jupyter-alice" in spawner.ssl_alt_names
    assert await spawner.get_ip_and_port() == ("jupyter-alice", spawner.port)


async def test_system_user(engine, monkeypatch, tmp_path):
    account = pwd.struct_passwd(("alice", "x", 4242, 4343, "", "/home/alice", "/bin/bash"))
    monkeypatch.setattr(sus_module, "pwd", SimpleNamespace(
        getpwnam=lambda name: account if name == "alice" else (_ for _ in ()).throw(KeyError(name))))
    config = load_config("system-user", monkeypatch, tmp_path)
    spawner = make_spawner(config)
    assert type(spawner) is SystemUserSpawner
    assert spawner.host_homedir_format_string == "/home/{username}"
    assert spawner.image_homedir_format_string == "/home/{username}"
    assert spawner.run_as_root is False
    assert spawner.host_homedir == spawner.homedir == "/home/alice"
    assert config.PAMAuthenticator.allowed_groups == {"testers"}
    engine.add_image(spawner.image, config=SINGLEUSER_CONFIG)
    request = await spawner.container_request()
    assert request.user == "4242:4343"
    assert request.working_dir == "/home/alice"
    assert request.volume_binds["/home/alice"] == {"bind": "/home/alice", "ro": False}


async def test_demo(engine, monkeypatch, tmp_path):
    config = load_config("demo", monkeypatch, tmp_path)
    spawner = make_spawner(config)
    assert type(spawner) is DockerSpawner
    assert spawner.volumes == {"jupyterhub-user-{username}": "/home/jovyan/work"}
    assert config.JupyterHub.hub_connect_ip == "192.0.2.10"
