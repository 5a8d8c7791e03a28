"""Let users pick their image from a list, with DockerSpawner's built-in options form.

This builds on ../simple/jupyterhub_config.py, loaded first: the spawner, the users' volume
(shared by all images), the resource caps, the hub's address (HUB_CONNECT_IP) and the login are
that example's; this file adds the images.  Start it from this directory with
``jupyterhub -f jupyterhub_config.py`` (see README.md).
"""

from pathlib import Path

import jupyterhub

c = get_config()  # noqa: F821  (JupyterHub provides get_config when it loads this file)

SIMPLE = Path(__file__).resolve().parent.parent / "simple" / "jupyterhub_config.py"
if not SIMPLE.is_file():  # load_subconfig would skip a missing file without a word
    raise FileNotFoundError(f"{SIMPLE}: this example builds on examples/simple; keep the two together")
load_subconfig(str(SIMPLE))  # noqa: F821  (provided by JupyterHub, as get_config)

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

# The simple example removes containers on stop (remove = True): choosing another image next
# time takes effect.
