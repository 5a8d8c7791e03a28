"""A menu of servers: each user picks a profile (an image with its resources) on the spawn
page, or names one in the REST API ({"profile": "data-science", "image": "scipy"}).

This builds on ../simple/jupyterhub_config.py, loaded first: the spawner, the users' volume,
the hub's address (HUB_CONNECT_IP) and the login are that example's; this file adds the menu.
Start it from this directory with ``jupyterhub -f jupyterhub_config.py`` (see README.md).
"""

from pathlib import Path

c = get_config()  # noqa: F821  (JupyterHub provides get_config when it loads this file)

SIMPLE = Path(__file__).resolve().parent.parent / "simple" / "jupyterhub_config.py"
if not SIMPLE.is_file():  # load_subconfig would skip a missing file without a word
    raise FileNotFoundError(f"{SIMPLE}: this example builds on examples/simple; keep the two together")
load_subconfig(str(SIMPLE))  # noqa: F821  (provided by JupyterHub, as get_config)

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


# each profile's spawner_override replaces the simple example's mem_limit and cpu_limit
c.DockerSpawner.profile_list = profiles_for
