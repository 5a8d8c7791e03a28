"""The code under test: housekeeping for one team's Docker objects."""

from __future__ import annotations

import docker

TEAM_LABEL = "org.example.team"


def remove_exited(client: docker.DockerClient, team: str) -> list[str]:
    """Remove the team's exited containers; return their names."""
    exited = client.containers.list(all=True, filters={"label": f"{TEAM_LABEL}={team}", "status": "exited"})
    for container in exited:
        container.remove(v=True)
    return sorted(c.name for c in exited)


def ensure_workspace(client: docker.DockerClient, team: str) -> tuple[str, str]:
    """The team's network and volume, created when missing; their names."""
    name = f"{team}-workspace"
    labels = {TEAM_LABEL: team}
    if not client.networks.list(names=[name]):
        client.networks.create(name, driver="bridge", labels=labels)
    try:
        client.volumes.get(name)
    except docker.errors.NotFound:
        client.volumes.create(name, labels=labels)
    return name, name
