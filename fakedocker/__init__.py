"""fakedocker: a stateful in-memory Docker Engine that unmodified docker-py code runs against.

    >>> import fakedocker
    >>> engine = fakedocker.FakeEngine()
    >>> engine.add_image("busybox:1.36", config={"Cmd": ["sh"]})  # doctest: +ELLIPSIS
    'sha256:...'
    >>> api = engine.api_client()           # a genuine docker.APIClient
    >>> api.inspect_image("busybox:1.36")["Config"]["Cmd"]
    ['sh']

See the README section "Testing your own Docker code with fakedocker".
"""

from .client import engine_of
from .engine import FakeEngine
from .patching import patch
from .routing import DaemonError

__all__ = ["FakeEngine", "patch", "engine_of", "DaemonError"]
