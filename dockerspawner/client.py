"""The narrow Docker client protocol the spawners use, how the real client is built, and how
calls leave the event loop.

``docker.APIClient`` satisfies :class:`DockerClient` against a real daemon; fakedocker's client
(a genuine ``APIClient`` answered in memory) satisfies it in tests.  The spawners call nothing
outside it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import urlparse

import docker
from docker.utils import kwargs_from_env
from traitlets import HasTraits

from . import docker_internals
from .process_state import STATE, reset


@runtime_checkable
class DockerClient(Protocol):
    """Every Docker call a spawner makes (signatures as docker-py 7's ``APIClient``)."""

    # daemon
    def ping(self) -> bool: ...
    def version(self, api_version: bool = True) -> dict: ...
    def info(self) -> dict: ...

    # images
    def inspect_image(self, image: str) -> dict: ...
    def pull(self, repository: str, tag: str | None = None, stream: bool = False,
             auth_config: dict | None = None, decode: bool = False, platform: str | None = None,
             all_tags: bool = False) -> Any: ...

    # containers
    def create_host_config(self, *args: Any, **kwargs: Any) -> dict: ...
    def create_container(self, image: str, command: Any = None, hostname: str | None = None,
                         user: Any = None, detach: bool = False, stdin_open: bool = False,
                         tty: bool = False, ports: Any = None, environment: Any = None,
                         volumes: Any = None, network_disabled: bool = False, name: str | None = None,
                         entrypoint: Any = None, working_dir: str | None = None,
                         domainname: str | None = None, host_config: Any = None,
                         mac_address: str | None = None, labels: Any = None,
                         stop_signal: str | None = None, networking_config: Any = None,
                         healthcheck: Any = None, stop_timeout: int | None = None,
                         runtime: str | None = None, use_config_proxy: bool = True,
                         platform: str | None = None) -> dict: ...
    def start(self, container: Any, *args: Any, **kwargs: Any) -> None: ...
    def stop(self, container: Any, timeout: int | None = None) -> None: ...
    def remove_container(self, container: Any, v: bool = False, link: bool = False,
                         force: bool = False) -> None: ...
    def inspect_container(self, container: Any) -> dict: ...
    def rename(self, container: Any, name: str) -> None: ...
    def inspect_network(self, net_id: str, verbose: bool | None = None, scope: str | None = None) -> dict: ...
    def connect_container_to_network(self, container: Any, net_id: str, ipv4_address: str | None = None,
                                     ipv6_address: str | None = None, aliases: Any = None, links: Any = None,
                                     link_local_ips: Any = None, driver_opt: Any = None,
                                     mac_address: str | None = None) -> None: ...
    def containers(self, quiet: bool = False, all: bool = False, trunc: bool = False,  # noqa: A002
                   latest: bool = False, since: str | None = None, before: str | None = None,
                   limit: int = -1, size: bool = False, filters: dict | None = None) -> list: ...
    def port(self, container: Any, private_port: int) -> Any: ...
    def logs(self, container: Any, stdout: bool = True, stderr: bool = True, stream: bool = False,
             timestamps: bool = False, tail: Any = "all", since: Any = None, follow: Any = None,
             until: Any = None) -> Any: ...
    def put_archive(self, container: Any, path: str, data: bytes) -> bool: ...

    # exec
    def exec_create(self, container: Any, cmd: Any, stdout: bool = True, stderr: bool = True,
                    stdin: bool = False, tty: bool = False, privileged: bool = False,
                    user: str = "", environment: Any = None, workdir: str | None = None,
                    detach_keys: str | None = None) -> dict: ...
    def exec_start(self, exec_id: Any, detach: bool = False, tty: bool = False,
                   stream: bool = False, socket: bool = False, demux: bool = False) -> Any: ...
    def exec_inspect(self, exec_id: Any) -> dict: ...

    # events (the monitor follows one labelled stream per daemon)
    def events(self, since: Any = None, until: Any = None, filters: dict | None = None,
               decode: bool | None = None) -> Any: ...

    # volumes
    def create_volume(self, name: str | None = None, driver: str | None = None,
                      driver_opts: dict | None = None, labels: dict | None = None) -> dict: ...
    def inspect_volume(self, name: str) -> dict: ...
    def remove_volume(self, name: str, force: bool = False) -> None: ...
    def volumes(self, filters: dict | None = None) -> dict: ...

    # swarm services
    def create_service(self, task_template: Any, name: str | None = None, labels: Any = None,
                       mode: Any = None, update_config: Any = None, networks: Any = None,
                       endpoint_config: Any = None, endpoint_spec: Any = None,
                       rollback_config: Any = None) -> dict: ...
    def inspect_service(self, service: str, insert_defaults: bool | None = None) -> dict: ...
    def remove_service(self, service: str) -> bool: ...
    def services(self, filters: dict | None = None, status: bool | None = None) -> list: ...
    def tasks(self, filters: dict | None = None) -> list: ...
    def inspect_node(self, node_id: str) -> dict: ...


#: the attribute names the protocol allows (checked by the strict test wrapper)
PROTOCOL_METHODS = frozenset(
    name for name in vars(DockerClient) if not name.startswith("_") and callable(getattr(DockerClient, name))
)


def client_kwargs_for(client_kwargs: Mapping[str, Any], tls_config: Mapping[str, Any],
                      environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``docker.APIClient`` keyword arguments for a spawner's settings.

    Order of precedence, lowest first: ``tls_config``, the DOCKER_HOST / DOCKER_TLS_VERIFY /
    DOCKER_CERT_PATH environment, then ``client_kwargs``.
    """
    kwargs: dict[str, Any] = {"version": "auto"}
    if tls_config:
        kwargs["tls"] = docker.tls.TLSConfig(**tls_config)
    kwargs.update(kwargs_from_env(environment=environ))
    kwargs.update(client_kwargs)
    return kwargs


def remote_daemon_host(client_kwargs: Mapping[str, Any], environ: Mapping[str, str]) -> str | None:
    """The host of a daemon reached over tcp (where published ports live), else None."""
    base_url = client_kwargs.get("base_url") or environ.get("DOCKER_HOST") or ""
    if not base_url.startswith(("tcp://", "http://", "https://")):
        return None
    return urlparse(base_url).hostname or None


_ANY_ADDRESS = ("0.0.0.0", "::", "")


def published_host(bound_ip: str, daemon_host: str | None, host_ip: str) -> str:
    """Where the hub reaches a port the daemon bound on ``bound_ip``: that address, or, when it
    bound every interface, the daemon's host (a tcp:// daemon's), else ``host_ip`` if it names
    one, else 127.0.0.1 (not ``localhost``, which a proxy may resolve to ::1)."""
    if bound_ip not in _ANY_ADDRESS:
        return bound_ip
    if daemon_host:
        return daemon_host
    if host_ip not in _ANY_ADDRESS:
        return host_ip
    return "127.0.0.1"


class DockerCalls:
    """Runs blocking docker-py calls off the event loop, in one bounded pool per hub process.

    The pool bounds how many calls are in flight against the daemon at once; a spawner awaits
    each of its calls before making the next, so one server's calls stay in order while other
    servers' calls proceed in parallel.
    """

    @classmethod
    def executor(cls, max_workers: int) -> ThreadPoolExecutor:
        with STATE.lock:
            pool = STATE.pools.get(max_workers)
            if pool is None:
                pool = ThreadPoolExecutor(max_workers, thread_name_prefix="dockerspawner")
                STATE.pools[max_workers] = pool
            return pool

    #: calls that mostly wait on the daemon (a stop's grace period, a pull) run here, so they
    #: never hold the bounded pool's threads while other users' quick calls queue behind them
    WAITING_WORKERS = 256

    @classmethod
    def waiting_executor(cls) -> ThreadPoolExecutor:
        with STATE.lock:
            pool = STATE.pools.get(-1)
            if pool is None:
                pool = ThreadPoolExecutor(cls.WAITING_WORKERS, thread_name_prefix="dockerspawner-wait")
                STATE.pools[-1] = pool
            return pool

    @staticmethod
    def submit(executor: ThreadPoolExecutor, func: Any, *args: Any, **kwargs: Any) -> asyncio.Future:
        return asyncio.wrap_future(executor.submit(functools.partial(func, *args, **kwargs)))


#: the environment variables that choose the daemon and its TLS (docker-py's kwargs_from_env)
CLIENT_ENVIRONMENT = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")


def _canonical(value: Any) -> Any:
    """``value`` as plain JSON data that is equal for equal settings (a TLSConfig by its
    attributes, not by its identity)."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "__dict__"):
        return {"__type__": type(value).__qualname__, **_canonical(vars(value))}
    return repr(value)


def client_key(client_kwargs: Mapping[str, Any], tls_config: Mapping[str, Any],
               environ: Mapping[str, str]) -> str:
    """What identifies a daemon configuration: the settings a client is built from, so equal
    settings share one client however often their TLS objects are rebuilt."""
    return json.dumps({
        "client_kwargs": _canonical(dict(client_kwargs)),
        "tls_config": _canonical(dict(tls_config)),
        "environment": {name: environ.get(name) for name in CLIENT_ENVIRONMENT},
    }, sort_keys=True)


class ClientCache:
    """One client per distinct configuration per hub process.

    Building a client asks the daemon for its version (a blocking round trip: up to the client
    timeout for an unreachable daemon), so :meth:`get` is called in worker threads, never on the
    event loop; it holds a lock per configuration while it builds, so a slow daemon delays only
    the calls bound for it.  The clients live in :mod:`.process_state`."""

    @classmethod
    def getter(cls, key: str, factory: Callable[[], Any]) -> Callable[[], Any]:
        """One function per configuration that returns its client (building it with
        ``factory`` on first use), shared by every spawner of that configuration."""
        found = STATE.getters.get(key)
        if found is None:
            found = STATE.getters.setdefault(key, lambda: cls.get(key, factory))
        return found

    @classmethod
    def peek(cls, key: str) -> Any:
        """The client for ``key`` if it is built, else None (never blocks)."""
        return STATE.clients.get(key)

    @classmethod
    def get(cls, key: str, factory: Any) -> Any:
        client = STATE.clients.get(key)
        if client is not None:
            return client
        with STATE.lock:
            building = STATE.building.setdefault(key, threading.Lock())
        with building:
            client = STATE.clients.get(key)
            if client is None:
                client = factory()  # a failure is not cached: the next call tries again
                STATE.clients[key] = client
            return client

    @staticmethod
    def clear() -> None:
        """Forget every cached client, and the monitors of their objects: see
        :func:`.process_state.reset`."""
        reset()


def make_client(kwargs: dict, pool_size: int = 0) -> Any:
    """A ``docker.APIClient`` for ``kwargs``, its API version negotiated with the daemon.

    ``pool_size``: how many calls may be in flight at once (the worker threads).  Every
    connection pool holds that many connections, so none is discarded (and reconnected) for
    want of room — docker-py sizes only its socket pools (``max_pool_size``, 10), requests' tcp
    pools keep 10 — and urllib3 never logs "Connection pool is full" (a log that can fail with
    AttributeError when the pool is closed meanwhile, as docker-py's per-URL socket pools are
    when more than 25 URLs are in use)."""
    version = kwargs.get("version")
    negotiate = version is None or str(version).lower() == "auto"
    if pool_size:
        kwargs = {"max_pool_size": pool_size, **kwargs}
    # made with a pinned version so no request leaves before trust_env is off
    client = docker.APIClient(**{**kwargs, "version": "1.24" if negotiate else version})
    if pool_size:
        docker_internals.widen_pools(client, pool_size)
    # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE and proxy variables are for the hub's outbound HTTPS;
    # read by requests per call, they would replace tls_config's CA for the daemon
    client.trust_env = False
    if negotiate:
        docker_internals.negotiate_version(client)
    return client


#: client methods that wait on the daemon rather than ask it something
WAITING_CALLS = frozenset({"stop", "wait", "pull", "remove_service"})


class DockerAccess(HasTraits):
    """How a spawner reaches its daemon (a mixin: client_kwargs, tls_config and
    docker_concurrency are DockerSpawnerConfig's)."""

    if TYPE_CHECKING:  # what it reads of the spawner
        client_kwargs: dict[str, Any]
        tls_config: dict[str, Any]
        docker_concurrency: int
        tls_cert: str
        tls_key: str

    #: (client_kwargs, tls_config, their key, the getter of their client): poll() and every
    #: docker() call ask for them
    _client_memo: tuple[Any, Any, str, Callable[[], Any]] | None = None

    def _client_settings(self) -> tuple[str, Callable[[], Any]]:
        """The key of this spawner's daemon configuration and the getter of its client.

        Remembered while the same client_kwargs and tls_config objects are in place (setting
        either makes a new one; the memo holds them, so their identities are never reused
        meanwhile); the DOCKER_* environment is read when they are made (a hub's environment
        does not change under it, and reading it costs more than the rest of a poll)."""
        client_kwargs, tls_config = self.client_kwargs, self.tls_config
        memo = self._client_memo
        if memo is None or memo[0] is not client_kwargs or memo[1] is not tls_config:
            key = client_key(client_kwargs, tls_config, os.environ)
            kwargs, tls = dict(client_kwargs), dict(tls_config)
            pool_size = self.docker_concurrency + DockerCalls.WAITING_WORKERS
            get = ClientCache.getter(
                key, lambda: make_client(client_kwargs_for(kwargs, tls, os.environ), pool_size))
            memo = self._client_memo = (client_kwargs, tls_config, key, get)
        return memo[2], memo[3]

    @property
    def client_key(self) -> str:
        """Identifies this spawner's daemon configuration (its client and its monitor)."""
        return self._client_settings()[0]

    def client_getter(self) -> Callable[[], Any]:
        """A function that returns this configuration's client, building it on first use: for
        worker threads (it may block on the daemon)."""
        return self._client_settings()[1]

    @property
    def client(self) -> Any:
        """The Docker client for this spawner's configuration (one per configuration per
        process).  Building it blocks on the daemon: on the event loop, use
        :meth:`docker_client` or :meth:`docker`."""
        return self.client_getter()()

    async def docker_client(self) -> Any:
        """The Docker client, built in a worker thread if it is not yet."""
        client = ClientCache.peek(self.client_key)
        if client is not None:
            return client
        return await DockerCalls.submit(self.executor, self.client_getter())

    @property
    def daemon_address(self) -> str:
        """Where the daemon is (its socket or URL), for messages."""
        kwargs = client_kwargs_for(self.client_kwargs, {}, os.environ)
        return kwargs.get("base_url") or "unix:///var/run/docker.sock"

    @property
    def tls_client(self) -> tuple[str, str] | None:
        """The TLS client certificate and key, if both were given, else None."""
        if self.tls_cert and self.tls_key:
            return (self.tls_cert, self.tls_key)
        return None

    @property
    def executor(self) -> Any:
        """The bounded pool every Docker call of this hub process runs in."""
        return DockerCalls.executor(self.docker_concurrency)

    #: while a set (during a spawn), every call made is in it until it has finished in its
    #: thread: a spawn that is cancelled waits for them, since a cancel does not stop a thread
    calls_in_flight: set[Future] | None = None

    def docker(self, method: str, *args: Any, **kwargs: Any) -> asyncio.Future:
        """Call a docker client method in a background thread; returns a Future.

        Quick calls share the bounded pool (docker_concurrency); calls that mostly wait on the
        daemon (stop, wait, pull) run in a separate pool, so a 10 s grace period or a long pull
        never makes another user's spawn wait for a thread."""
        executor = DockerCalls.waiting_executor() if method in WAITING_CALLS else self.executor
        get = self.client_getter()
        # the client is looked up (and on first use built) in the worker thread, not here
        call = executor.submit(lambda: getattr(get(), method)(*args, **kwargs))
        tracked = self.calls_in_flight
        if tracked is not None:
            tracked.add(call)
            call.add_done_callback(tracked.discard)
        return asyncio.wrap_future(call)

