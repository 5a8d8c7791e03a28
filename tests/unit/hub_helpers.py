"""Driving a MockHub through its REST API: users, spawns, stops, and the proxy."""

from __future__ import annotations

import asyncio
import errno
import inspect
import json
import logging
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import requests
from jupyterhub.objects import Hub, Server
from jupyterhub.tests.utils import add_user, api_request, async_requests, auth_header, public_host
from jupyterhub.utils import url_path_join

_users = iter(range(1, 10_000))


def new_user(app, name: str | None = None):
    name = name or f"user{next(_users)}"
    return add_user(app.db, app, name=name)


async def wait_for_spawn(app, user, server_name: str = "", limit: float = 30) -> None:
    """Wait (polling the REST API, bounded) until the server is ready."""
    for _ in range(int(limit * 10)):
        r = await api_request(app, "users", user.name)
        r.raise_for_status()
        servers = r.json().get("servers", {})
        if servers.get(server_name, {}).get("ready"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"server {user.name}/{server_name} did not become ready")


async def spawn(app, user, server_name: str = "", **options):
    path = ("users", user.name, "servers", server_name) if server_name else ("users", user.name, "server")
    r = await api_request(app, *path, method="post", json=options or None)
    return r


async def spawn_ready(app, user, server_name: str = "", **options):
    """Spawn through the REST API, expect it accepted, wait until ready; the spawner."""
    r = await spawn(app, user, server_name, **options)
    assert r.status_code in (201, 202), r.text
    await wait_for_spawn(app, user, server_name)
    return user.spawners[server_name]


async def stop(app, user, server_name: str = ""):
    path = ("users", user.name, "servers", server_name) if server_name else ("users", user.name, "server")
    r = await api_request(app, *path, method="delete")
    r.raise_for_status()
    for _ in range(300):
        if not user.spawners[server_name].active:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("server did not stop")


async def answers_through_proxy(app, user, server_name: str = "") -> str:
    url = public_host(app) + url_path_join(user.spawners[server_name].server.base_url, "api/status")
    r = await async_requests.get(url, allow_redirects=False)
    r.raise_for_status()
    return r.text


class Lines(logging.Handler):
    """Every record a logger emits while the handler is attached."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self, level: int = logging.DEBUG) -> str:
        return "\n".join(r.getMessage() for r in self.records if r.levelno >= level)


def handed_over_spawner(cls: type, username: str, server_name: str, token: str, *, orm_user: Any = None,
                        **traits: Any) -> Any:
    """A spawner as JupyterHub hands it to start(): its user, the hub, its server and API
    token set — without a hub around it."""
    user = SimpleNamespace(name=username, url=f"/user/{username}/", escaped_name=username, orm_user=orm_user)
    spawner = cls(user=user, hub=Hub(ip="127.0.0.1", port=8081),
                  orm_spawner=SimpleNamespace(name=server_name, server=None), **traits)
    spawner.api_token = token
    spawner.server = Server(base_url=f"/user/{username}/")
    return spawner


async def read_progress(hub, user, server_name: str = "") -> list[dict]:
    """The spawn's progress stream, read as the spawn-pending page reads it (in a thread: the
    test helpers' request pool is busy with the spawn request itself)."""
    path = "server/progress" if not server_name else f"servers/{server_name}/progress"
    url = public_host(hub) + url_path_join(hub.hub.base_url, "api/users", user.name, path)
    headers = auth_header(hub.db, "admin")

    def read() -> list[dict]:
        events = []
        with requests.get(url, headers=headers, stream=True, timeout=60) as response:
            assert response.status_code == 200, response.text
            for line in response.iter_lines(decode_unicode=True):
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
                    if events[-1].get("ready") or events[-1].get("failed"):
                        break
        return events

    return await asyncio.to_thread(read)


