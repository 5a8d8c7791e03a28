"""Whether a stopped container (kept with ``remove = False``) can be started again, or must be
replaced because the administrator changed something it cannot take.

Pure: a function of the container's inspect data and the new request.  What the admin
configures and a container fixes at creation counts — the image, the command, the limits, the
volumes and mounts, the network, the user and working directory, the extra create arguments —
and so does whose server it is: the user and server name JupyterHub gives it, its URL prefix
and OAuth client (:data:`IDENTITY_ENV`), which a renamed server must not keep.  The rest of what
JupyterHub generates (its URLs, its version, ``env_keep``, the API token) never does: resuming a
container after a hub upgrade keeps the user's container layer.

A container we created carries :data:`LABEL_CONFIG`: one short hash per aspect, so the reason
can name what changed.  One created by the reference implementation (or by an older version of
ours) has no such label; then what ``docker inspect`` shows is compared directly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from docker.utils import convert_volume_binds

from .gpus import LABEL_GPUS

LABEL_CONFIG = "org.jupyter.hub.config"

#: the environment JupyterHub gives one server and no other: a container whose values differ
#: is another server's (a renamed one's), whatever JupyterHub version made it
IDENTITY_ENV = ("JUPYTERHUB_USER", "JUPYTERHUB_SERVER_NAME", "JUPYTERHUB_SERVICE_PREFIX",
                "JUPYTERHUB_CLIENT_ID", "JUPYTERHUB_OAUTH_CALLBACK_URL")

#: the aspects a stored fingerprint covers, in the order reasons name them
ASPECTS = ("image", "command", "limits", "volumes", "network", "user", "extra arguments")


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:8]


def aspect_values(req: Any) -> dict[str, Any]:
    """What each aspect of a :class:`~dockerspawner.spec.ContainerRequest` is made of."""
    return {
        "image": req.image,
        "command": list(req.command) if req.command is not None else None,
        # 0 and None both mean no limit (containers made before the defaults were 0 say None)
        "limits": [req.mem_limit or None, req.mem_guarantee, req.cpu_limit or None, req.cpu_guarantee],
        # the settings, not the names they render to: names change with escape or prefix,
        # and the container keeps the volumes it was created with
        "volumes": (req.volume_settings if req.volume_settings is not None else
                    {"binds": sorted(convert_volume_binds({k: dict(v) for k, v in req.volume_binds.items()})),
                     "mounts": [dict(m) for m in req.mounts]}),
        "network": {"name": req.network_name, "publish": req.publish_host_ip, "port": req.port,
                    "links": dict(req.links),
                    # only when set: the fingerprints of containers made before stay the same
                    **({"extra": list(req.extra_networks)} if getattr(req, "extra_networks", ()) else {})},
        "user": [req.user, req.working_dir],
        "extra arguments": [req.extra_create_kwargs, req.extra_host_config, req.no_new_privileges],
    }


def fingerprint_label(req: Any) -> str:
    """The :data:`LABEL_CONFIG` value for a container created from ``req``."""
    return ",".join(f"{name}={_hash(value)}" for name, value in aspect_values(req).items())


def _parse(label: str) -> dict[str, str] | None:
    if "=" not in label:
        return None  # an older single-hash label: it cannot say which aspect changed
    parts = dict(part.split("=", 1) for part in label.split(",") if "=" in part)
    return parts if set(parts) == set(ASPECTS) else None


def _gpus_of_container(info: Mapping[str, Any]) -> str | None:
    label = ((info.get("Config") or {}).get("Labels") or {}).get(LABEL_GPUS)
    if label:
        return label
    requests = (info.get("HostConfig") or {}).get("DeviceRequests") or []
    return "all" if any(r.get("Count") == -1 for r in requests) else None


def _gpus_of_request(req: Any) -> str | None:
    label = req.labels.get(LABEL_GPUS)
    if label:
        return label
    return "all" if any(r.get("count") == -1 for r in getattr(req, "device_requests", ())) else None


def identity_change(env: list[str] | None, wanted: Mapping[str, str]) -> str | None:
    """The first of :data:`IDENTITY_ENV` the container (its ``Config.Env``) has with another
    value than the new request's, as "KEY (old -> new)"; a key either side lacks is not
    compared (an older JupyterHub may not set it)."""
    had = dict(entry.split("=", 1) for entry in env or () if "=" in entry)
    for key in IDENTITY_ENV:
        if key in had and key in wanted and had[key] != wanted[key]:
            return f"{key} ({had[key]} -> {wanted[key]})"
    return None


def replacement_reasons(info: Mapping[str, Any], req: Any) -> list[str]:
    """What changed that the stopped container ``info`` cannot take (empty: resume it)."""
    config = info.get("Config") or {}
    identity = identity_change(config.get("Env"), req.environment)
    reasons = [f"the server's name or URL changed: {identity}"] if identity else []
    return reasons + _configuration_changes(info, req)


def _configuration_changes(info: Mapping[str, Any], req: Any) -> list[str]:
    """What the admin changed that the stopped container ``info`` cannot take."""
    config = info.get("Config") or {}
    host = info.get("HostConfig") or {}
    had, wants = _gpus_of_container(info), _gpus_of_request(req)
    gpus = [f"GPUs ({had or 'none'} -> {wants or 'none'})"] if had != wants else []
    stored = _parse((config.get("Labels") or {}).get(LABEL_CONFIG, ""))
    if stored is not None:
        wanted = {name: _hash(value) for name, value in aspect_values(req).items()}
        changed = [name for name in ASPECTS if stored[name] != wanted[name]]
        if "image" in changed:
            changed[changed.index("image")] = f"image ({config.get('Image')} -> {req.image})"
        return changed + gpus
    # no fingerprint of ours: compare what inspect shows of the same aspects
    reasons = []
    if config.get("Image") != req.image:
        reasons.append(f"image ({config.get('Image')} -> {req.image})")
    if req.command is not None and list(config.get("Cmd") or []) != list(req.command):
        reasons.append("command")
    memory = host.get("Memory") or None
    has_quota = bool(host.get("CpuQuota"))
    if memory != (req.mem_limit or None) or has_quota != bool(req.cpu_limit):
        reasons.append("limits")
    return reasons + gpus
