"""SwarmSpawner: each user's server as a Docker Swarm-mode service.

The lifecycle is DockerSpawner's; the object is a service instead of a container, so a few
steps differ: creating it (a service spec), waiting for its task to run, finding where it
answers, and stopping it (a service cannot be paused: stopping removes it).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from docker.errors import ImageNotFound, NotFound
from jupyterhub.utils import exponential_backoff
from tornado import web
from traitlets import Bool, CaselessStrEnum, Dict, Unicode, default

from . import errors, placement, spec
from .dockerspawner import DockerSpawner
from .resolve import alias
from .swarm_tasks import (
    FINAL_TASK_STATES,
    PENDING_TASK_STATES,
    WANTED_TASK_STATES,
    ServiceView,
    task_given_up,
)

#: where each task state puts the progress bar (between "starting service" and "waiting")
TASK_PROGRESS = {"new": 81, "pending": 82, "assigned": 83, "accepted": 84, "preparing": 85,
                 "starting": 87, "running": 89}


def _still_wanted(task: dict, removing: bool = False) -> bool:
    """Whether ``task`` has not ended and its node still runs it: not given up by the manager
    (a lost node's task reads running for ever).  ``removing``: its service was removed by the
    hub, which makes its desired state ``remove``."""
    state = task["Status"]["State"]
    desired = task.get("DesiredState", "running")
    if state in FINAL_TASK_STATES:
        return False
    return desired == "remove" if removing else desired in WANTED_TASK_STATES


class SwarmSpawner(DockerSpawner):
    """A Spawner for JupyterHub that runs each user's server as a separate Docker Swarm service."""

    object_type = "service"
    object_id_key = "ID"
    monitor_view = ServiceView
    #: swarm refuses a service name of more than 63 characters (a DNS label); a longer rendered
    #: name is shortened with a hash of the whole
    object_name_limit = 63

    async def assign_gpus(self, existing: dict | None) -> None:
        """Refused: a swarm task cannot be given device ids of its own."""
        self.assigned_gpus = None
        if await self.gpu_setting() is not None:
            raise errors.ConfigProblem(
                "gpus", "SwarmSpawner cannot give a server GPUs of its own: a swarm service takes no "
                "device requests. Declare the GPUs as generic resources of the nodes "
                "(node-generic-resources in daemon.json) and reserve them with extra_resources_spec "
                "(generic_resources), or use DockerSpawner")

    extra_container_spec = Dict(config=True, help="Keyword arguments to pass to the ContainerSpec constructor.")
    extra_task_spec = Dict(config=True, help="Keyword arguments to pass to the TaskTemplate constructor.")
    extra_resources_spec = Dict(config=True, help="Keyword arguments to pass to the Resources spec.")
    extra_placement_spec = Dict(
        config=True,
        help="""Keyword arguments to pass to the Placement constructor (constraints,
        preferences, ...).  Strings are rendered with the name templates' fields, so a
        constraint can name the user: ``{"constraints": ["node.labels.jupyter-user ==
        {username}"]}``.  A spawn no node can take fails at once with the swarm's reason.""",
    )
    pin_to_node = Bool(
        False,
        config=True,
        help="""Keep each server on the node its first task ran on.

        Named volumes are local to a node: a server placed on another node starts with new,
        empty volumes there.  With this set, the node is remembered in the server's state and
        every later spawn is constrained to it (``node.id == <id>``).  While that node is down
        or drained the spawn fails with a message saying so; once the node is removed from the
        swarm (``docker node rm``) the pin is dropped at the next spawn and the server is placed
        anew.  Not needed with a multi-host volume_driver.""",
    )
    extra_endpoint_spec = Dict(config=True, help="Keyword arguments to pass to the Endpoint constructor.")
    volume_driver = Unicode(
        "",
        config=True,
        help="""Use this driver for mounting the notebook volumes.  It must support multiple
        hosts for volumes to follow a server across the swarm.""",
    )
    volume_driver_options = Dict(config=True, help="Configuration options for the multi-host volume driver.")
    publish_mode = CaselessStrEnum(
        ["host", "ingress"],
        default_value="host",
        config=True,
        help="""How the server's port is published when the hub does not reach the task on a
        network (use_internal_ip and use_internal_hostname both False): "host" binds a port on
        the node running the task (read from the task's status), "ingress" uses the swarm's
        routing mesh (the service's published port on any node).""",
    )

    @default("pull_policy")
    def _default_pull_policy(self) -> str:
        return "skip"

    service_name = alias("object_name")
    service_id = alias("object_id")

    #: the node a pinned server runs on: {"id": ..., "hostname": ...} (kept across stops)
    _pinned_node: dict[str, str] | None = None

    # -- state ---------------------------------------------------------------------------
    def load_state(self, state: dict) -> None:
        super().load_state(state)
        pinned = state.get("pinned_node")
        if isinstance(pinned, dict) and pinned.get("id"):
            self._pinned_node = {"id": str(pinned["id"]), "hostname": str(pinned.get("hostname") or "")}

    def get_state(self) -> dict:
        state = super().get_state()
        if self._pinned_node:
            state["pinned_node"] = dict(self._pinned_node)
        return state

    @property
    def will_resume(self) -> bool:
        """A stopped service is removed, so a server never resumes."""
        return False

    def clear_state(self) -> None:
        """The service is forgotten (a stopped service is removed); a node pin is kept."""
        super().clear_state()
        self._forget_object()

    async def replacement_reason(self, info: dict, request: spec.ContainerRequest | None = None) -> str | None:
        """A leftover service (from a hub that died mid-stop) is replaced, never reused."""
        return "a service is never resumed"

    # -- building ------------------------------------------------------------------------
    def service_options(self) -> spec.ServiceOptions:
        return spec.ServiceOptions(
            publish_mode=None if (self.use_internal_ip or self.use_internal_hostname) else self.publish_mode,
            volume_driver=self.volume_driver,
            volume_driver_options=dict(self.volume_driver_options),
            extra_container_spec=dict(self.extra_container_spec),
            extra_task_spec=dict(self.extra_task_spec),
            extra_resources_spec=dict(self.extra_resources_spec),
            extra_placement_spec=placement.placement_spec(
                self.extra_placement_spec, self.template_namespace(),
                self._pinned_node["id"] if self.pin_to_node and self._pinned_node else None),
            extra_endpoint_spec=dict(self.extra_endpoint_spec),
        )

    # -- lifecycle steps -----------------------------------------------------------------
    inspect_method = "inspect_service"

    def _labels_of(self, info: dict) -> dict[str, str]:
        return (info.get("Spec") or {}).get("Labels") or {}

    #: the Engine API version whose services can set no-new-privileges
    NO_NEW_PRIVILEGES_API = (1, 46)

    async def _translation(self, request: spec.ContainerRequest) -> spec.ServiceTranslation:
        api_version = (await self.docker_client()).api_version
        return spec.translate_for_service(
            request, no_new_privileges_supported=spec.api_at_least(api_version, self.NO_NEW_PRIVILEGES_API))

    async def check_settings(self) -> None:
        """Refuse post_start_cmd before anything is pulled: a service's task may run on any
        node, where the hub cannot exec into it."""
        if self.post_start_cmd:
            raise errors.ConfigProblem("SwarmSpawner", "post_start_cmd: a service's task may run on "
                                       "any node, where the hub cannot exec into it")

    async def check_request(self, request: spec.ContainerRequest) -> None:
        """Refuse what a service cannot express (links, host-config keys with no service
        equivalent, no_new_privileges on an older daemon) before anything is created: never
        start a server without a setting the admin asked for.  The request is the one the
        service is then created from."""
        refused = list((await self._translation(request)).refused)
        if refused:
            raise errors.ConfigProblem("SwarmSpawner", "; ".join(refused))

    async def create_object(self, request: spec.ContainerRequest | None = None) -> dict:
        await self._check_pin()
        if request is None:
            request = await self.container_request()
        kwargs = spec.build_service_kwargs(request, self.service_options(), await self._translation(request))
        self.log.debug("Creating service %s for %s from image %s", request.name, self._log_name, request.image)
        return await self.docker("create_service", **kwargs)

    def _name_of(self, info: dict) -> str:
        return info["Spec"]["Name"]

    async def start_object(self) -> None:
        """A service starts when it is created: wait for its task to run (and, with
        pin_to_node, remember its node)."""
        task = await self.running_task()
        if self.pin_to_node and not self._pinned_node and task.get("NodeID"):
            node = await self.node_info(task["NodeID"])
            self._pinned_node = {"id": task["NodeID"], "hostname": placement.node_name(node, task["NodeID"])}
            self.log.info("Pinned %s to node %s (pin_to_node)", self._log_name, self._pinned_node["hostname"])

    # -- nodes ---------------------------------------------------------------------------
    async def node_info(self, node_id: str) -> dict | None:
        """The node's inspect dict, or None once it has left the swarm."""
        try:
            return await self.docker("inspect_node", node_id)
        except NotFound:
            return None

    async def _check_pin(self) -> None:
        """A pin to a node that has left the swarm is dropped (its volumes went with it)."""
        if not (self.pin_to_node and self._pinned_node):
            return
        if await self.node_info(self._pinned_node["id"]) is None:
            self.log.warning("Node %s, to which %s was pinned, has left the swarm: placing the "
                             "server anew, with new volumes", self._pinned_node["hostname"], self._log_name)
            self._pinned_node = None

    def _unschedulable(self, reason: str) -> web.HTTPError:
        message = f"No node of the swarm can run your server now: {reason}."
        if self.pin_to_node and self._pinned_node:
            message += (f" Your server is pinned to node {self._pinned_node['hostname']}, where its"
                        " volumes are; it starts again once that node is back.")
        self.log.error("Swarm cannot place %s (service %s): %s", self._log_name, self.service_name, reason)
        return errors.spawn_failure(503, message, reason=errors.REASON_NO_NODE)

    async def stop_object(self, now: bool = False) -> None:
        await self.remove_object()

    async def remove_object(self) -> None:
        try:
            await self.docker("remove_service", self.object_id)
        except NotFound:
            pass

    async def get_command(self, image_info: dict | None = None) -> list[str] | None:
        """cmd + args; with no cmd, the image's own CMD (the image need not be on the hub's node,
        so it is only inspected when args must be appended to its CMD)."""
        if self.cmd:
            return list(self.cmd) + list(self.get_args())
        if not self.get_args():
            return None
        try:
            return await super().get_command(image_info)
        except ImageNotFound:
            raise errors.spawn_failure(
                500, f"Image {self.image} is not on the hub's node: set cmd to pass args to its command",
                reason=errors.REASON_CONFIG,
            ) from None

    async def tasks(self) -> list[dict]:
        """The service's tasks, newest first."""
        tasks = await self.docker("tasks", filters={"service": self.object_id})
        return sorted(tasks, key=lambda t: (t.get("CreatedAt", ""), t["Version"]["Index"]), reverse=True)

    async def running_task(self) -> dict:
        """Wait for the service's task to run; a task that fails reports its own error.  No
        deadline of its own: JupyterHub's start_timeout ends the spawn."""
        last_state: str | None = None

        async def task_if_running() -> dict | None:
            nonlocal last_state
            tasks = await self.tasks()
            if not tasks:
                return None
            task = tasks[0]
            status = task["Status"]
            state = status["State"]
            if state != last_state:
                self.log.debug("Task of %s is %s (%s)", self.service_name, state, status.get("Message", ""))
                message = f"Swarm task {state}"
                if state in TASK_PROGRESS and self.progress_log.last_message != message:
                    self.report_progress(TASK_PROGRESS[state], message)
                last_state = state
            if state == "running":
                return task
            unschedulable = placement.unschedulable_reason(task)
            if unschedulable is not None:
                raise self._unschedulable(unschedulable)
            if state in FINAL_TASK_STATES:
                reason = status.get("Err") or status.get("Message") or state
                self.log.error("Swarm task of %s %s: %s", self.service_name, state, reason)
                raise errors.spawn_failure(
                    500, f"The swarm could not run your server (task {state}): {reason}",
                    reason=errors.REASON_DOCKER if state == "rejected" else errors.REASON_EXITED)
            return None

        task: dict = await exponential_backoff(
            task_if_running, "", start_wait=0.05, max_wait=1.0, timeout=math.inf, timeout_tolerance=0)
        return task

    async def get_ip_and_port(self) -> tuple[str, int]:
        """Where the hub reaches the server.

        use_internal_hostname: the service's DNS name on the network; use_internal_ip: the
        task's address on network_name; otherwise the published port (host mode: from the
        task's status; ingress: from the service's endpoint) on host_ip.  With
        network_mode host, override this to return (self.host_ip, self.port).
        """
        if self.use_internal_hostname:
            return self.service_name, self.port
        task = await self.running_task()
        if self.use_internal_ip:
            for attachment in task.get("NetworksAttachments") or []:
                network = attachment["Network"]
                if network["Spec"]["Name"] == self.network_name or network["ID"] == self.network_name:
                    return attachment["Addresses"][0].split("/")[0], self.port
            raise errors.spawn_failure(500, f"The server's task is not on network {self.network_name}",
                                       reason=errors.REASON_CONFIG)
        ports = (task["Status"].get("PortStatus") or {}).get("Ports") or []
        if not ports:
            service = await self.get_object() or {}
            ports = (service.get("Endpoint") or {}).get("Ports") or []
        for port in ports:
            if port.get("TargetPort") == self.port and port.get("PublishedPort"):
                return await self._published_host(task, port), int(port["PublishedPort"])
        raise errors.spawn_failure(500, f"Port {self.port} of service {self.service_name} is not published",
                                   reason=errors.REASON_CONFIG)

    async def _published_host(self, task: dict, port: dict) -> str:
        """Host mode: the address of the node the task runs on (the port exists only there);
        ingress: host_ip (the routing mesh publishes the port on every node)."""
        if port.get("PublishMode", "ingress") != "host" or not task.get("NodeID"):
            return self.host_ip
        node = await self.node_info(task["NodeID"])
        return (placement.node_address(node) if node else None) or self.host_ip

    async def fresh_status(self) -> Any:
        if await self.get_object() is None:
            return 0
        tasks = await self.tasks()
        if not tasks:
            return None
        task = tasks[0]
        status = task["Status"]
        if status["State"] == "running" or status["State"] in PENDING_TASK_STATES:
            if not task_given_up(task):
                return None
            node = await self.node_info(task["NodeID"]) if task.get("NodeID") else None
            return f"service lost: {placement.lost_task_reason(task, node)}"
        return f"service {status['State']}: {status.get('Err') or status.get('Message', '')}"

    async def _stop(self, now: bool) -> None:
        """Remove the service (services cannot be paused) and clear the state."""
        if not self.object_id:
            service = await self._lookup_by_name()
            if service is None:
                return
            self.object_id = service["ID"]
        self.log.info("Removing service %s (id %s)", self.service_name, self.object_id[:7])
        # the tasks still running: removing the service only asks them to stop
        running = set() if now else {t["ID"] for t in await self.tasks() if _still_wanted(t)}
        await self.remove_object()
        self.monitor.forget(self.object_id)
        if running:
            await self._wait_until_ended(running)
        self._forget_object()

    #: how long stop() waits, beyond the stop grace period, for the tasks to end
    TASK_END_MARGIN = 10.0

    async def _wait_until_ended(self, task_ids: set[str]) -> None:
        """Wait (bounded by the stop grace period) until the removed service's tasks have
        ended, so the next server never meets the last one: not on its volumes, and not at
        its service name, which resolves to the old task while that still runs.  Once the
        service is gone its tasks can be listed by name only."""
        grace = self.stop_grace_period if self.stop_grace_period is not None else 10

        async def ended() -> bool:
            tasks = await self.docker("tasks", filters={"name": self.service_name})
            return not any(t["ID"] in task_ids and _still_wanted(t, removing=True) for t in tasks)

        try:
            await exponential_backoff(ended, "", start_wait=0.05, max_wait=0.5,
                                      timeout=grace + self.TASK_END_MARGIN, timeout_tolerance=0)
        except asyncio.TimeoutError:
            self.log.warning("The task of service %s is still shutting down after %s s; "
                             "not waiting longer", self.service_name, grace + self.TASK_END_MARGIN)

    async def _ended_on_its_own(self, status: Any) -> None:
        """A service whose task ended is removed (it is never resumed), its report kept."""
        self._ended_status = status
        if isinstance(status, str):
            self._previous_exit = status.split("\n", 1)[0]
        if self.object_id:
            await self.remove_object()
            self.log.info("Removed service %s of %s, whose task ended: %s", self.service_name,
                          self._log_name, status)
            self.monitor.forget(self.object_id)
            self._forget_object()


__all__ = ["SwarmSpawner"]
