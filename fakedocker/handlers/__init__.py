"""Route handlers, one module per resource (mirroring docker-py's ``api/`` split).

Importing this package registers every route on :data:`fakedocker.routing.ROUTER`.
"""

from . import checkpoints, containers, exec, images, networks, output, swarm, system, volumes  # noqa: F401