async def until(condition, what: str, limit: float = 20) -> None:
    """Wait (bounded) for ``condition()`` to hold."""
    for _ in range(int(limit * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


#: starts tried when the proxy was too slow to answer: JupyterHub waits 10 s for it, which a
#: loaded machine (parallel workers, the integration suite beside them) can miss
PROXY_START_TRIES = 2


async def start_mock_hub(config):
    """A MockHub started with ``config``; if its start fails, whatever it managed to start
    (its proxy, its servers, the MockHub instance slot) is cleaned up before the error goes on,
    so one slow start on a loaded machine costs that test alone.  A start that failed only
    because the proxy answered too late, or because a port it picked was taken before it bound
    it, is tried once more."""
    from jupyterhub.tests.mocking import MockHub

    for attempt in range(1, PROXY_START_TRIES + 1):
        MockHub.clear_instance()  # never the instance of a test whose clean-up did not run
        app = MockHub.instance(config=config)
        try:
            await app.initialize([])
            await app.start()
            return app
        except BaseException as err:
            await shut_down_hub(app)
            if attempt < PROXY_START_TRIES and (_port_taken(err) or _another_proxy_answered(err)):
                # MockHub's ports are free when it picks them, not when it binds them: a test
                # beside it (parallel workers, the other jobs) took one meanwhile.  The hub
                # binds its own port and fails; the proxy logs that it could not bind its API's
                # and runs on, so the hub's first call reaches the other process's proxy
                print(f"the hub's port was taken before it bound it (start {attempt}): starting again "
                      "with new ports", file=sys.stderr)
                fresh_ports(config)
                continue
            if not isinstance(err, SystemExit):
                raise
            if attempt < PROXY_START_TRIES and _timed_out(err):
                print(f"the hub's proxy did not answer in time (start {attempt}): starting again", file=sys.stderr)
                continue
            # JupyterHub exits when its start fails; a SystemExit leaving this coroutine would
            # go through the test's event loop and break it for the tests after this one
            raise RuntimeError(f"the hub's start failed (it exited with {err.code}); its log says why") from err
    raise AssertionError("unreachable")  # pragma: no cover


def fresh_ports(config) -> None:
    """New free ports for the hub's API and the proxy's API where ``config`` fixes them (the
    unit tests' hub_config does, so hubs in parallel workers never meet)."""
    from jupyterhub.utils import random_port

    if "hub_port" in config.JupyterHub:
        config.JupyterHub.hub_port = random_port()
    if "api_url" in config.ConfigurableHTTPProxy:
        config.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{random_port()}"


def _caused_by(err: BaseException | None, cause: Callable[[BaseException], bool]) -> bool:
    """Whether an exception ``cause`` holds for is ``err`` or in its chain."""
    while err is not None:
        if cause(err):
            return True
        err = err.__cause__ or err.__context__
    return False


def _port_taken(err: BaseException | None) -> bool:
    """Whether binding a port another process had taken (EADDRINUSE) led to ``err``."""
    return _caused_by(err, lambda e: isinstance(e, OSError) and e.errno == errno.EADDRINUSE)


def _another_proxy_answered(err: BaseException | None) -> bool:
    """Whether the proxy's API refused the hub's token (403) at start: only a proxy that is
    not this hub's answers so, when the port the hub gave its proxy was another's first."""
    # JupyterHub's proxy client is tornado's in 4.1 and 5.x (HTTPClientError.code), aiohttp's
    # in 6.1 (ClientResponseError.status)
    return _caused_by(err, lambda e: 403 in (getattr(e, "code", None), getattr(e, "status", None)))


def _timed_out(err: BaseException | None) -> bool:
    """Whether a TimeoutError (JupyterHub's wait for its proxy) led to ``err``."""
    return _caused_by(err, lambda e: isinstance(e, TimeoutError))


async def shut_down_hub(app) -> None:
    """Stop a MockHub however far its start got: its users' servers, the hub (which stops its
    proxy), and the proxy process itself if the hub could not; the instance slot is freed."""
    from jupyterhub.tests.mocking import MockHub

    try:
        for user in list((getattr(app, "users", None) or {}).values()):
            for name, spawner in list(user.spawners.items()):
                if spawner.active:
                    await user.stop(name)
    except Exception as err:  # pragma: no cover - teardown noise
        print(f"error stopping the hub's servers: {err!r}", file=sys.stderr)
    app.log.handlers = []
    MockHub.clear_instance()

    async def leave_the_loops_tasks_alone(sig=None) -> None:
        """JupyterHub's stop() schedules a shutdown that cancels every task of the event loop
        (a hub process exits after it); in a test that is the test's own task, or the next hub's
        start in the same test.  MockHub.stop() has already cleaned up."""

    app.shutdown_cancel_tasks = leave_the_loops_tasks_alone
    try:
        stopped = app.stop()  # a coroutine from JupyterHub 5, a plain call before
        if inspect.isawaitable(stopped):
            await stopped
    except Exception as err:  # pragma: no cover - a hub whose start failed part-way
        print(f"error stopping the hub: {err!r}", file=sys.stderr)
    process = getattr(getattr(app, "proxy", None), "proxy_process", None)
    if process is not None and process.poll() is None:
        process.kill()
        process.wait(timeout=10)
