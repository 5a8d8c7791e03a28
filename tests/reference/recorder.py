"""Run the differential scenarios through whichever ``dockerspawner`` this interpreter imports,
and print what each spawn left in a fresh fakedocker engine, as plain JSON.

The same file runs in two virtualenvs: ours (``dockerspawner`` from this checkout) and the
oracle (PyPI ``dockerspawner`` 14.0.0, with only this checkout's ``fakedocker`` on its path).
It uses nothing but JupyterHub, docker-py and fakedocker, so both sides run identical code.

Each spawner is made and started the way JupyterHub does it: a real ``JupyterHub`` app
(initialised, never listening) owns the database and settings, the server's spawner is built by
``User._new_spawner`` with the scenario's configuration, and ``User.spawn`` runs every step
before and after ``start()`` (API token, ``user_options``, hooks, state).  Only the final wait
for the server's HTTP answer is replaced by taking the record, since the fake's containers
serve nothing.

    python tests/reference/recorder.py [--only ID ...] > record.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import sys
import tempfile
import warnings
from typing import Any

# scenarios.py, next to this file, and tests/singleuser.py, which it imports
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import docker  # noqa: E402
import scenarios  # noqa: E402
from jupyterhub import orm  # noqa: E402
from jupyterhub.app import JupyterHub  # noqa: E402
from tornado import web  # noqa: E402
from traitlets.config import Config  # noqa: E402

import fakedocker  # noqa: E402

#: environment variables holding a fresh secret per spawn
TOKEN_VARIABLES = ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN")
MASK = "<masked>"
#: labels of ours (the reference sets none) that the comparison leaves aside
OWN_LABEL_PREFIX = "org.jupyter.hub."
EPHEMERAL_PORTS = 32768
PUBLIC_STATE_KEYS = {"object_id", "object_name", "user_id", "group_id"}
HEX_ID = re.compile(r"\b[0-9a-f]{64}\b")

SPAWNER_CLASSES = {
    "docker": "DockerSpawner",
    "swarm": "SwarmSpawner",
    "systemuser": "SystemUserSpawner",
}


def implementation() -> str:
    import dockerspawner

    return "ours" if hasattr(dockerspawner, "naming") or _has_module("dockerspawner.naming") else "reference"


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def forget_clients() -> None:
    """Each scenario gets a fresh engine: drop every client either implementation cached."""
    import dockerspawner

    with contextlib.suppress(ImportError):
        from dockerspawner import process_state

        process_state.reset()
    for name in SPAWNER_CLASSES.values():
        cls = getattr(dockerspawner, name)
        for klass in cls.__mro__:
            if "_client" in vars(klass):
                klass._client = None


# -- the record ---------------------------------------------------------------------------------

def _mask(value: Any, token: str | None) -> Any:
    if isinstance(value, str):
        if token and token in value:
            value = value.replace(token, MASK)
        return HEX_ID.sub("<id>", value)
    if isinstance(value, dict):
        return {_mask(k, token): _mask(v, token) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, token) for v in value]
    return value


def _env(entries: list[str] | None) -> dict[str, str]:
    env = {}
    for entry in entries or []:
        key, _, value = entry.partition("=")
        env[key] = MASK if key in TOKEN_VARIABLES and value else value
    return env


def _labels(labels: dict | None) -> dict[str, str]:
    return {k: v for k, v in (labels or {}).items() if not k.startswith(OWN_LABEL_PREFIX)}


def _host_config_defaults(engine: fakedocker.FakeEngine) -> dict[str, Any]:
    """What HostConfig holds for a container created with nothing set."""
    api = engine.api_client()
    engine.add_image("defaults-probe:1", config={"Cmd": ["true"]})
    probe = api.create_container("defaults-probe:1", host_config=api.create_host_config())
    host = api.inspect_container(probe["Id"])["HostConfig"]
    api.remove_container(probe["Id"], force=True)
    return host


def _record_container(info: dict, defaults: dict) -> dict[str, Any]:
    config = info["Config"]
    host = info["HostConfig"]
    networks = info["NetworkSettings"].get("Networks") or {}
    record = {
        "Name": info["Name"].lstrip("/"),
        "Image": config.get("Image"),
        "Cmd": config.get("Cmd"),
        "Entrypoint": config.get("Entrypoint"),
        "Env": _env(config.get("Env")),
        "WorkingDir": config.get("WorkingDir"),
        "User": config.get("User"),
        "Labels": _labels(config.get("Labels")),
        "ExposedPorts": sorted(config.get("ExposedPorts") or {}),
        "Volumes": sorted(config.get("Volumes") or {}),
        "Mounts": sorted(
            ({k: m.get(k) for k in ("Type", "Name", "Source", "Destination", "Mode", "RW", "Propagation")
              if k != "Source" or m.get("Type") == "bind"}
             for m in info.get("Mounts") or []),
            key=lambda m: m.get("Destination") or "",
        ),
        "Networks": {name: sorted(ep.get("Aliases") or []) for name, ep in sorted(networks.items())},
        "State": info["State"].get("Status"),
    }
    # every HostConfig field the spawner set (Binds, Mounts, limits, ports, AutoRemove, ...)
    record["HostConfig"] = {
        key: value for key, value in sorted(host.items())
        if value != defaults.get(key) and key not in ("ContainerIDFile",)
    }
    # and any other Config field set away from the image's own
    for key in ("Tty", "OpenStdin", "StopSignal", "StopTimeout", "Healthcheck", "Domainname", "MacAddress"):
        if config.get(key) not in (None, False, "", {}):
            record[key] = config[key]
    if config.get("Hostname") and not info["Id"].startswith(config["Hostname"]):
        record["Hostname"] = config["Hostname"]
    return record


def _record_service(service: dict) -> dict[str, Any]:
    spec = json.loads(json.dumps(service["Spec"]))
    container_spec = spec.get("TaskTemplate", {}).get("ContainerSpec", {})
    for holder in (spec, container_spec):
        if "Labels" in holder:  # absent, empty and "only our own labels" are the same
            holder["Labels"] = _labels(holder["Labels"])
            if not holder["Labels"]:
                del holder["Labels"]
    if "Env" in container_spec:
        container_spec["Env"] = _env(container_spec["Env"])
    return spec


def snapshot(engine: fakedocker.FakeEngine, defaults: dict, token: str | None) -> dict[str, Any]:
    api = engine.api_client()
    containers = []
    for entry in api.containers(all=True):
        info = api.inspect_container(entry["Id"])
        if info["Config"].get("Labels", {}).get("com.docker.swarm.task.id"):
            continue  # a swarm task's container: the service spec says what it holds
        containers.append(_record_container(info, defaults))
    volumes = [
        {"Name": v["Name"], "Driver": v["Driver"], "Options": v.get("Options") or {},
         "Labels": _labels(v.get("Labels"))}
        for v in (api.volumes().get("Volumes") or [])
    ]
    record: dict[str, Any] = {
        "containers": sorted(containers, key=lambda c: c["Name"]),
        "volumes": sorted(volumes, key=lambda v: v["Name"]),
    }
    if engine.swarm.active if hasattr(engine.swarm, "active") else False:
        record["services"] = sorted((_record_service(s) for s in api.services()), key=lambda s: s["Name"])
    return _mask(record, token)


def error_record(err: BaseException) -> dict[str, Any]:
    if isinstance(err, web.HTTPError):
        message = err.log_message or err.reason or ""
        if err.args[2:]:
            with contextlib.suppress(TypeError):
                message = message % err.args[2:]
        return {"status": err.status_code, "message": str(message), "type": "HTTPError"}
    return {"status": 500, "message": str(err), "type": type(err).__name__}


# -- running one scenario --------------------------------------------------------------------------

async def make_hub(workdir: str) -> JupyterHub:
    config = Config()
    config.JupyterHub.db_url = "sqlite://"
    config.JupyterHub.allow_named_servers = True
    config.JupyterHub.hub_ip = "127.0.0.1"
    config.JupyterHub.hub_port = 8081
    config.JupyterHub.port = 8000
    config.JupyterHub.cookie_secret = b"\0" * 32
    config.JupyterHub.log_level = logging.CRITICAL
    config.JupyterHub.authenticator_class = "dummy"
    config.JupyterHub.pid_file = os.path.join(workdir, "jupyterhub.pid")
    config.ConfigurableHTTPProxy.auth_token = "proxy-token"
    app = JupyterHub(config=config)
    await app.initialize([])
    app.log.setLevel(logging.CRITICAL)
    return app


class _Recorded(Exception):
    pass


async def run_scenario(app: JupyterHub, scenario: scenarios.Scenario) -> dict[str, Any]:
    import dockerspawner

    engine = fakedocker.FakeEngine()
    scenario.setup(engine)
    defaults = _host_config_defaults(engine)
    forget_clients()
    spawner_class = getattr(dockerspawner, SPAWNER_CLASSES[scenario.spawner])
    saved_env = {k: os.environ.get(k) for k in scenario.env}
    os.environ.update(scenario.env)
    orm_user = orm.User(name=scenario.user)
    app.db.add(orm_user)
    app.db.commit()
    user = app.users[orm_user.id]
    result: dict[str, Any] = {"id": scenario.id}
    record: dict[str, Any] = {}

    async def take_record(spawner: Any) -> None:
        server = spawner.server
        # a published port comes from the daemon's ephemeral range (the fake skips ports in use
        # on this machine): which one is not the spawner's doing
        port = "<ephemeral port>" if server.port >= EPHEMERAL_PORTS else server.port
        record["address"] = [server.ip, port]
        record["engine"] = snapshot(engine, defaults, spawner.api_token)
        # the state keys both implementations document (ours may keep private ones besides)
        record["state_keys"] = sorted(set(spawner.get_state()) & PUBLIC_STATE_KEYS)

    try:
        with fakedocker.patch(engine), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            user._wait_up = take_record
            try:
                orm_spawner = user.orm_spawners.get(scenario.server)
                if orm_spawner is None:
                    orm_spawner = orm.Spawner(user=orm_user, name=scenario.server)
                    app.db.add(orm_spawner)
                if scenario.state:
                    orm_spawner.state = dict(scenario.state)
                app.db.commit()
                # what User.spawners does for a server it has no spawner for yet
                spawner = user._new_spawner(scenario.server, spawner_class=spawner_class,
                                            config=scenario.config_object())
                user.spawners[scenario.server] = spawner
                # the fake's containers serve no HTTP: like the hub's own wait (replaced by
                # take_record above), ours in start() is skipped (the reference has none)
                if spawner.has_trait("wait_for_server_interval"):
                    spawner.wait_for_server_interval = 0
                await asyncio.wait_for(user.spawn(scenario.server, options=dict(scenario.user_options)), 30)
            except Exception as err:  # the refusal is what this scenario records
                result["error"] = error_record(err)
                result["left_behind"] = snapshot(engine, defaults, None)
            else:
                result.update(record)
                spawner.stop_polling()
                await user.stop(scenario.server)
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        with contextlib.suppress(Exception):
            app.users.delete(orm_user.id)
        engine.close()
    return result


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="scenario ids to run (default: all)")
    args = parser.parse_args(argv)
    chosen = [s for s in scenarios.SCENARIOS if not args.only or s.id in args.only]
    with tempfile.TemporaryDirectory() as workdir:
        os.chdir(workdir)
        app = await make_hub(workdir)
        results = []
        for scenario in chosen:
            results.append(await run_scenario(app, scenario))
    import dockerspawner

    json.dump({
        "implementation": implementation(),
        "dockerspawner": getattr(dockerspawner, "__version__", "?"),
        "jupyterhub": __import__("jupyterhub").__version__,
        "docker": docker.__version__,
        "scenarios": results,
    }, sys.stdout, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    logging.disable(logging.CRITICAL)
    asyncio.run(main(sys.argv[1:]))
