"""The differential scenarios: configurations an admin would write, run through the reference
DockerSpawner (PyPI 14.0.0) and ours by ``recorder.py``.

Imported by both implementations' interpreters, so it uses only the standard library,
traitlets, docker-py and fakedocker.  Callables are plain module-level functions, the way a
``jupyterhub_config.py`` defines them.

A scenario names: the spawner (``docker``, ``swarm``, ``systemuser``), its configuration (trait
name -> value, set on the spawner's class, or on ``Spawner`` for ``"Spawner.x"`` keys), the user
and server names, the ``user_options`` the spawn request carries, environment variables of the
hub process, the spawner state JupyterHub loads (what an authenticator may put there), how the
engine is prepared, and, for a configuration both must refuse, ``refuse``: regular expressions
the two error messages must each match (same meaning, own words).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jupyterhub
from singleuser import SINGLEUSER_CONFIG
from traitlets.config import Config

HUB_XY = ".".join(jupyterhub.__version__.split(".")[:2])
DEFAULT_IMAGE = f"quay.io/jupyterhub/singleuser:{HUB_XY}"
SCIPY_IMAGE = "quay.io/jupyter/scipy-notebook:2023-10-23"
REGISTRY_IMAGE = "127.0.0.1:5000/team/notebook:2"


def prepare_engine(engine: Any) -> None:
    """The images every scenario may use (the registry holds one more, not present locally)."""
    engine.add_image(DEFAULT_IMAGE, config=SINGLEUSER_CONFIG)
    engine.add_image(SCIPY_IMAGE, config={**SINGLEUSER_CONFIG, "Cmd": ["start-notebook.py"]})
    engine.add_image("busybox:1.30.1", config={"Cmd": ["sh"]})
    engine.registry.push(REGISTRY_IMAGE, config=SINGLEUSER_CONFIG, size=50_000_000)


def with_network(name: str, driver: str = "bridge") -> Callable[[Any], None]:
    def setup(engine: Any) -> None:
        prepare_engine(engine)
        engine.api_client().create_network(name, driver=driver)
    return setup


def with_swarm(network: str | None = None) -> Callable[[Any], None]:
    def setup(engine: Any) -> None:
        prepare_engine(engine)
        api = engine.api_client()
        api.init_swarm(advertise_addr="127.0.0.1")
        if network:
            api.create_network(network, driver="overlay", attachable=True)
    return setup


def with_hub_container(engine: Any) -> None:
    """A container named ``jupyterhub`` for ``links`` to point at."""
    prepare_engine(engine)
    api = engine.api_client()
    hub = api.create_container("busybox:1.30.1", name="jupyterhub", command=["sleep", "1000"])
    api.start(hub["Id"])


def with_shared_host_mounts(engine: Any) -> None:
    """A host booted by systemd: / is a shared mount, so slave and shared binds start."""
    prepare_engine(engine)
    engine.host_mount_propagation = "shared"


@dataclass(frozen=True)
class Scenario:
    id: str
    config: dict[str, Any] = field(default_factory=dict)
    spawner: str = "docker"
    user: str = "alice"
    server: str = ""
    user_options: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[Any], None] = prepare_engine
    refuse: tuple[str, ...] = ()  # both must refuse, each message matching every pattern
    source: str = ""  # where the configuration comes from

    @property
    def class_name(self) -> str:
        return {"docker": "DockerSpawner", "swarm": "SwarmSpawner",
                "systemuser": "SystemUserSpawner"}[self.spawner]

    def config_object(self) -> Config:
        c = Config()
        c[self.class_name].image = DEFAULT_IMAGE
        c.Spawner.start_timeout = 20
        for key, value in self.config.items():
            section, _, name = key.rpartition(".")
            c[section or self.class_name][name] = value
        return c


# -- callables, as a jupyterhub_config.py writes them --------------------------------------------

def per_user_mem_limit(spawner):
    ram_limits = {"alice": "4G", "bob": "2G"}
    return ram_limits.get(spawner.user.name, "1G")


def per_user_cpu_limit(spawner):
    cpu_limits = {"alice": 2.5, "bob": 2}
    return cpu_limits.get(spawner.user.name, 1)


def extra_create_for(spawner):
    return {"labels": {"team": "physics"}, "working_dir": "/home/jovyan/{username}"}


async def async_extra_host_config(spawner):
    await asyncio.sleep(0)
    return {"shm_size": "256m", "cap_add": ["SYS_PTRACE"]}


def allowed_images_for(spawner):
    if spawner.user.name == "alice":
        return {"Python": DEFAULT_IMAGE, "SciPy": SCIPY_IMAGE}
    return [DEFAULT_IMAGE]


def escaped_volume_names():
    from dockerspawner.volumenamingstrategy import escaped_format_volume_name

    return escaped_format_volume_name


def upper_escape(text):
    return "u-" + "".join(c if c.isalnum() else "_" for c in text).lower()


def my_hook(spawner):
    """The reference documentation's pre_spawn_hook."""
    username = spawner.user.name
    spawner.environment["GREETING"] = f"Hello {username}"


