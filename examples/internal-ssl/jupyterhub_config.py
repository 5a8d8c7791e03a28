"""DockerSpawner with JupyterHub's internal SSL: the hub (and its proxy) run in a container on a
user-defined Docker network, the users' containers join that network, and every connection
between them is TLS, checked against certificates the hub issues. Started by docker-compose.yml
(see README.md).

Environment variables read here (docker-compose.yml sets them):

    DOCKER_NETWORK_NAME   the user-defined network shared by the hub and the users' containers
    HUB_HOSTNAME          the hub container's name on that network                (jupyterhub)
"""

import os

c = get_config()  # noqa: F821  (JupyterHub provides get_config when it loads this file)

network_name = os.environ["DOCKER_NETWORK_NAME"]
hub_hostname = os.environ.get("HUB_HOSTNAME", "jupyterhub")

# -- internal SSL --------------------------------------------------------------------------------
c.JupyterHub.internal_ssl = True
# The certificate authority and the hub's, proxy's and servers' certificates are kept here; the
# hub creates them on first start. Delete the directory if you change hub_hostname.
c.JupyterHub.internal_certs_location = "/srv/jupyterhub/data/internal-ssl"
# Servers check the hub's certificate against the name they connect to: put that name in it.
c.JupyterHub.trusted_alt_names = [f"DNS:{hub_hostname}"]

# -- the hub -------------------------------------------------------------------------------------
c.JupyterHub.hub_ip = "0.0.0.0"             # every interface of the hub's container
c.JupyterHub.hub_connect_ip = hub_hostname  # what users' servers connect to (Docker's DNS)
c.JupyterHub.db_url = "sqlite:////srv/jupyterhub/data/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/srv/jupyterhub/data/jupyterhub_cookie_secret"

# -- the spawner ---------------------------------------------------------------------------------
c.JupyterHub.spawner_class = "docker"
c.DockerSpawner.network_name = network_name
# The proxy connects to each server by its container name, which its certificate carries
# (DockerSpawner adds DNS:<container name> to ssl_alt_names). This is already the default when
# internal_ssl is on; it is spelled out because an IP address would fail the certificate check.
c.DockerSpawner.use_internal_hostname = True
# The server's certificate and key are copied into a per-user volume ("{prefix}ssl-{username}",
# see certs_volume_name) with a short-lived helper container from this image.
c.DockerSpawner.move_certs_image = "busybox:1.30.1"

c.DockerSpawner.remove = True
c.DockerSpawner.volumes = {"jupyterhub-user-{username}": "/home/jovyan/work"}
c.DockerSpawner.notebook_dir = "/home/jovyan/work"

# -- logging in ----------------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
