"""The hub spawn_bench.py runs: DockerSpawner, an admin service token, and a per-user server
kind chosen from the first letter of the user name (so one hub serves every phase).

    l...  light server (python3 -m jupyterhub.tests.mocksu) as PID 1: ignores SIGTERM
    i...  light server under docker's init (tini): exits on SIGTERM
    r...  the image's own command (jupyterhub-singleuser)
    p...  light server under init, from SPAWNBENCH_PULL_IMAGE with pull_policy "always"

Read from the environment (spawn_bench.py sets all of them):

    SPAWNBENCH_PORT, SPAWNBENCH_HUB_PORT, SPAWNBENCH_PROXY_API_PORT, SPAWNBENCH_HUB_IP,
    SPAWNBENCH_HUB_CONNECT_IP, SPAWNBENCH_HOST_IP, SPAWNBENCH_STATE_DIR, SPAWNBENCH_TOKEN, SPAWNBENCH_PREFIX,
    SPAWNBENCH_RUN (a label on every container), SPAWNBENCH_IMAGE, SPAWNBENCH_PULL_IMAGE,
    SPAWNBENCH_STOP_GRACE (optional: DockerSpawner.stop_grace_period), SPAWNBENCH_LOG_LEVEL
    (optional, e.g. DEBUG for the hub's wait-for-HTTP timings), DOCKER_HOST.
"""

from __future__ import annotations

import os
from pathlib import Path

c = get_config()  # type: ignore[name-defined] # noqa: F821  (provided by JupyterHub)

env = os.environ
state = Path(env["SPAWNBENCH_STATE_DIR"])
state.mkdir(parents=True, exist_ok=True)

c.JupyterHub.bind_url = f"http://127.0.0.1:{env['SPAWNBENCH_PORT']}"
c.JupyterHub.hub_ip = env.get("SPAWNBENCH_HUB_IP", "0.0.0.0")
c.JupyterHub.hub_port = int(env["SPAWNBENCH_HUB_PORT"])
c.JupyterHub.hub_connect_ip = env["SPAWNBENCH_HUB_CONNECT_IP"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['SPAWNBENCH_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "cookie_secret")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.api_page_default_limit = 1000
c.JupyterHub.api_page_max_limit = 1000
if env.get("SPAWNBENCH_LOG_LEVEL"):
    c.Application.log_level = env["SPAWNBENCH_LOG_LEVEL"]
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True

c.JupyterHub.services = [{"name": "spawnbench", "api_token": env["SPAWNBENCH_TOKEN"]}]
c.JupyterHub.load_roles = [{
    "name": "spawnbench",
    "scopes": ["admin:users", "admin:servers", "access:servers", "list:users", "read:users"],
    "services": ["spawnbench"],
}]

c.JupyterHub.spawner_class = "docker"
c.DockerSpawner.image = env["SPAWNBENCH_IMAGE"]
c.DockerSpawner.prefix = env["SPAWNBENCH_PREFIX"]
c.DockerSpawner.remove = True
c.DockerSpawner.pull_policy = "ifnotpresent"
# where the server's port is published and reached (an engine in a node: the node's address)
c.DockerSpawner.host_ip = env.get("SPAWNBENCH_HOST_IP", "127.0.0.1")
c.DockerSpawner.extra_create_kwargs = {"labels": {"org.spawnbench.run": env["SPAWNBENCH_RUN"]}}
if env.get("SPAWNBENCH_STOP_GRACE"):
    c.DockerSpawner.stop_grace_period = int(env["SPAWNBENCH_STOP_GRACE"])
# 50 real single-user servers starting at once on 2 cores take a while
c.Spawner.start_timeout = 600
c.Spawner.http_timeout = 600

LIGHT = ["python3", "-m", "jupyterhub.tests.mocksu"]


def pre_spawn_hook(spawner):
    kind = spawner.user.name[:1]
    spawner.extra_host_config = {"init": True} if kind in ("i", "p") else {}
    spawner.cmd = None if kind == "r" else LIGHT
    if kind == "p":
        spawner.image = env["SPAWNBENCH_PULL_IMAGE"]
        spawner.pull_policy = "always"


c.Spawner.pre_spawn_hook = pre_spawn_hook


# -- experiments (spawn_bench.py --experiment): candidate spawner changes, tried from here -------
# so that their effect can be measured without touching dockerspawner/.
EXPERIMENTS = set(filter(None, env.get("SPAWNBENCH_EXPERIMENTS", "").split(",")))
if EXPERIMENTS:
    import asyncio
    import functools
    from concurrent.futures import ThreadPoolExecutor

    import aiohttp

    from dockerspawner import DockerSpawner

    _stop_pool = ThreadPoolExecutor(200, thread_name_prefix="spawnbench-stop")

    class ExperimentSpawner(DockerSpawner):
        async def start(self, *args, **kwargs):
            ip, port = await super().start(*args, **kwargs)
            if "wait-in-start" in EXPERIMENTS:
                # wait for the server ourselves, every 0.1 s, so the hub's first check (after
                # which it backs off up to 5 s between checks) finds it up
                url = f"http://{ip}:{port}{self.server.base_url}"
                loop = asyncio.get_running_loop()
                deadline = loop.time() + self.http_timeout
                async with aiohttp.ClientSession() as session:
                    while loop.time() < deadline:
                        try:
                            async with session.get(url, allow_redirects=False,
                                                   timeout=aiohttp.ClientTimeout(total=2)) as reply:
                                if reply.status < 500:
                                    break
                        except (aiohttp.ClientError, asyncio.TimeoutError):
                            pass
                        await asyncio.sleep(0.1)
            return ip, port

        async def stop_object(self, now=False):
            if "stop-pool" not in EXPERIMENTS:
                return await super().stop_object(now=now)
            # the stop (which blocks for the grace period) outside the bounded pool
            timeout = 0 if now else self.stop_grace_period
            kwargs = {} if timeout is None else {"timeout": timeout}
            call = functools.partial(self.client.stop, self.object_id, **kwargs)
            await asyncio.wrap_future(_stop_pool.submit(call))

    c.JupyterHub.spawner_class = ExperimentSpawner
