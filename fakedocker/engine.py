"""One fake Docker daemon: all of its state, behind one lock.

Nothing here is global: two engines share nothing, and an engine is reachable only through
the objects it hands out (:meth:`FakeEngine.api_client`, :meth:`FakeEngine.docker_client`,
:func:`fakedocker.patch`).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from . import versions
from .faults import Faults
from .state.containers import ContainerStore, ContainerTable
from .state.images import (
    Image,
    ImageStore,
    Registry,
    full_config,
    image_id_for,
    make_layers,
    parse_reference,
)
from .state.networks import NetworkStore
from .state.ports import HostPorts
from .state.swarm import Cluster, SwarmState
from .state.volumes import VolumeStore
from .timestamps import rfc3339_nano
from .transitions import Transitions

#: the default engine's (see :mod:`fakedocker.versions`)
API_VERSION = versions.profile(versions.DEFAULT_ENGINE_VERSION).api_version
ENGINE_VERSION = versions.profile(versions.DEFAULT_ENGINE_VERSION).version


class FakeEngine:
    """An in-memory Docker Engine.

    Args:
        transitions: ``"immediate"`` (default), ``"timer"`` or ``"manual"``: how task states
            and pulls advance (see :mod:`fakedocker.transitions`).
        step_delay: seconds per state step in timer mode.
        clock: a callable returning the current time in seconds (default :func:`time.time`).
        seed: makes ids differ between engines that should not collide (default 0: ids are
            the same sequence in every engine, so tests are reproducible).
        runtime: the default runtime of started containers (see :mod:`fakedocker.runtime`).
        api_version: the newest API version it speaks (default: the engine version's).
        engine_version: the Docker Engine it answers as, ``"20.10"`` (default) or ``"26.1"``
            (see :mod:`fakedocker.versions`); ``min_api_version`` may then be raised to refuse
            older clients, as Docker 29 refuses clients below API 1.44.
    """

    def __init__(
        self,
        transitions: str = "immediate",
        step_delay: float = 0.05,
        clock: Callable[[], float] = time.time,
        seed: int | str = 0,
        runtime: Any = None,
        api_version: str | None = None,
        engine_version: str = versions.DEFAULT_ENGINE_VERSION,
    ):
        self.lock = threading.RLock()
        self.clock = clock
        self.profile = versions.profile(engine_version)
        self.api_version = api_version or self.profile.api_version
        #: the oldest API version a client may name (the engine's own unless raised)
        self.min_api_version = self.profile.min_api_version
        self.engine_version = self.profile.version
        self.step_delay = step_delay
        self._seed = str(seed)
        self._counter = itertools.count(1)
        self.transitions = Transitions(self.lock, clock, transitions)
        self.faults = Faults()
        self.calls: dict[str, int] = {}
        self.events: list[dict[str, Any]] = []
        self.events_changed = threading.Condition(self.lock)
        self.default_runtime = runtime
        #: False: the engine cannot limit resources and creates every container without its
        #: memory, CPU and pids limits, saying nothing (as rootless Podman does on cgroups v1:
        #: inspect then shows 0)
        self.resource_limits = True
        #: the GPU device ids this daemon has (none, as on a host without a GPU driver): see
        #: :meth:`declare_gpus`
        self.gpus: list[str] = []
        #: ``(container, cmd, env, user, workdir) -> (exit_code, stdout, stderr)``: what execs do
        self.exec_handler: Callable[..., Any] | None = None
        #: ``(container) -> (exit_code, output)``: what a health check answers (see
        #: :mod:`fakedocker.state.containers.health`; None: the check's own trivial script,
        #: else success)
        self.health_check: Callable[..., Any] | None = None
        # the stores, each given the ones it uses (see docs/fakedocker-architecture.md)
        self.images: ImageStore = ImageStore()
        self.registry: Registry = Registry()
        self.ports: HostPorts = HostPorts()
        self.cluster: Cluster = Cluster(self)
        container_table = ContainerTable(self.lock)
        self.volumes: VolumeStore = VolumeStore(self, container_table)
        self.networks: NetworkStore = NetworkStore(self, self.cluster)
        self.containers: ContainerStore = ContainerStore(self, container_table, self.images, self.volumes,
                                                         self.networks, self.ports)
        self.swarm: SwarmState = SwarmState(self, self.cluster, self.networks, self.containers, self.images,
                                            self.registry, self.ports)
        self._transport: Any = None
        self.started_at = self.now_iso()
        hexid = hashlib.sha256(f"daemon:{self._seed}".encode()).hexdigest().upper()
        self.daemon_id = ":".join(hexid[i : i + 4] for i in range(0, 48, 4))

    # ids and time ----------------------------------------------------------------------
    def new_id(self) -> str:
        """A fresh 64-hex id, deterministic for a given seed."""
        n = next(self._counter)
        return hashlib.sha256(f"fakedocker:{self._seed}:{n}".encode()).hexdigest()

    def now(self) -> float:
        return self.clock()

    def now_iso(self, t: float | None = None) -> str:
        """RFC 3339 with nanoseconds, as the daemon formats times."""
        return rfc3339_nano(self.clock() if t is None else t)

    # settings tests change after construction --------------------------------------------
    @property
    def host_mount_propagation(self) -> str:
        """The propagation of the host mount that host paths live on: "private" (the
        default, as on this project's test machine: shared/slave binds fail to start),
        "slave" or "shared" (hosts booted by systemd)."""
        return self.containers.lifecycle.host_mount_propagation

    @host_mount_propagation.setter
    def host_mount_propagation(self, value: str) -> None:
        self.containers.lifecycle.host_mount_propagation = value

    def declare_gpus(self, ids: list[str] | int) -> None:
        """Give the daemon GPUs (ids, or a count numbered from 0), as a host with the NVIDIA
        container toolkit: ``docker info`` reports them (GenericResources, kind ``gpu``) and
        containers with device requests for them start; without any, such a start fails with
        the daemon's "could not select device driver" error."""
        with self.lock:
            self.gpus = [str(i) for i in range(ids)] if isinstance(ids, int) else [str(i) for i in ids]

    @property
    def hold_published_ports(self) -> bool:
        """Keep each published port bound on this machine while a container has it (see
        :meth:`fakedocker.state.ports.HostPorts._hold_on_host`): for tests whose containers
        run real servers on those ports."""
        return self.ports.hold_on_host

    @hold_published_ports.setter
    def hold_published_ports(self, value: bool) -> None:
        self.ports.hold_on_host = value

    # events ----------------------------------------------------------------------------
    def emit(self, type_: str, action: str, actor_id: str, attributes: dict[str, str] | None = None,
             scope: str = "local") -> None:
        """Record a daemon event (what ``docker events`` shows)."""
        with self.lock:
            t = self.clock()
            event: dict[str, Any] = {}
            if type_ in ("container", "image"):
                # the legacy fields the daemon still sends for these types
                event["status"] = action
                event["id"] = actor_id
                if type_ == "container" and attributes and "image" in attributes:
                    event["from"] = attributes["image"]
            event.update(
                {
                    "Type": type_,
                    "Action": action,
                    "Actor": {"ID": actor_id, "Attributes": dict(attributes or {})},
                    "scope": scope,
                    "time": int(t),
                    "timeNano": int(t * 1e9),
                }
            )
            self.events.append(event)
            self.events_changed.notify_all()

    # test-facing helpers ---------------------------------------------------------------
    def add_image(self, ref: str, config: dict[str, Any] | None = None, size: int = 5_000_000,
                  layers: int | None = None) -> str:
        """Make ``ref`` present locally (as if built or pulled).  Returns the image id."""
        parsed = parse_reference(ref)
        cfg = full_config(config)
        with self.lock:
            layer_list = make_layers(f"local/{parsed.tagged}/{size}", size, layers)
            image = Image(image_id_for(cfg, layer_list), cfg, self.now_iso(), layer_list)
            image = self.images.add(image, parsed)
            self.emit("image", "tag", image.id, {"name": parsed.tagged})
            return image.id

    def add_volume_driver(self, name: str, scope: str = "local", mount_root: str | None = None):
        """Install a fake volume plugin ``name`` (see :meth:`VolumeStore.add_driver`); tasks
        pending for want of it are scheduled again, as when a node reports a new plugin."""
        with self.lock:
            driver = self.volumes.add_driver(name, scope, mount_root)
            if self.swarm.active:
                self.swarm.orchestrator.reschedule_blocked()
            return driver

    def step(self, name: str | None = None) -> int:
        """Manual transitions: advance everything in flight (or what ``name`` prefixes) one step."""
        return self.transitions.step(name)

    def settle(self) -> int:
        """Manual transitions: run every pending step."""
        return self.transitions.settle()

    def crash(self, container: str, exit_code: int = 1, oom: bool = False) -> None:
        """Make a running container exit now with ``exit_code`` (``oom``: as the OOM killer)."""
        self.containers.crash(container, exit_code, oom=oom)

    def set_runtime(self, match: Any, runtime: Any) -> None:
        """Run the containers ``match`` selects (image ref or id, container-name prefix, or a
        callable ``match(container) -> bool``) with ``runtime`` (see :mod:`fakedocker.runtime`)."""
        self.containers.set_runtime(match, runtime)

    def oom_kill(self, container: str) -> None:
        self.containers.crash(container, 137, oom=True)

    def close(self) -> None:
        """Stop every runtime still running (host processes, threads); let held calls go."""
        self.faults.release()
        self.containers.shutdown()

    # clients ---------------------------------------------------------------------------
    def transport(self):
        from .transport import FakeTransport

        with self.lock:
            if self._transport is None:
                self._transport = FakeTransport(self)
            return self._transport

    def api_client(self, base_url: str = "unix:///var/run/docker.sock", version: str = "auto",
                   **kwargs: Any):
        """A genuine :class:`docker.APIClient` whose requests this engine answers."""
        from .client import api_client

        return api_client(self, base_url=base_url, version=version, **kwargs)

    def docker_client(self, base_url: str = "unix:///var/run/docker.sock", version: str = "auto",
                      **kwargs: Any):
        """A genuine :class:`docker.DockerClient` whose ``.api`` this engine answers."""
        from .client import docker_client

        return docker_client(self, base_url=base_url, version=version, **kwargs)

    def __enter__(self) -> FakeEngine:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
