"""Which server owns a container, service or volume: pure decisions on the states JupyterHub keeps
for a user's servers and on an object's labels.

A server's objects are named from templates, and templates can render one server's name for
another: after a rename (``lab`` renamed ``notes`` keeps its volume ``data-alice-lab``, and a new
``lab`` renders that name again), or with a template without ``{servername}``.  So the names of
what a server made are kept in its state, and a server never takes, starts, stops, polls or
deletes an object that another server's state records, or whose ``server-name`` label names
another server.  Where a name it renders belongs to another server, it gets a name of its own:
the rendered name with a suffix made from its user, its server name and JupyterHub's id of it
(:func:`own_name`), stable for that server from then on.

A volume template without the server name (``jupyterhub-user-{username}``) is shared by the
user's servers on purpose: its volume belongs to all of them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .naming import shortened
from .spec import LABEL_SERVER_NAME, LABEL_USER

#: state keys
STATE_OBJECT_IDS = ("object_id", "container_id")  # the reference names it container_id
STATE_VOLUME_NAMES = "volume_names"

_SERVER_FIELD = re.compile(r"\{(servername|raw_servername)(?:[!:][^}]*)?\}")


def uses_server_name(template: str) -> bool:
    """Whether a name template renders the server's name (so its object is the server's own)."""
    return bool(_SERVER_FIELD.search(template))


@dataclass(frozen=True)
class OtherServers:
    """What the user's other servers own, by their states: object id -> server name, and the
    server-specific volume names -> server name."""

    object_ids: Mapping[str, str] = field(default_factory=dict)
    volume_names: Mapping[str, str] = field(default_factory=dict)
    #: the names of the user's other servers (None: not known, e.g. outside a hub)
    names: frozenset[str] | None = None


def other_servers(states: Mapping[str, Mapping[str, Any] | None], own: str,
                  volume_names_without_state: Mapping[str, Iterable[str]] | None = None) -> OtherServers:
    """From ``{server name: its state}`` of a user's servers, what the ones other than ``own``
    own.  ``volume_names_without_state``: for servers whose state records no volume names yet
    (made before names were recorded), the server-specific names their templates render."""
    object_ids: dict[str, str] = {}
    volumes: dict[str, str] = {}
    for name, state in states.items():
        if name == own:
            continue
        state = state or {}
        for key in STATE_OBJECT_IDS:
            if state.get(key):
                object_ids[state[key]] = name
        recorded = state.get(STATE_VOLUME_NAMES)
        if isinstance(recorded, Mapping):
            for template, volume in recorded.items():
                if uses_server_name(template):
                    volumes[volume] = name
        else:
            for volume in (volume_names_without_state or {}).get(name, ()):
                volumes[volume] = name
    return OtherServers(object_ids, volumes, frozenset(name for name in states if name != own))


def owner_of(info_id: str, labels: Mapping[str, str] | None, *, user: str, server: str,
             others: OtherServers) -> str | None:
    """Who, other than server ``server`` of ``user``, owns the object (its id and labels): the
    other server's name (``"another user"`` for one of another user), or None when it may be
    this server's.  An object without our labels (the reference's, older ones) is not
    refused for them, nor one whose server-name label names a server the user no longer has
    (a renamed server's kept container: Docker cannot change labels)."""
    for object_id, name in others.object_ids.items():
        if info_id == object_id or (len(object_id) < len(info_id) and info_id.startswith(object_id)):
            return name
    labels = labels or {}
    if LABEL_USER in labels and labels[LABEL_USER] != user:
        return "another user"
    labelled = labels.get(LABEL_SERVER_NAME)
    if labelled is not None and labelled != server and (others.names is None or labelled in others.names):
        return labelled
    return None


def own_name(rendered: str, *, user: str, server: str, server_id: Any, limit: int | None = None) -> str:
    """A name of this server's own where ``rendered`` belongs to another server: ``rendered``
    and a short hash of the user, server name and JupyterHub's id of the server (a deleted and
    re-created server of the same name gets another); at most ``limit`` characters."""
    digest = hashlib.sha256(f"{user}\0{server}\0{server_id}".encode()).hexdigest()[:8]
    if limit is not None:
        rendered = shortened(rendered, limit - len(digest) - 1)
    return f"{rendered}-{digest}"
