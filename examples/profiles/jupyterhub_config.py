"""A menu of servers: each user picks a profile (an image with its resources) on the spawn
page, or names one in the REST API ({"profile": "data-science", "image": "scipy"}).

Start it from this directory with ``jupyterhub -f jupyterhub_config.py`` (see README.md).

Environment variables read here:

    HUB_CONNECT_IP   the host's address on Docker's default bridge (docker0), where the
                     containers reach the hub's API; 172.17.0.1 on a stock Docker install
"""

import os

c = get_config()  # noqa: F821  (JupyterHub provides get_config when it loads this file)

c.JupyterHub.spawner_class = "docker"
c.DockerSpawner.volumes = {"jupyterhub-user-{username}": "/home/jovyan/work"}
c.DockerSpawner.notebook_dir = "/home/jovyan/work"
c.DockerSpawner.remove = True

STANDARD = [
    {
        "display_name": "Small: 1 CPU, 2 GB",
        "slug": "small",
        "description": "The default single-user image, for everyday notebooks.",
        "default": True,
        "spawner_override": {"mem_limit": "2G", "cpu_limit": 1},
    },
    {
        "display_name": "Data science: 4 CPUs, 8 GB",
        "slug": "data-science",
        "description": "A bigger server; pick the image it runs.",
        "spawner_override": {
            "mem_limit": "8G", "mem_guarantee": "4G", "cpu_limit": 4, "cpu_guarantee": 2,
            "environment": {"OMP_NUM_THREADS": "4"},
        },
        "profile_options": {
            "image": {
                "display_name": "Image",
                "choices": {
                    "scipy": {"display_name": "SciPy stack", "default": True,
                              "spawner_override": {"image": "quay.io/jupyter/scipy-notebook:2024-12-02"}},
                    "r": {"display_name": "R", "spawner_override": {"image": "quay.io/jupyter/r-notebook:2024-12-02"}},
                },
                # any tag of the two repositories above, typed by the user
                "unlisted_choice": {
                    "enabled": True,
                    "display_name": "Another tag (quay.io/jupyter/scipy-notebook:TAG or r-notebook:TAG)",
                    "validation_regex": r"quay\.io/jupyter/(scipy|r)-notebook:[A-Za-z0-9_.-]+",
                    "validation_message": "a tag of quay.io/jupyter/scipy-notebook or r-notebook",
                    "spawner_override": {"image": "{value}"},
                },
            },
        },
    },
]

LARGE = {
    "display_name": "Large: 8 CPUs, 32 GB (group 'large')",
    "slug": "large",
    "spawner_override": {"mem_limit": "32G", "cpu_limit": 8,
                         "extra_host_config": {"shm_size": "8G"}},
}


def profiles_for(spawner):
    """Everyone gets the standard profiles; members of the group 'large' also the large one."""
    groups = {group.name for group in spawner.user.groups}
    return STANDARD + ([LARGE] if "large" in groups else [])


c.DockerSpawner.profile_list = profiles_for

hub_connect_ip = os.environ.get("HUB_CONNECT_IP", "172.17.0.1")
c.JupyterHub.hub_ip = hub_connect_ip
c.JupyterHub.hub_connect_ip = hub_connect_ip
