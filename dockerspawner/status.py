"""What DockerSpawner answers about a server between spawns: ``poll()`` (from the shared
monitor), ``start_polling()`` (the monitor tells JupyterHub when the server stops) and the
exit report of a server that stopped on its own.  A mixin of DockerSpawner, saying what it
reads of the spawner."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from docker.errors import DockerException
from requests.exceptions import ConnectionError as RequestsConnectionError

from . import errors
from .monitor import GONE, RUNNING_STATE, Monitor, MonitorRegistry
from .step import SpawnerStep


class ServerStatus(SpawnerStep):
    """DockerSpawner's poll side (a mixin)."""

    if TYPE_CHECKING:  # what it reads of the spawner
        _starting: bool
        _spawn_pending: bool
        _ended_status: Any
        _discarding: asyncio.Future | None
        _poll_callback: Any
        object_id: str | None
        object_id_key: str
        object_type: str
        monitor_view: Any
        poll_interval: float
        poll_events: bool
        client_key: str
        executor: Any

        @property
        def object_name(self) -> str: ...
        def client_getter(self) -> Any: ...
        async def get_object(self) -> dict | None: ...
        async def _lookup_by_name(self) -> dict | None: ...
        async def _after_discard(self) -> None: ...
        async def _ended_on_its_own(self, status: Any) -> None: ...
        def _forget_object(self) -> None: ...
        def _redact(self, text: str) -> str: ...
        def stop_polling(self) -> None: ...

    #: (the registry's generation, the monitor) while no setting it depends on changed
    _monitor_memo: tuple[int, Monitor] | None = None

    @property
    def monitor(self) -> Monitor:
        """The process-wide view of every managed object on this spawner's daemon, which
        poll() answers from (an event-fed view, or one list call per poll_interval, however
        many servers).  Remembered per spawner: poll() asks for it every interval."""
        memo = self._monitor_memo
        if memo is not None and memo[0] == MonitorRegistry.generation():
            return memo[1]
        monitor = MonitorRegistry.get(
            (self.client_key, self.object_type),
            lambda: Monitor(self.monitor_view(self.client_getter(), self.executor), self.poll_interval,
                            follow_events=self.poll_events),
        )
        # answers are never older than the shortest poll_interval of the spawners asking
        if 0 < self.poll_interval < monitor.max_age:
            monitor.max_age = self.poll_interval
        self._monitor_memo = (MonitorRegistry.generation(), monitor)
        return monitor

    _change_hooks = dict.fromkeys(("client_kwargs", "tls_config", "poll_interval", "poll_events"),
                                  "_monitor_settings_changed")

    def _monitor_settings_changed(self, change: Any) -> None:
        self._monitor_memo = None

    async def poll(self) -> Any:
        """None while the server runs (and while start() is still at work); its status once it
        stopped; 0 when it is gone.

        Answered from the shared monitor (no Docker call of its own, except to find an object
        whose id the state lost).  A server that stopped on its own is reported with its exit
        code and last log lines; with remove, its container is removed then, since JupyterHub
        does not call stop() for a server poll() found dead."""
        if self._starting:
            return None  # the Spawner contract: a spawn in progress counts as running
        if self._discarding is not None:
            await self._after_discard()
        if not self.object_id and self._ended_status is not None:
            return self._ended_status  # JupyterHub polls again after the first answer
        try:
            if not self.object_id:
                info = await self._lookup_by_name()
                if info is None:
                    return 0
                self.object_id = info[self.object_id_key]
            if self._spawn_pending:
                # after start() returned, while JupyterHub waits for HTTP: ask the daemon itself,
                # a snapshot may predate the start
                status = await self.fresh_status()
                if status is not None:
                    await self._ended_on_its_own(status)
                return status
            monitor = self.monitor
            state = monitor.state_now(self.object_id)
            if state is RUNNING_STATE:
                return None  # every interval for every running server: no call, no wait
            if state is None:
                state = await monitor.state_of(self.object_id)
            if state.running:
                return None
            if state.state == GONE:
                self.log.warning("%s %s is gone", self.object_type.capitalize(), self.object_name)
                self._forget_object()
                return 0
            status = await self.fresh_status()
            if status is None:  # started again since the snapshot
                return None
            await self._ended_on_its_own(status)
            return status
        except (RequestsConnectionError, DockerException) as err:
            if not errors.daemon_unreachable(err):
                raise errors.user_error(err, action="poll", daemon=self.daemon_address, log=self.log,
                                        log_name=self._log_name) from None
            self.log.warning("Docker daemon at %s unreachable polling %s: %s", self.daemon_address,
                             self._log_name, err)
            return None

    #: whether the shared monitor answers JupyterHub's start_polling() for this class: None
    #: (the default) when poll() is DockerSpawner's own; a subclass whose poll() only wraps ours
    #: (logging, metrics) may set True to keep the monitor, or False to be polled every interval
    monitor_answers_poll: bool | None = None
    #: set on a class (in its own __dict__) once it was told its poll() is its own
    _told_polls_itself: ClassVar[bool] = False

    def _monitor_answers_poll(self) -> bool:
        if self.monitor_answers_poll is not None:
            return self.monitor_answers_poll
        # a poll() of a subclass, or one set on the object, may check more than the object's
        # state: only ours is answered from the monitor
        if getattr(self.poll, "__func__", None) is ServerStatus.poll:
            return True
        cls = type(self)
        if not cls.__dict__.get("_told_polls_itself"):  # once per class, on the class itself
            cls._told_polls_itself = True
            self.log.info("%s has a poll() of its own: JupyterHub polls each of its servers every "
                          "poll_interval (set monitor_answers_poll = True on the class if its poll() "
                          "only wraps DockerSpawner's, to have the shared monitor answer instead)",
                          cls.__name__)
        return False

    def start_polling(self) -> None:
        """JupyterHub asks to hear when the server stops.  The shared monitor tells it (an
        event, the swarm's changes call or a list shows the object stopped: ``poll_and_notify``
        runs then), so no coroutine runs per server every interval.  A spawner with a poll() of
        its own is polled every interval as JupyterHub does, its poll may check more (see
        :attr:`monitor_answers_poll`)."""
        if self.poll_interval <= 0 or not self.object_id or not self._monitor_answers_poll():
            return super().start_polling()  # type: ignore[misc]  # Spawner's, later in DockerSpawner's MRO
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # not from a coroutine: JupyterHub's own timer
            return super().start_polling()  # type: ignore[misc]  # Spawner's, later in DockerSpawner's MRO
        self.stop_polling()
        self._poll_callback = self.monitor.watch(self.object_id, self)

    async def fresh_status(self) -> Any:
        """poll()'s answer straight from the daemon: None while the container runs, else the
        exit report (0 when it is gone)."""
        info = await self.get_object()
        if info is None:
            return 0
        if not info["State"].get("Running"):
            return await self.exit_report(info)
        return None

    async def exit_report(self, info: dict, lines: int = 5) -> str:
        """"Your server's container exited … with code N: <its last log lines>" for a stopped
        container, logged once (token-like values hidden in both)."""
        state = info["State"]
        code = state.get("ExitCode")
        why = " (killed: out of memory)" if state.get("OOMKilled") else ""
        try:
            raw = await self.docker("logs", info["Id"], tail=lines)
            tail = raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else str(raw).strip()
        except DockerException:
            tail = ""
        tail = self._redact(tail)
        during = "during startup " if (self._starting or self._spawn_pending) else ""
        message = f"Your server's container exited {during}with code {code}{why}"
        self.log.error("%s for %s; last log lines:\n%s", message, self._log_name, tail or "(none)")
        return message + (f"{errors.LOG_LINES_INTRO}{tail}" if tail else ".")
