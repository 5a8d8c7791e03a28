"""JupyterHub spawners that run each user's server in Docker."""

from .dockerspawner import DockerSpawner

__version__ = "0.1.0.dev0"
__all__ = ["DockerSpawner", "__version__"]
