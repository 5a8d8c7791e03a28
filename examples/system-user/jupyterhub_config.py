"""SystemUserSpawner: users log in with their accounts on the Docker host, and each one's server
runs in a container as that account (its uid and gid), with their home directory from the host
mounted. Start it as root (PAM needs it) with ``jupyterhub -f jupyterhub_config.py``.

Environment variables read here:

    HUB_CONNECT_IP      the host's address on Docker's default bridge (docker0), where the
                        containers reach the hub's API; 172.17.0.1 on a stock Docker install
    JUPYTERHUB_GROUP    the system group whose members may log in            (jupyterhub-users)
"""

import os

c = get_config()  # noqa: F821  (JupyterHub provides get_config when it loads this file)

# -- who can log in: the host's accounts ---------------------------------------------------------
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {os.environ.get("JUPYTERHUB_GROUP", "jupyterhub-users")}

# -- the spawner ---------------------------------------------------------------------------------
c.JupyterHub.spawner_class = "docker-system-user"

# The account's home directory on the host ...
c.SystemUserSpawner.host_homedir_format_string = "/home/{username}"
# ... is mounted (read-write) here in the container, which starts there with HOME pointing to it.
c.SystemUserSpawner.image_homedir_format_string = "/home/{username}"
# Homes elsewhere, or not all under one directory? Let the spawner ask the system instead:
# c.SystemUserSpawner.host_homedir_format_string = ""   # looked up with pwd

# The container runs as the account's uid:gid (run_as_root = False, the default), so files it
# writes in the home directory belong to the user. The image only has to run its single-user
# server as an arbitrary uid, which JupyterHub's singleuser image does.
# For jupyter/docker-stacks images, which create the user themselves from NB_USER, NB_UID and
# NB_GID when started as root, use instead:
# c.SystemUserSpawner.image = "quay.io/jupyter/base-notebook:<a tag with this hub's JupyterHub>"
# c.SystemUserSpawner.run_as_root = True

# Keep the container between sessions or not: the files are on the host either way.
c.SystemUserSpawner.remove = True

# -- networking (as in the simple example) --------------------------------------------------------
hub_connect_ip = os.environ.get("HUB_CONNECT_IP", "172.17.0.1")
c.JupyterHub.hub_ip = hub_connect_ip
c.JupyterHub.hub_connect_ip = hub_connect_ip
