"""A container's life after create: start, stop, kill, restart, pause, wait, exits, remove.

Receives the container table, the network store (endpoints join at start and leave at exit),
the volume store (mount events, anonymous volumes removed with ``rm -v``), the host's port
table (published ports held while running) and the runtime rules (what runs at start).

Every exit is recorded once (:meth:`ContainerLifecycle._record_exit`) and reported to the
:attr:`ContainerLifecycle.exit_listeners` once the operation that caused it is over, so that
its events come first (the swarm ends a task container's task there).

Its parts: :mod:`.start_checks` (what a start checks before the process runs, pure),
:class:`~.stopping.ContainerStopper` (stop, stop_later, the stop of a restart) and
:class:`~.waiting.ContainerWaits` (wait, and the 501 for a program the fake cannot run).
"""

from __future__ import annotations

import signal as _signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ... import messages
from ...routing import DaemonError
from ...runtime import RuntimeContext
from ...timestamps import ZERO_TIME
from ...transitions import Step
from ..ports import HostPorts, PortAlreadyAllocated
from .health import HealthMonitor
from .model import Container, ContainerTable, signal_number
from .runtime_rules import RuntimeRules
from .start_checks import bind_propagation_problem, device_request_problem, link_error
from .stopping import ContainerStopper
from .waiting import ContainerWaits

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..networks import NetworkStore
    from ..volumes import VolumeStore

_SIGKILL = int(_signal.SIGKILL)
#: how long after an exit an AutoRemove container is removed (the daemon's clean-up first)
AUTO_REMOVE_AFTER = 0.5
ExitListener = Callable[[Container, int], None]


