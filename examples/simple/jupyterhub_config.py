"""The smallest useful DockerSpawner setup: the hub runs on the Docker host, each user's server
runs in its own container on Docker's default bridge network.

Start it from this directory with ``jupyterhub -f jupyterhub_config.py`` (see README.md).

Environment variables read here:

    HUB_CONNECT_IP   the host's address on Docker's default bridge (docker0), where the
                     containers reach the hub's API; 172.17.0.1 on a stock Docker install
"""

import os

c = get_config()  # noqa: F821  (JupyterHub provides get_config when it loads this file)

# -- the spawner ---------------------------------------------------------------------------------
c.JupyterHub.spawner_class = "docker"

# The image defaults to quay.io/jupyterhub/singleuser:<this hub's major.minor>, which always has
# a matching JupyterHub. Pin another image here if you prefer, with the same JupyterHub version:
# c.DockerSpawner.image = "quay.io/jupyterhub/singleuser:5.2"

# Keep each user's files in a named volume that outlives the container; the container itself is
# thrown away when the server stops, so every start gets a fresh one from the current image.
c.DockerSpawner.volumes = {"jupyterhub-user-{username}": "/home/jovyan/work"}
c.DockerSpawner.notebook_dir = "/home/jovyan/work"
c.DockerSpawner.remove = True

# Optional resource caps (Docker enforces them).
c.DockerSpawner.mem_limit = "2G"
c.DockerSpawner.cpu_limit = 1.0

# -- networking ----------------------------------------------------------------------------------
# The containers publish their port on 127.0.0.1 of the host (host_ip), where the proxy, running
# next to the hub, reaches them. In the other direction, the single-user server calls the hub's
# API: it cannot use 127.0.0.1 (that is the container itself), so the hub listens on the host's
# address on the docker0 bridge and tells the containers to use it.
hub_connect_ip = os.environ.get("HUB_CONNECT_IP", "172.17.0.1")
c.JupyterHub.hub_ip = hub_connect_ip
c.JupyterHub.hub_connect_ip = hub_connect_ip

# -- logging in ----------------------------------------------------------------------------------
# Any user name, any password: for trying things out only. Use a real authenticator in production.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
