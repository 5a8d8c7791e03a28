"""The daemon's error wording: swarm."""

from __future__ import annotations

from ._catalogue import message, text

not_a_swarm_manager = message(
    503,
    'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" '
    "to connect this node to swarm and try again.",
)
already_in_swarm = message(
    503,
    'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm '
    "and join another one.",
)
not_in_swarm = message(503, "This node is not part of a swarm")
no_such_service = message(404, "service {ref} not found")
no_such_task = message(404, "task {ref} not found")
no_such_node = message(404, "node {ref} not found")
service_name_conflict = message(409, "rpc error: code = AlreadyExists desc = name conflicts with "
                                     "an existing object: service {name} already exists")
# The ``Status.Err`` of a task whose image cannot be had.
task_image_missing = text("No such image: {image}")
# A service, node or swarm update with a stale ``version``.
update_out_of_sequence = message(500, "rpc error: code = Unknown desc = update out of sequence")
service_mode_change = message(
    501, "rpc error: code = Unimplemented desc = service mode change is not allowed"
)
service_rename = message(
    501, "rpc error: code = Unimplemented desc = renaming services is not supported"
)
invalid_service_name = message(
    400, "rpc error: code = InvalidArgument desc = name must be valid as a DNS name component"
)
service_name_too_long = message(
    400, "rpc error: code = InvalidArgument desc = name must be 63 characters or fewer"
)
service_image_missing = message(
    400, "rpc error: code = InvalidArgument desc = ContainerSpec: image reference must be provided"
)
# A service created with a network that does not exist (the daemon answers 500).
service_network_not_found = message(500, "network {ref} not found")
port_in_use_by_service = message(
    400,
    "rpc error: code = InvalidArgument desc = port '{port}' is already in use by service "
    "'{service_name}' ({service_id}) as an ingress port",
)
invalid_desired_state_filter = message(500, "Invalid desired-state filter: '{value}'")
leave_manager_needs_force = message(
    503,
    "You are attempting to leave the swarm on a node that is participating as a manager. "
    "Removing the last manager erases all current state of the swarm. Use `--force` to "
    "ignore this message. ",
)
join_needs_remote_addr = message(400, "at least 1 RemoteAddr is required to join")
join_timeout = message(
    503,
    "Timeout was reached before node joined. The attempt to join the swarm will continue "
    'in the background. Use the "docker info" command to see the current swarm status of '
    "your node.",
)
swarm_invalid_data_path_port = message(
    500, "Datapath port number is not in valid range (1024-49151) : {port}"
)
invalid_base_pool = message(500, "invalid base pool {pool}: invalid CIDR address: {pool}")
subnet_size_out_of_range = message(500, "subnet size is out of range: {size}")
subnet_size_too_small = message(
    500, 'invalid CIDR: "{pool}". Subnet size is too small for pool: {size}'
)
swarm_not_locked = message(409, "swarm is not locked")
invalid_node_role = message(400, "invalid role {role!r}")
invalid_node_availability = message(400, "invalid availability {availability!r}")
demote_last_manager = message(
    500,
    "rpc error: code = FailedPrecondition desc = attempting to demote the last manager of the swarm",
)
remove_manager_node = message(
    500,
    "rpc error: code = FailedPrecondition desc = node {node_id} is a cluster manager and is "
    "a member of the raft cluster. It must be demoted to worker before removal",
)
