"""A hypothesis state machine drives random interleavings of spawn, stop, poll, hub restart,
injected daemon faults and container crashes across several users and named servers on
fakedocker, and checks after every step that the hub's view and the daemon agree and nothing
leaks."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from jupyterhub.objects import Hub, Server
from tornado import web

import fakedocker
from dockerspawner import DockerSpawner, process_state
from dockerspawner.monitor import Monitor, ObjectState
from dockerspawner.spec import LABEL_SERVER_NAME, LABEL_USER

IMAGE = "quay.io/jupyterhub/singleuser:test"
USERS = ("ann", "bob", "cy")
SERVERS = ("", "lab")
VOLUMES = {"home-{username}": "/home/jovyan", "scratch-{username}-{servername}": "/scratch"}

#: totals across every example, reported by test_report_totals (run with -s to see them)
TOTALS = {"examples": 0, "steps": 0, "faults": 0, "crashes": 0, "restarts": 0, "spawns": 0}


POLL_INTERVAL = 30


class SpawnerLifecycle(RuleBasedStateMachine):
    """Calls the spawners exactly as JupyterHub does (``User.spawn``, ``User.stop``, the periodic
    poll and its ``user_stopped``, ``init_spawners`` after a restart), with the shared monitor
    answering polls from its own snapshots on a clock the machine advances: nothing forces a
    fresh list before a poll."""

    @initialize(remove=st.booleans())
    def setup(self, remove: bool) -> None:
        TOTALS["examples"] += 1
        self.remove = remove
        self.loop = asyncio.new_event_loop()
        self.engine = fakedocker.FakeEngine()
        self.engine.add_image(IMAGE, config={"Cmd": ["jupyterhub-singleuser"], "ExposedPorts": {"8888/tcp": {}}})
        self.patch = fakedocker.patch(self.engine)
        self.patch.__enter__()
        process_state.reset()
        self.now = 1000.0
        self.original_clock = Monitor.default_clock
        Monitor.default_clock = staticmethod(lambda: self.now)
        self.api = self.engine.api_client()
        self.running: dict[tuple[str, str], bool] = {}
        #: crashed servers, and whether a poll interval has passed since (then polls must see it)
        self.crashed: dict[tuple[str, str], bool] = {}
        self.volumes_seen: set[str] = set()
        self.spawners = {key: self.new_spawner(*key) for key in self.keys()}

    def teardown(self) -> None:
        if hasattr(self, "patch"):
            Monitor.default_clock = self.original_clock
            self.patch.__exit__(None, None, None)
            process_state.reset()
            self.engine.close()
            self.loop.close()

    @staticmethod
    def keys():
        return [(u, s) for u in USERS for s in SERVERS]

    def new_spawner(self, username: str, server_name: str, state: dict | None = None) -> DockerSpawner:
        user = SimpleNamespace(name=username, url=f"/user/{username}/", escaped_name=username, orm_user=None)
        spawner = DockerSpawner(
            user=user, hub=Hub(ip="127.0.0.1", port=8081), image=IMAGE, remove=self.remove, volumes=VOLUMES,
            orm_spawner=SimpleNamespace(name=server_name, server=None), stop_grace_period=0,
            poll_interval=POLL_INTERVAL,
            wait_for_server_interval=0,  # idle fake containers serve no HTTP
        )
        spawner.api_token = f"token-{username}-{server_name}"
        spawner.server = Server(base_url=f"/user/{username}/{server_name}")
        if state:
            spawner.load_state(state)
        return spawner

    def run(self, coro):
        TOTALS["steps"] += 1
        return self.loop.run_until_complete(coro)

    def containers_of(self, key: tuple[str, str]) -> list[dict]:
        user, server = key
        return self.api.containers(all=True, filters={"label": [f"{LABEL_USER}={user}", f"{LABEL_SERVER_NAME}={server}"]})

    # -- what JupyterHub does ----------------------------------------------------------------------
    async def hub_spawn(self, key) -> None:
        """User.spawn: clear_state, start; on failure User.stop, then the error."""
        spawner = self.spawners[key]
        spawner.clear_state()
        try:
            await spawner.start()
        except Exception:
            await self.hub_stop(key)
            raise

    async def hub_stop(self, key) -> None:
        """User.stop: poll, stop() only for a server poll() says is running, clear_state."""
        spawner = self.spawners[key]
        try:
            if await spawner.poll() is None:
                await spawner.stop()
        finally:
            spawner.clear_state()

    # -- rules ----------------------------------------------------------------------------------
    @rule(key=st.sampled_from(keys.__func__()))
    def spawn(self, key):
        if self.running.get(key):
            return
        TOTALS["spawns"] += 1
        self.run(self.hub_spawn(key))
        self.running[key] = True
        self.crashed.pop(key, None)
        self.volumes_seen |= {v["Name"] for v in self.api.volumes()["Volumes"] or []}

    @rule(key=st.sampled_from(keys.__func__()))
    def stop(self, key):
        if not self.running.get(key):
            return
        self.run(self.hub_stop(key))
        self.running[key] = False
        self.crashed.pop(key, None)

    @rule()
    def poll_interval_passes(self):
        self.now += POLL_INTERVAL + 1
        self.crashed = {key: True for key in self.crashed}

    @rule(key=st.sampled_from(keys.__func__()))
    def periodic_poll(self, key):
        """Spawner.poll_and_notify for a running server; a dead one goes through user_stopped."""
        if not self.running.get(key):
            return
        status = self.run(self.spawners[key].poll())
        if key not in self.crashed:
            assert status is None, (key, status)  # a live server is never reported dead
        elif self.crashed[key]:
            assert status is not None, key  # seen within one poll interval of the crash
        if status is not None:
            # user_stopped: poll again, then User.stop (which polls once more, so no stop())
            assert self.run(self.spawners[key].poll()) is not None
            self.run(self.hub_stop(key))
            self.running[key] = False
            self.crashed.pop(key, None)

    @rule(key=st.sampled_from(keys.__func__()), code=st.sampled_from([1, 137]))
    def crash(self, key, code):
        if not self.running.get(key) or key in self.crashed:
            return
        TOTALS["crashes"] += 1
        object_id = self.spawners[key].object_id
        self.engine.crash(object_id, exit_code=code, oom=code == 137)
        self.crashed[key] = False
        self.run(self.events_delivered(self.spawners[key].monitor, object_id))

    @staticmethod
    async def events_delivered(monitor, object_id: str) -> None:
        """A live monitor learns of the crash from the event stream a moment later in real
        time (well inside a real poll interval): wait until it has."""
        await monitor.wait_until(
            lambda: not monitor.live or not (monitor.known(object_id) or ObjectState("gone")).running, timeout=10)

    @rule()
    def hub_restart(self):
        """A new hub process: spawners from the saved state, each polled by init_spawners."""
        TOTALS["restarts"] += 1
        states = {key: spawner.get_state() for key, spawner in self.spawners.items()}
        process_state.reset()
        process_state.reset()
        self.spawners = {key: self.new_spawner(*key, state=states[key]) for key in self.keys()}
        for key in self.keys():
            if not self.running.get(key):
                continue
            status = self.run(self.spawners[key].poll())
            assert (status is None) == (key not in self.crashed), (key, status)
            if status is not None:
                self.run(self.hub_stop(key))
                self.running[key] = False
                self.crashed.pop(key, None)

    @rule(key=st.sampled_from(keys.__func__()),
          fault=st.sampled_from(["daemon_down", "create_container", "start", "inspect_container"]))
    def spawn_with_fault(self, key, fault):
        if self.running.get(key):
            return
        TOTALS["faults"] += 1
        if fault == "daemon_down":
            self.engine.faults.daemon_down()
        else:
            self.engine.faults.fail(fault, status=500, message=f"injected {fault} failure", times=1)
        try:
            self.run(self.hub_spawn(key))
        except web.HTTPError as err:
            assert err.status_code in (500, 503)
            assert "Traceback" not in err.log_message
            failed = True
        else:
            failed = False
        finally:
            self.engine.faults.clear()
        if failed:
            # nothing half-made blocks the next try: the retry succeeds
            self.run(self.hub_spawn(key))
        self.running[key] = True
        self.crashed.pop(key, None)

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def at_most_one_container_per_server(self):
        if not hasattr(self, "api"):
            return
        for key in self.keys():
            assert len(self.containers_of(key)) <= 1, key

    @invariant()
    def the_daemon_agrees_with_the_hub(self):
        if not hasattr(self, "api"):
            return
        for key in self.keys():
            containers = self.containers_of(key)
            running = [c for c in containers if c["State"] == "running"]
            if self.running.get(key) and key not in self.crashed:
                assert len(running) == 1, key
                assert running[0]["Id"] == self.spawners[key].object_id
            else:
                assert running == [], key
                if self.remove and not self.running.get(key):
                    assert containers == [], key  # remove=True leaves nothing behind, crashes included

    @invariant()
    def volumes_are_never_removed(self):
        if not hasattr(self, "api"):
            return
        now = {v["Name"] for v in self.api.volumes()["Volumes"] or []}
        assert self.volumes_seen <= now


def test_spawner_lifecycle():
    """Runs the machine, then says what it explored (pytest -s shows the totals)."""
    run_state_machine_as_test(SpawnerLifecycle, settings=settings(max_examples=100, stateful_step_count=30,
                                                                  deadline=None))
    print("\nstateful lifecycle totals:", TOTALS)
    assert TOTALS["examples"] > 0 and TOTALS["spawns"] > 0
