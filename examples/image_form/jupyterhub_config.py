"""Let users pick their image from a list, with DockerSpawner's built-in options form.

Start it from this directory with ``jupyterhub -f jupyterhub_config.py`` (see README.md).

Environment variables read here:

    HUB_CONNECT_IP   the host's address on Docker's default bridge (docker0), where the
                     containers reach the hub's API; 172.17.0.1 on a stock Docker install
"""

import os

import jupyterhub

c = get_config()  # noqa: F821  (JupyterHub provides get_config when it loads this file)

c.JupyterHub.spawner_class = "docker"

# Every image a user can choose must run the same JupyterHub version as this hub.
hub_version = ".".join(jupyterhub.__version__.split(".")[:2])

# The keys are what users see in the form, the values the images that run. A user can only ever
# get one of these values: a request naming anything else (another key, or an image name) is
# refused with HTTP 400 before anything is pulled.
c.DockerSpawner.allowed_images = {
    "Minimal Python": f"quay.io/jupyterhub/singleuser:{hub_version}",
    # Replace these with images you have checked carry JupyterHub {hub_version}:
    "Data science (team build)": "registry.example.org/notebooks/datascience:2024.10",
    "R (team build)": "registry.example.org/notebooks/r:2024.10",
}
# What a server started without a choice (e.g. through the REST API with no options) runs.
c.DockerSpawner.image = f"quay.io/jupyterhub/singleuser:{hub_version}"

# With two or more allowed images and no options_form of your own, DockerSpawner shows a
# drop-down of the keys above on the spawn page. Nothing else is needed for the form.

# Containers are removed on stop, so choosing another image next time takes effect; the
# volume with the user's files is shared by all images.
c.DockerSpawner.remove = True
c.DockerSpawner.volumes = {"jupyterhub-user-{username}": "/home/jovyan/work"}
c.DockerSpawner.notebook_dir = "/home/jovyan/work"

hub_connect_ip = os.environ.get("HUB_CONNECT_IP", "172.17.0.1")
c.JupyterHub.hub_ip = hub_connect_ip
c.JupyterHub.hub_connect_ip = hub_connect_ip

# Any user name, any password: for trying things out only.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
