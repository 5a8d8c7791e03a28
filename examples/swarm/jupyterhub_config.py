"""SwarmSpawner: the hub runs as a service on a swarm manager, each user's server as a service
of its own, all on one overlay network. Deployed by docker-compose.yml (see README.md).

Environment variables read here (docker-compose.yml sets them):

    DOCKER_NETWORK_NAME   the overlay network shared by the hub and the users' services
    HUB_SERVICE_NAME      the hub service's name on that network                (hub)
    DUMMY_PASSWORD        the one password the demo authenticator accepts       (any password)
"""

import os

c = get_config()  # noqa: F821  (JupyterHub provides get_config when it loads this file)

network_name = os.environ["DOCKER_NETWORK_NAME"]

# -- the spawner ---------------------------------------------------------------------------------
c.JupyterHub.spawner_class = "docker-swarm"

# Users' services join the hub's overlay network. On a user-defined network the proxy reaches
# each server at its task's address there (use_internal_ip, the default on such a network), so
# no port is published on any node and the server may run on any node of the swarm.
c.SwarmSpawner.network_name = network_name
# To reach servers by service name instead, give each service a DNS round-robin endpoint (the
# default name is a virtual IP, which needs IPVS on every node):
# c.SwarmSpawner.use_internal_hostname = True
# c.SwarmSpawner.extra_endpoint_spec = {"mode": "dnsrr"}

# The default image (quay.io/jupyterhub/singleuser:<hub major.minor>) matches the hub image's
# JupyterHub. The node that runs a task pulls its image (pull_policy defaults to "skip" for
# SwarmSpawner: the hub's node may never run the server, so it does not pull).

# Servers run on the workers, the managers keep the swarm (and the hub). A spawn no node can
# take fails at once with the swarm's reason ("no suitable node ...").
c.SwarmSpawner.extra_placement_spec = {"constraints": ["node.role == worker"]}

# A named volume lives on the node that made it. pin_to_node keeps each user on the node their
# first server ran on, so they find their files again; with a volume driver all nodes share
# (volume_driver, volume_driver_options), drop it and let servers run anywhere.
c.SwarmSpawner.volumes = {"jupyterhub-user-{username}": "/home/jovyan/work"}
c.SwarmSpawner.notebook_dir = "/home/jovyan/work"
c.SwarmSpawner.pin_to_node = True

# Limits become the task's resource limits, guarantees its reservations (the scheduler only
# places a task on a node with that much memory/CPU unreserved).
c.SwarmSpawner.mem_limit = "2G"
c.SwarmSpawner.mem_guarantee = "512M"
c.SwarmSpawner.cpu_limit = 1.0

# A swarm task can take a while to be scheduled and to pull its image on a fresh node.
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 120

# -- the hub -------------------------------------------------------------------------------------
# Listen on every interface of the hub's container (the proxy and the API are reached over the
# overlay network); users' servers call the API at the hub service's name.
c.JupyterHub.hub_ip = "0.0.0.0"
c.JupyterHub.hub_connect_ip = os.environ.get("HUB_SERVICE_NAME", "hub")
c.JupyterHub.db_url = "sqlite:////srv/jupyterhub/data/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/srv/jupyterhub/data/jupyterhub_cookie_secret"

# -- logging in ----------------------------------------------------------------------------------
# Any user name; one shared password if DUMMY_PASSWORD is set. Replace with a real authenticator.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
if os.environ.get("DUMMY_PASSWORD"):
    c.DummyAuthenticator.password = os.environ["DUMMY_PASSWORD"]
