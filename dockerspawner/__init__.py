"""JupyterHub spawners that run each user's server in Docker."""

from .dockerspawner import DockerSpawner
from .swarmspawner import SwarmSpawner
from .systemuserspawner import SystemUserSpawner

__version__ = "0.1.0.dev0"
__all__ = ["DockerSpawner", "SwarmSpawner", "SystemUserSpawner", "__version__"]