class ContainerLifecycle:
    def __init__(self, engine: FakeEngine, table: ContainerTable, networks: NetworkStore,
                 volumes: VolumeStore, ports: HostPorts, rules: RuntimeRules) -> None:
        self.engine = engine
        self.table = table
        self.changed = table.changed
        self.networks = networks
        self.volumes = volumes
        self.ports = ports
        self.rules = rules
        #: called with (container, exit code) for every exit (see the module docstring)
        self.exit_listeners: list[ExitListener] = []
        #: the propagation of the host mount that host paths live on: "private" (as on this
        #: project's test machine: shared/slave binds fail to start), "slave" or "shared"
        #: (hosts booted by systemd)
        self.host_mount_propagation = "private"
        self.health = HealthMonitor(engine)
        self._unreported_exits: list[tuple[Container, int]] = []
        #: stop, stop_later and the stop half of restart (:mod:`.stopping`)
        self.stopper = ContainerStopper(self)
        #: wait, and the 501 for a program the fake cannot run (:mod:`.waiting`)
        self.waits = ContainerWaits(self)

    def _as_container(self, ref: str | Container) -> Container:
        return ref if isinstance(ref, Container) else self.table.get(ref)

    # start -----------------------------------------------------------------------------
    def start(self, ref: str | Container) -> bool:
        """Start; False when it was already running (the daemon's 304)."""
        engine = self.engine
        with engine.lock:
            c = self._as_container(ref)
            if c.running:
                return False
            if c.removed:
                raise messages.no_such_container(c.id)
            self._start(c)
            engine.emit("container", "start", c.id, c.attributes())
            self._record_exit_at_start(c)
            self._notify_exit_listeners()
            return True

    def _record_exit_at_start(self, c: Container) -> None:
        code = getattr(c.process, "exit_at_start", None)  # optional in the process protocol
        if code is not None and c.running:
            self._record_exit(c, code)

    def _fail_start(self, c: Container, error: str) -> None:
        """The daemon records a start that failed in State (ExitCode 128, Error)."""
        c.error = error
        c.exit_code = 128
        self.changed.notify_all()

    def _bind_ports(self, c: Container) -> dict[str, list[dict[str, str]]]:
        try:
            return self.ports.bind(c.id, c.requested_port_bindings())
        except PortAlreadyAllocated as taken:
            endpoint = c.networks.get(c.network_mode()) or {}
            raise messages.port_already_allocated(
                c.name, endpoint.get("EndpointID") or self.engine.new_id(), taken.host_ip,
                taken.port) from None

    def _start(self, c: Container) -> None:
        engine = self.engine
        problem = bind_propagation_problem(c, self.host_mount_propagation)
        if problem is None:
            problem = device_request_problem(c, engine.gpus)
        if problem is not None:
            self._fail_start(c, problem)
            raise messages.start_failed(problem)
        for m in c.mounts:
            if m["Type"] == "volume":
                self.volumes.mount(m["Name"], c.id, m["Destination"], m["RW"], m["Propagation"])
        try:
            self.networks.on_start(c)
        except DaemonError as err:
            self._fail_start(c, err.message)
            raise
        refused_link = link_error(c)
        if refused_link is not None:
            self.networks.on_stop(c)
            self._fail_start(c, refused_link.message)
            raise refused_link
        c.sandbox_id = c.sandbox_id or engine.new_id()
        ports: dict[str, list[dict[str, str]]] = {}
        if c.publishes_ports():
            try:
                ports = self._bind_ports(c)
            except DaemonError as err:
                self.networks.on_stop(c)
                self._fail_start(c, err.message)
                raise
        c.ports = ports
        c.status = "running"
        c.error = ""
        c.exit_code = 0
        c.oom_killed = False
        c.started_unix = engine.now()
        c.started_at = engine.now_iso(c.started_unix)
        c.finished_at = c.finished_at if c.exits else ZERO_TIME
        c.generation += 1
        ctx = RuntimeContext(self, c, c.generation, c.published_ports())
        c.context = ctx
        runtime = self.rules.runtime_for(c)
        try:
            process = runtime.start(ctx)
        except Exception as exc:  # the runtime could not start: as an exec failure
            self._release_ports(c)
            self.networks.on_stop(c)
            c.status = "created" if not c.exits else "exited"
            c.exit_code = 127
            c.error = f"failed to start container process: {exc}"
            c.generation += 1
            self.changed.notify_all()
            raise messages.start_failed(c.error) from exc
        c.process = process
        c.pid = getattr(process, "pid", 0) or 0
        self.health.on_start(c)
        self.changed.notify_all()

    def _release_ports(self, c: Container) -> None:
        self.ports.release(c.id, c.ports)
        c.ports = {}

    # exits -----------------------------------------------------------------------------
    def _record_exit(self, c: Container, code: int, oom: bool = False) -> None:
        """c's process is gone: State, ports, networks, the ``die`` event, waiters."""
        engine = self.engine
        if oom:
            c.oom_killed = True
            engine.emit("container", "oom", c.id, c.attributes())
        c.status = "exited"
        c.exit_code = code
        c.pid = 0
        c.process = None
        if c.context is not None:
            c.context.stopped.set()
            c.context = None
        c.finished_at = engine.now_iso()
        c.generation += 1
        c.exits += 1
        self.health.on_exit(c)
        self._release_ports(c)
        if engine.profile.at_least("26.1"):  # how long the process ran, in whole seconds
            die = c.attributes(execDuration=str(int(engine.now() - c.started_unix)), exitCode=str(code))
        else:
            die = c.attributes(exitCode=str(code))
        held = self.stopper.held_dies.get(c.id)
        if held is not None:
            held.append(die)
        else:
            engine.emit("container", "die", c.id, die)
        self.networks.on_stop(c)
        for m in c.mounts:
            if m["Type"] == "volume":
                self.volumes.unmount(m["Name"], c.id)
        self._unreported_exits.append((c, code))
        self.changed.notify_all()

    def _kill_now(self, c: Container) -> None:
        """Record exit 137 at once, then SIGKILL whatever process is left."""
        process = c.process
        self._record_exit(c, 137)
        if process is not None:
            try:
                process.signal(_SIGKILL)
            except Exception:
                pass

    def _notify_exit_listeners(self) -> None:
        """Report the exits recorded so far (under the lock, once the container operation
        that caused them is complete, so its events come first)."""
        while self._unreported_exits:
            c, code = self._unreported_exits.pop(0)
            for listener in self.exit_listeners:
                listener(c, code)
            self._auto_remove(c)

    def _auto_remove(self, c: Container) -> None:
        """``--rm`` (HostConfig.AutoRemove): an exited container goes, with its anonymous
        volumes, :data:`AUTO_REMOVE_AFTER` seconds (on the engine's clock, in every transition
        mode) after its exit is reported, as the daemon removes it once it has cleaned up after
        the exit: a client that reads its logs or waits right after starting it (docker-py's
        ``containers.run(auto_remove=True)``) still finds it. A restart starts it again instead
        (the daemon suspends AutoRemove while it restarts a container)."""
        if not c.host_config.get("AutoRemove") or c.running or c.removed or c.id in self.stopper.stopping:
            return
        generation = c.generation

        def remove() -> None:
            with self.engine.lock:
                if not (c.running or c.removed or c.generation != generation):
                    self.remove(c.id, v=True)

        self.engine.transitions.schedule(f"auto-remove:{c.name}", [Step(remove, AUTO_REMOVE_AFTER)], clocked=True)

    def process_exited(self, c: Container, generation: int, code: int) -> None:
        """A runtime reports that its process ended by itself."""
        with self.engine.lock:
            if c.generation != generation or not c.running:
                return
            self._record_exit(c, code)
            self._notify_exit_listeners()

    def append_log(self, c: Container | str, data: bytes | str, stream: int | str = 1) -> None:
        """Append output to a container's log (``stream`` 1/``stdout`` or 2/``stderr``)."""
        if isinstance(data, str):
            data = data.encode()
        if isinstance(stream, str):
            stream = 2 if stream == "stderr" else 1
        with self.engine.lock:
            if isinstance(c, str):
                c = self.table.get(c)
            t = self.engine.now()
            for line in data.splitlines(keepends=True):
                c.logs.append((t, stream, line))
            self.changed.notify_all()

    # signals ---------------------------------------------------------------------------
    def _send_signal(self, c: Container, signum: int) -> bool:
        """Send ``signum``; record the exit if the process died of it at once.  True if so."""
        process = c.process
        code = process.signal(signum) if process is not None else 128 + signum
        if code is not None and c.running:
            self._record_exit(c, code)
            return True
        return not c.running

    def kill(self, ref: str, sig: str | int | None = None) -> None:
        engine = self.engine
        with engine.lock:
            c = self.table.resolve(ref)
            if c is None:
                raise messages.cannot_kill(ref, messages.no_such_container(ref))
            try:
                signum = signal_number(sig)
            except DaemonError:
                raise messages.kill_invalid_signal(ref, str(sig)) from None
            if not c.running:
                raise messages.cannot_kill(ref, messages.container_not_running(c.id))
            engine.emit("container", "kill", c.id, c.attributes(signal=str(signum)))
            if signum == _SIGKILL and c.status == "paused":
                self._resume_process(c, event=False)
            self._send_signal(c, signum)
            self._notify_exit_listeners()

    def crash(self, container: str, exit_code: int, oom: bool = False) -> None:
        """Make a running container exit now with ``exit_code`` (``oom``: as the OOM killer)."""
        with self.engine.lock:
            c = self.table.get(container)
            if not c.running:
                raise messages.container_not_running(c.id)
            process = c.process
            self._record_exit(c, exit_code, oom=oom)
            if process is not None:
                try:
                    process.signal(_SIGKILL)
                except Exception:
                    pass
            self._notify_exit_listeners()

    def pause(self, ref: str) -> None:
        with self.engine.lock:
            c = self.table.get(ref)
            if c.status == "paused":
                raise messages.container_already_paused(c.id)
            if not c.running:
                raise messages.container_not_running(c.id)
            c.status = "paused"
            if c.process is not None and hasattr(c.process, "pause"):  # optional
                c.process.pause()
            self.engine.emit("container", "pause", c.id, c.attributes())
            self.changed.notify_all()

    def _resume_process(self, c: Container, event: bool) -> None:
        c.status = "running"
        if c.process is not None and hasattr(c.process, "resume"):  # optional
            c.process.resume()
        if event:
            self.engine.emit("container", "unpause", c.id, c.attributes())

    def unpause(self, ref: str) -> None:
        with self.engine.lock:
            c = self.table.get(ref)
            if c.status != "paused":
                raise messages.container_not_paused(c.id)
            self._resume_process(c, event=True)
            self.changed.notify_all()

    # stop (:mod:`.stopping`) -----------------------------------------------------------
    def stop(self, ref: str | Container, timeout: int | None = None) -> bool:
        """Stop; False when it was not running (the daemon's 304).  Blocks up to ``timeout``
        seconds for the process to end, without holding the engine lock."""
        return self.stopper.stop(ref, timeout)

    def stop_later(self, ref: str | Container, timeout: float | None = None,
                   remove: bool = False) -> None:
        """``docker stop`` (then ``docker rm`` when ``remove``) without blocking the caller
        (:meth:`.ContainerStopper.stop_later`)."""
        self.stopper.stop_later(ref, timeout, remove)

    def restart(self, ref: str, timeout: int | None = None) -> None:
        engine = self.engine
        with engine.lock:
            c = self.table.get(ref)
            if c.running:
                self.stopper.stop_then_report(c, lambda: self.stopper.stop_and_wait(c, timeout))
            if c.removed:
                raise messages.no_such_container(ref)
            if not c.running:
                self._start(c)
                engine.emit("container", "start", c.id, c.attributes())
            engine.emit("container", "restart", c.id, c.attributes())
            self._record_exit_at_start(c)
            self._notify_exit_listeners()

    # remove ----------------------------------------------------------------------------
    def remove(self, ref: str, v: bool = False, force: bool = False, link: bool = False) -> None:
        engine = self.engine
        table = self.table
        with engine.lock:
            if link:  # only a legacy link is removed: the containers stay
                self._remove_link(ref)
                return
            c = table.get(ref)
            if c.running:
                if not force:
                    raise messages.remove_running_container(c.id, c.name)
                engine.emit("container", "kill", c.id, c.attributes(signal=str(_SIGKILL)))
                if c.status == "paused":
                    self._resume_process(c, event=False)
                self._kill_now(c)
            c.status = "removing"
            self.networks.on_remove(c)
            c.networks = {}
            del table.by_id[c.id]
            if table.by_name.get(c.name) is c:
                del table.by_name[c.name]
            for exec_id in c.exec_ids:
                table.execs.pop(exec_id, None)
            c.removed = True
            c.mounts = []
            if v:
                self._remove_anonymous_volumes(c)
            engine.emit("container", "destroy", c.id, c.attributes())
            self.changed.notify_all()
            self._notify_exit_listeners()

    def _remove_link(self, ref: str) -> None:
        """``rm --link /parent/alias``: the daemon finds the link by the name it reserved."""
        name = ref.lstrip("/")
        parent_name, _, alias = name.rpartition("/")
        if not parent_name:
            self.table.get(ref)
            raise messages.default_link_name()
        parent = self.table.resolve(parent_name)
        links = parent.links if parent is not None else []
        entry = next((link for link in links if link[1] == alias), None)
        if entry is None:
            raise messages.no_such_container(name)
        links.remove(entry)

    def _remove_anonymous_volumes(self, c: Container) -> None:
        for name in c.anonymous_volumes:
            if self.volumes.users(name):
                continue
            try:
                self.volumes.remove(name)
            except DaemonError:
                pass

    # wait (:mod:`.waiting`) ---------------------------------------------------------------
    def refuse_unrunnable(self, c: Container) -> None:
        """The 501 for a running container whose short-lived program the fake cannot run
        (:meth:`.ContainerWaits.refuse_unrunnable`)."""
        self.waits.refuse_unrunnable(c)

    def waiter(self, ref: str, condition: str | None = None
               ) -> tuple[Callable[[], bool], Callable[[], dict[str, Any]]]:
        """The decision of a /wait, taken when the request arrives: ``(done, answer)``
        (:meth:`.ContainerWaits.waiter`)."""
        return self.waits.waiter(ref, condition)

    def wait(self, ref: str, condition: str | None = None, timeout: float | None = None) -> dict[str, Any]:
        """Block (without holding the lock) until ``condition`` holds; the /wait answer."""
        return self.waits.wait(ref, condition, timeout)

    def shutdown(self) -> None:
        """Kill every runtime still running (host processes, threads)."""
        with self.engine.lock:
            for c in [c for c in self.table.by_id.values() if c.running]:
                self._kill_now(c)
            self._unreported_exits.clear()  # the engine is closing: no task restarts
            self.ports.close()
