"""Request bodies read as the daemon reads them: Go's ``encoding/json`` decoding into the
Engine API's structs (moby ``api/types``, API 1.41).

Go matches an object's keys to a struct's fields without regard to case (an exact match
first), a later key overwriting an earlier one, and drops keys no field has.  The daemon then
answers with its own field names, so ``{"updateconfig": {"order": "start-first"}}`` is echoed
as ``{"UpdateConfig": {"Order": "start-first"}}``.

A schema maps each field name to ``None`` (a value kept as it is: numbers, strings, lists of
strings and the string maps ``Labels``, ``Options``, ``DriverOpts``...) or to the schema of
its struct (applied to each element of a list of structs).  The schemas are API 1.41's; an
engine that claims a later version reads the fields added since (:func:`service_spec_for`,
:func:`mount_for`).  Pure functions of values.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from ..versions import version_tuple

Schema = dict[str, Any]


def go_fields(value: Any, fields: Schema) -> Any:
    """``value`` with its keys matched to ``fields`` as Go's JSON decoder matches them
    (case-insensitively, an exact match preferred; unknown keys dropped), recursively."""
    if isinstance(value, list):
        return [go_fields(item, fields) for item in value]
    if not isinstance(value, dict):
        return value
    by_lower = {name.lower(): name for name in fields}
    out: dict[str, Any] = {}
    for key, item in value.items():
        key = str(key)
        name = key if key in fields else by_lower.get(key.lower())
        if name is None:
            continue
        out[name] = item if fields[name] is None else go_fields(item, fields[name])
    return out


# moby api/types/mount ------------------------------------------------------------------
MOUNT: Schema = {
    "Type": None, "Source": None, "Target": None, "ReadOnly": None, "Consistency": None,
    "BindOptions": {"Propagation": None, "NonRecursive": None},
    "VolumeOptions": {"NoCopy": None, "Labels": None, "DriverConfig": {"Name": None, "Options": None}},
    "TmpfsOptions": {"SizeBytes": None, "Mode": None},
}

# moby api/types/swarm ------------------------------------------------------------------
_DRIVER: Schema = {"Name": None, "Options": None}
_FILE: Schema = {"Name": None, "UID": None, "GID": None, "Mode": None}
_NETWORK_ATTACHMENT: Schema = {"Target": None, "Aliases": None, "DriverOpts": None}
_UPDATE_CONFIG: Schema = {"Parallelism": None, "Delay": None, "FailureAction": None,
                          "Monitor": None, "MaxFailureRatio": None, "Order": None}
_GENERIC_RESOURCE: Schema = {"NamedResourceSpec": {"Kind": None, "Value": None},
                             "DiscreteResourceSpec": {"Kind": None, "Value": None}}

CONTAINER_SPEC: Schema = {
    "Image": None, "Labels": None, "Command": None, "Args": None, "Hostname": None,
    "Env": None, "Dir": None, "User": None, "Groups": None,
    "Privileges": {
        "CredentialSpec": {"Config": None, "File": None, "Registry": None},
        "SELinuxContext": {"Disable": None, "User": None, "Role": None, "Type": None, "Level": None},
    },
    "Init": None, "StopSignal": None, "TTY": None, "OpenStdin": None, "ReadOnly": None,
    "Mounts": MOUNT,
    "StopGracePeriod": None,
    "Healthcheck": {"Test": None, "Interval": None, "Timeout": None, "StartPeriod": None,
                    "Retries": None},
    "Hosts": None,
    "DNSConfig": {"Nameservers": None, "Search": None, "Options": None},
    "Secrets": {"File": _FILE, "SecretID": None, "SecretName": None},
    "Configs": {"File": _FILE, "Runtime": {}, "ConfigID": None, "ConfigName": None},
    "Isolation": None, "Sysctls": None, "CapabilityAdd": None, "CapabilityDrop": None,
    "Ulimits": {"Name": None, "Hard": None, "Soft": None},
}

TASK_SPEC: Schema = {
    "ContainerSpec": CONTAINER_SPEC,
    "PluginSpec": {"Name": None, "Remote": None, "Disabled": None, "Env": None,
                   "Privileges": {"Name": None, "Description": None, "Value": None}},
    "NetworkAttachmentSpec": {"ContainerID": None},
    "Resources": {
        "Limits": {"NanoCPUs": None, "MemoryBytes": None, "Pids": None},
        "Reservations": {"NanoCPUs": None, "MemoryBytes": None, "GenericResources": _GENERIC_RESOURCE},
    },
    "RestartPolicy": {"Condition": None, "Delay": None, "MaxAttempts": None, "Window": None},
    "Placement": {
        "Constraints": None,
        "Preferences": {"Spread": {"SpreadDescriptor": None}},
        "MaxReplicas": None,
        "Platforms": {"Architecture": None, "OS": None},
    },
    "Networks": _NETWORK_ATTACHMENT,
    "LogDriver": _DRIVER,
    "ForceUpdate": None,
    "Runtime": None,
}

SERVICE_SPEC: Schema = {
    "Name": None, "Labels": None,
    "TaskTemplate": TASK_SPEC,
    "Mode": {
        "Replicated": {"Replicas": None},
        "Global": {},
        "ReplicatedJob": {"MaxConcurrent": None, "TotalCompletions": None},
        "GlobalJob": {},
    },
    "UpdateConfig": _UPDATE_CONFIG,
    "RollbackConfig": _UPDATE_CONFIG,
    "Networks": _NETWORK_ATTACHMENT,
    "EndpointSpec": {
        "Mode": None,
        "Ports": {"Name": None, "Protocol": None, "TargetPort": None, "PublishedPort": None,
                  "PublishMode": None},
    },
}

SWARM_SPEC: Schema = {
    "Name": None, "Labels": None,
    "Orchestration": {"TaskHistoryRetentionLimit": None},
    "Raft": {"SnapshotInterval": None, "KeepOldSnapshots": None,
             "LogEntriesForSlowFollowers": None, "ElectionTick": None, "HeartbeatTick": None},
    "Dispatcher": {"HeartbeatPeriod": None},
    "CAConfig": {
        "NodeCertExpiry": None,
        "ExternalCAs": {"Protocol": None, "URL": None, "Options": None, "CACert": None},
        "SigningCACert": None, "SigningCAKey": None, "ForceRotate": None,
    },
    "TaskDefaults": {"LogDriver": _DRIVER},
    "EncryptionConfig": {"AutoLockManagers": None},
}

INIT_REQUEST: Schema = {
    "ListenAddr": None, "AdvertiseAddr": None, "DataPathAddr": None, "DataPathPort": None,
    "ForceNewCluster": None, "Spec": SWARM_SPEC, "AutoLockManagers": None,
    "Availability": None, "DefaultAddrPool": None, "SubnetSize": None,
}

JOIN_REQUEST: Schema = {
    "ListenAddr": None, "AdvertiseAddr": None, "DataPathAddr": None, "RemoteAddrs": None,
    "JoinToken": None, "Availability": None,
}

NODE_SPEC: Schema = {"Name": None, "Labels": None, "Role": None, "Availability": None}

# moby api/types (networks, volumes) -----------------------------------------------------
NETWORK_CREATE: Schema = {
    "Name": None, "CheckDuplicate": None, "Driver": None, "Scope": None, "EnableIPv6": None,
    "IPAM": {"Driver": None, "Options": None,
             "Config": {"Subnet": None, "IPRange": None, "Gateway": None, "AuxiliaryAddresses": None}},
    "Internal": None, "Attachable": None, "Ingress": None, "ConfigOnly": None,
    "ConfigFrom": {"Network": None}, "Options": None, "Labels": None,
}

VOLUME_CREATE: Schema = {"Name": None, "Driver": None, "DriverOpts": None, "Labels": None}


# fields added after API 1.41 ------------------------------------------------------------
#: (API version, path of the struct in the mount / service spec, field, its schema)
_MOUNT_LATER: tuple[tuple[str, tuple[str, ...], str, Any], ...] = (
    ("1.42", (), "ClusterOptions", {}),
    ("1.44", ("BindOptions",), "CreateMountpoint", None),
    ("1.44", ("BindOptions",), "ReadOnlyNonRecursive", None),
    ("1.44", ("BindOptions",), "ReadOnlyForceRecursive", None),
    ("1.45", ("VolumeOptions",), "Subpath", None),
    ("1.46", ("TmpfsOptions",), "Options", None),
)
_SERVICE_LATER: tuple[tuple[str, tuple[str, ...], str, Any], ...] = (
    ("1.43", ("TaskTemplate", "ContainerSpec", "Privileges"), "Seccomp", {"Mode": None, "Profile": None}),
    ("1.43", ("TaskTemplate", "ContainerSpec", "Privileges"), "AppArmor", {"Mode": None}),
    ("1.44", ("TaskTemplate", "ContainerSpec", "Healthcheck"), "StartInterval", None),
    ("1.46", ("TaskTemplate", "ContainerSpec", "Privileges"), "NoNewPrivileges", None),
    ("1.46", ("TaskTemplate", "ContainerSpec"), "OomScoreAdj", None),
)


def _with_later(base: Schema, later: Any, api_version: str) -> Schema:
    out = copy.deepcopy(base)
    for since, path, name, schema in later:
        if version_tuple(api_version) >= version_tuple(since):
            struct = out
            for part in path:
                struct = struct[part]
            struct[name] = schema
    return out


@functools.lru_cache(maxsize=16)
def mount_for(api_version: str) -> Schema:
    """A ``Mount`` as an engine claiming ``api_version`` decodes it."""
    return _with_later(MOUNT, _MOUNT_LATER, api_version)


@functools.lru_cache(maxsize=16)
def service_spec_for(api_version: str) -> Schema:
    """A ``ServiceSpec`` as an engine claiming ``api_version`` decodes it."""
    out = _with_later(SERVICE_SPEC, _SERVICE_LATER, api_version)
    out["TaskTemplate"]["ContainerSpec"]["Mounts"] = mount_for(api_version)
    return out