def hook_reads_limits(spawner):
    """A pre_spawn_hook that reads the spawner's (callable) limits."""
    spawner.environment["SEEN_MEM_LIMIT"] = str(spawner.mem_limit)
    spawner.environment["SEEN_CPU_LIMIT"] = str(spawner.cpu_limit)


def hook_records_image(spawner):
    """A pre_spawn_hook that records the image the spawner has when it runs."""
    spawner.environment["IMAGE_AT_PRE_SPAWN"] = spawner.image


def environment_value(spawner):
    return f"home-of-{spawner.user.name}"


def failing_mem_limit(spawner):
    raise ValueError(f"no memory limit configured for {spawner.user.name}")


NOTEBOOK_DIR = "/home/jovyan/work"
NFS_OPTIONS = {"type": "nfs", "o": "addr=127.0.0.1,rw,nfsvers=4", "device": ":/export/home/{username}"}

SCENARIOS: list[Scenario] = [
    # -- the reference documentation's examples ---------------------------------------------------
    Scenario("docs-default", source="DockerSpawner: spawner_class = 'dockerspawner.DockerSpawner'"),
    Scenario("docs-host-ip-all-interfaces", {"host_ip": "0.0.0.0"}, source="Docker Swarm (old): host_ip"),
    Scenario("docs-volume-mapping", {"notebook_dir": NOTEBOOK_DIR,
                                     "volumes": {"jupyterhub-user-{username}": NOTEBOOK_DIR}},
             source="Data persistence: volume mapping"),
    Scenario("docs-mem-limit-on-spawner", {"Spawner.mem_limit": "2G"}, source="Memory limits"),
    Scenario("docs-image", {"image": SCIPY_IMAGE}, source="How to pick a Docker image"),
    Scenario("docs-extra-create-kwargs-user", {"extra_create_kwargs": {"user": "root"}},
             source="extra_create_kwargs"),
    Scenario("docs-links", {"links": {"jupyterhub": "jupyterhub"}}, setup=with_hub_container,
             source="links"),
    Scenario("docs-pre-spawn-hook", {"Spawner.pre_spawn_hook": my_hook}, source="pre_spawn_hook"),
    Scenario("docs-per-user-mem-limit", {"mem_limit": per_user_mem_limit}, source="mem_limit callable"),
    Scenario("docs-per-user-mem-limit-bob", {"mem_limit": per_user_mem_limit}, user="bob",
             source="mem_limit callable"),
    Scenario("docs-per-user-cpu-limit", {"cpu_limit": per_user_cpu_limit}, source="cpu_limit callable"),
    Scenario("docs-escape-legacy", {"escape": "legacy"}, user="Bob.Smith@example.org",
             source="12.0 changelog: escape = 'legacy'"),
    Scenario("docs-system-user-homedir", {"host_homedir_format_string": "/volumes/user/{username}"},
             spawner="systemuser", state={"user_id": 1000, "group_id": 100},
             source="SystemUserSpawner: host_homedir_format_string"),
    Scenario("docs-swarm-network", {"network_name": "jupyterhub", "extra_host_config": {"network_mode": "jupyterhub"}},
             spawner="swarm", setup=with_swarm("jupyterhub"), source="SwarmSpawner: network"),

    # -- images and pulls ----------------------------------------------------------------------
    Scenario("image-pull-ifnotpresent", {"image": REGISTRY_IMAGE}),
    Scenario("image-pull-always", {"image": DEFAULT_IMAGE, "pull_policy": "always"},
             setup=lambda e: (prepare_engine(e), e.registry.push(DEFAULT_IMAGE, config=SINGLEUSER_CONFIG, size=1000))),
    Scenario("image-pull-skip", {"image": DEFAULT_IMAGE, "pull_policy": "skip"}),
    Scenario("image-pull-never-missing", {"image": "127.0.0.1:5000/absent:1", "pull_policy": "never"},
             refuse=(r"(?i)(no such image|not present)", r"absent")),
    Scenario("image-pull-fails", {"image": "127.0.0.1:5000/absent:1"},
             refuse=(r"(?i)(not found|no such|does not exist|manifest unknown)",)),
    Scenario("image-deprecated-container-image", {"container_image": SCIPY_IMAGE}),
    Scenario("allowed-images-list", {"allowed_images": [DEFAULT_IMAGE, SCIPY_IMAGE]},
             user_options={"image": SCIPY_IMAGE}),
    Scenario("allowed-images-dict", {"allowed_images": {"Python": DEFAULT_IMAGE, "SciPy": SCIPY_IMAGE}},
             user_options={"image": "SciPy"}),
    Scenario("allowed-images-callable", {"allowed_images": allowed_images_for}, user_options={"image": "SciPy"}),
    Scenario("allowed-images-any", {"allowed_images": "*"}, user_options={"image": REGISTRY_IMAGE}),
    Scenario("allowed-images-deprecated-whitelist", {"image_whitelist": {"SciPy": SCIPY_IMAGE}},
             user_options={"image": "SciPy"}),
    Scenario("allowed-images-empty-refuses-choice", {}, user_options={"image": SCIPY_IMAGE},
             refuse=(r"(?i)not allowed",)),
    Scenario("allowed-images-not-in-list", {"allowed_images": [DEFAULT_IMAGE]},
             user_options={"image": SCIPY_IMAGE}, refuse=(r"(?i)not in (the )?allowed list",)),
    Scenario("allowed-images-callable-refuses", {"allowed_images": allowed_images_for}, user="bob",
             user_options={"image": "SciPy"}, refuse=(r"(?i)not in (the )?allowed list",)),
    # JupyterHub >= 5.3 applies user options in a step of its own, before pre_spawn_hook
    Scenario("allowed-images-hook-sees-choice", {"allowed_images": {"Python": DEFAULT_IMAGE, "SciPy": SCIPY_IMAGE},
                                                 "Spawner.pre_spawn_hook": hook_records_image},
             user_options={"image": "SciPy"}),

    # -- names --------------------------------------------------------------------------------
    Scenario("names-email-user", user="Bob.Smith@example.org"),
    Scenario("names-non-ascii-user", user="jürgen.müller"),
    Scenario("names-underscore-dash-user", user="a_b-c"),
    Scenario("names-callable-escape", {"escape": upper_escape}, user="Bob.Smith@example.org"),
    Scenario("names-prefix", {"prefix": "hub"}),
    Scenario("names-deprecated-container-prefix", {"container_prefix": "lab"}),
    Scenario("names-template-imagename", {"name_template": "{prefix}-{username}-{imagename}"}),
    Scenario("names-template-raw-username", {"name_template": "nb_{raw_username}"}, user="a_b-c"),
    Scenario("names-named-server", {"volumes": {"vol-{username}-{servername}": "/home/jovyan/work"}},
             server="gpu"),
    Scenario("names-named-server-capitals", {"volumes": {"vol-{username}-{servername}": "/home/jovyan/work"}},
             server="Analysis"),
    Scenario("names-template-typo", {"name_template": "{prefix}-{user}"}, refuse=(r"user",)),

    # -- volumes and mounts ------------------------------------------------------------------
    Scenario("volumes-modes", {"volumes": {"/srv/shared": {"bind": "/shared", "mode": "ro"},
                                           "/srv/scratch": {"bind": "/scratch", "mode": "z"},
                                           "home-{username}": "/home/jovyan"}}),
    Scenario("volumes-propagation", {"volumes": {"/mnt/nfs": {"bind": "/mnt/nfs", "mode": "rw", "propagation": "rslave"}}},
             setup=with_shared_host_mounts),
    Scenario("volumes-read-only", {"read_only_volumes": {"/srv/datasets": "/datasets"}}),
    Scenario("volumes-read-only-dict", {"read_only_volumes": {"/srv/datasets": {"bind": "/datasets", "propagation": "rslave"}}},
             setup=with_shared_host_mounts),
    Scenario("volumes-propagation-private-host", {"volumes": {"/mnt/nfs": {"bind": "/mnt/nfs", "propagation": "rslave"}}},
             refuse=(r"/mnt/nfs is mounted on / but it is not a shared or slave mount",)),
    Scenario("volumes-escaped-strategy", {"volumes": {"home-{username}": "/home/jovyan"},
                                          "format_volume_name": escaped_volume_names()},
             user="Bob.Smith@example.org"),
    Scenario("mounts-bind", {"mounts": [{"type": "bind", "source": "/srv/{username}", "target": "/data",
                                         "read_only": True}]}),
    Scenario("mounts-nfs-volume", {"mounts": [{"type": "volume", "source": "nfs-{username}", "target": "/home/jovyan/nfs",
                                               "driver_config": {"name": "local", "options": NFS_OPTIONS}}]},
             source="NFS through the local driver"),
    Scenario("mounts-tmpfs", {"mounts": [{"type": "tmpfs", "target": "/tmp/scratch", "source": ""}]}),

    # -- resources ----------------------------------------------------------------------------
    Scenario("limits-mem-string", {"mem_limit": "512M"}),
    Scenario("limits-cpu-float", {"cpu_limit": 1.5}),
    Scenario("limits-cpu-period", {"cpu_limit": 0.5, "extra_host_config": {"cpu_period": 50_000}}),
    # the reference's own test_cpu_limit: None set explicitly sends no cpu_period (0, the
    # default, sends the period without a quota); a period in extra_host_config is sent anyway
    Scenario("limits-cpu-none", {"cpu_limit": None}),
    Scenario("limits-cpu-zero", {"cpu_limit": 0.0}),
    Scenario("limits-cpu-none-period", {"cpu_limit": None, "extra_host_config": {"cpu_period": 50_000}}),
    Scenario("limits-cpu-none-hook-reads", {"cpu_limit": None, "Spawner.pre_spawn_hook": hook_reads_limits}),
    Scenario("limits-guarantees", {"mem_guarantee": "1G", "cpu_guarantee": 0.5}),
    Scenario("limits-hook-reads-callables", {"mem_limit": per_user_mem_limit, "cpu_limit": per_user_cpu_limit,
                                             "Spawner.pre_spawn_hook": hook_reads_limits}),
    Scenario("limits-callable-fails", {"mem_limit": failing_mem_limit}, refuse=(r"no memory limit configured",)),

    # -- extra arguments ------------------------------------------------------------------------
    Scenario("extra-create-callable", {"extra_create_kwargs": extra_create_for}),
    Scenario("extra-host-config-async-callable", {"extra_host_config": async_extra_host_config}),
    Scenario("extra-create-not-a-template", {"extra_create_kwargs": {
        "labels": {"config": '{"gpu": true}', "home": "${HOME}"}, "working_dir": "/home/{username}"}}),
    Scenario("extra-host-config-not-a-template", {"extra_host_config": {"extra_hosts": {"${HOST}": "127.0.0.1"}}}),
    Scenario("extra-create-host-config-with-mem-limit", {
        "mem_limit": "2G", "extra_create_kwargs": {"host_config": {"Memory": 1024**3, "ShmSize": 64 * 1024**2}}}),
    Scenario("extra-create-hostname", {"extra_create_kwargs": {"hostname": "{username}-lab"}}),

    # -- network and addresses -----------------------------------------------------------------
    Scenario("network-user-defined", {"network_name": "jupyterhub-net"}, setup=with_network("jupyterhub-net")),
    Scenario("network-user-defined-published", {"network_name": "jupyterhub-net", "use_internal_ip": False},
             setup=with_network("jupyterhub-net")),
    Scenario("network-internal-hostname", {"network_name": "jupyterhub-net", "use_internal_hostname": True},
             setup=with_network("jupyterhub-net")),
    Scenario("network-internal-ip-bridge", {"use_internal_ip": True}),
    Scenario("network-port", {"port": 9999}),
    Scenario("network-deprecated-container-port", {"container_port": 9000}),
    Scenario("network-remote-daemon", {}, env={"DOCKER_HOST": "tcp://dockerd.test:2375"}),
    Scenario("network-remote-daemon-all-interfaces", {"host_ip": "0.0.0.0"},
             env={"DOCKER_HOST": "tcp://dockerd.test:2375"}),

    # -- command, environment, lifecycle ----------------------------------------------------------
    Scenario("command-cmd-list", {"cmd": ["jupyterhub-singleuser", "--debug"]}),
    Scenario("command-cmd-string", {"cmd": "start-singleuser.sh"}),
    Scenario("command-image-cmd-with-args", {"args": ["--ServerApp.shutdown_no_activity_timeout=600"]}),
    Scenario("command-notebook-dir-default-url", {"notebook_dir": "/home/jovyan/{username}", "default_url": "/lab"}),
    Scenario("command-debug", {"debug": True}),
    Scenario("env-environment-callable", {"environment": {"GRANT_SUDO": "yes", "NB_HOME": environment_value}}),
    Scenario("env-overrides-image-spec", {"environment": {"JUPYTER_IMAGE_SPEC": "custom"}}),
    Scenario("env-keep", {"env_keep": ["LANG"]}, env={"LANG": "C.UTF-8"}),
    Scenario("env-hub-environment-not-kept", {}, env={"JUPYTERHUB_SINGLEUSER_APP": "jupyter_server.serverapp.ServerApp",
                                                      "VIRTUAL_ENV": "/opt/hub-venv", "LANG": "C.UTF-8"}),
    Scenario("lifecycle-remove", {"remove": True}),
    Scenario("lifecycle-deprecated-remove-containers", {"remove_containers": True}),
    Scenario("lifecycle-post-start-cmd", {"post_start_cmd": "touch /tmp/started"}),

    # -- SystemUserSpawner --------------------------------------------------------------------
    Scenario("systemuser-ids-from-state", {}, spawner="systemuser", state={"user_id": 1000, "group_id": 100}),
    Scenario("systemuser-run-as-root", {"run_as_root": True}, spawner="systemuser",
             state={"user_id": 1000, "group_id": 100}),
    Scenario("systemuser-pwd-lookup", {"host_homedir_format_string": ""}, spawner="systemuser", user="nobody"),
    Scenario("systemuser-homedir-propagation", {"homedir_bind_propagation": "rslave"}, spawner="systemuser",
             state={"user_id": 1000, "group_id": 100}, setup=with_shared_host_mounts),
    Scenario("systemuser-volumes-and-limits", {"volumes": {"/srv/shared": "/shared"}, "mem_limit": "1G"},
             spawner="systemuser", state={"user_id": 1000, "group_id": 100}),
    Scenario("systemuser-missing-account", {}, spawner="systemuser", user="no-such-account-xyz",
             refuse=(r"(?i)(name not found|no system account)",)),

    # -- SwarmSpawner -------------------------------------------------------------------------
    Scenario("swarm-default", {}, spawner="swarm", setup=with_swarm()),
    Scenario("swarm-overlay-network", {"network_name": "jupyterhub"}, spawner="swarm", setup=with_swarm("jupyterhub")),
    # the config differential's case: a network, yet the hub reaches the server at a published port
    Scenario("swarm-network-published", {"network_name": "jupyterhub", "use_internal_ip": False,
                                         "host_ip": "127.0.0.1"}, spawner="swarm", setup=with_swarm("jupyterhub")),
    Scenario("swarm-limits", {"network_name": "jupyterhub", "mem_limit": "2G", "cpu_limit": 1.5,
                              "mem_guarantee": "1G", "cpu_guarantee": 0.5},
             spawner="swarm", setup=with_swarm("jupyterhub")),
    Scenario("swarm-placement", {"network_name": "jupyterhub",
                                 "extra_placement_spec": {"constraints": ["node.role == manager"]}},
             spawner="swarm", setup=with_swarm("jupyterhub")),
    Scenario("swarm-extra-container-spec", {"network_name": "jupyterhub",
                                            "extra_container_spec": {"user": "root", "hostname": "nb"}},
             spawner="swarm", setup=with_swarm("jupyterhub")),
    Scenario("swarm-extra-create-kwargs-labels", {"network_name": "jupyterhub",
                                                  "extra_create_kwargs": {"labels": {"team": "physics"}}},
             spawner="swarm", setup=with_swarm("jupyterhub")),
    Scenario("swarm-volumes", {"network_name": "jupyterhub", "volumes": {"/srv/home/{username}": "/home/jovyan"}},
             spawner="swarm", setup=with_swarm("jupyterhub")),
    Scenario("swarm-volume-driver", {"network_name": "jupyterhub", "volumes": {"home-{username}": "/home/jovyan"},
                                     "volume_driver": "local", "volume_driver_options": {"type": "tmpfs", "device": "tmpfs"}},
             spawner="swarm", setup=with_swarm("jupyterhub")),
    Scenario("swarm-links", {"network_name": "jupyterhub", "links": {"jupyterhub": "jupyterhub"}},
             spawner="swarm", setup=with_swarm("jupyterhub")),
    Scenario("swarm-host-config-cap-add", {"network_name": "jupyterhub", "extra_host_config": {"cap_add": ["SYS_PTRACE"]}},
             spawner="swarm", setup=with_swarm("jupyterhub")),
]
