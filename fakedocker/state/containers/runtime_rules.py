"""Which runtime (:mod:`fakedocker.runtime`) runs which container: the rules of
``engine.set_runtime``, then ``engine.default_runtime``, then the idle default.

Receives the image store (a rule may name an image by reference or id).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...routing import DaemonError
from ...runtime import IdleRuntime
from ..images import parse_reference
from .model import Container

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..images import ImageStore

#: the runtime of containers no rule or ``engine.default_runtime`` covers: no process; stops
#: the way a real PID 1 would (``sh -c 'sleep 1000'`` ignores TERM and is killed after the
#: stop timeout: 137; other programs exit 0 on TERM); trivial scripts (echo/exit) finish at once
_DEFAULT_RUNTIME = IdleRuntime(exit_on_sigterm="auto")


def _repository(ref: str) -> str:
    try:
        return parse_reference(ref).repository
    except DaemonError:
        return ref


class RuntimeRules:
    def __init__(self, engine: FakeEngine, images: ImageStore) -> None:
        self.engine = engine
        self.images = images
        self.rules: list[tuple[Any, Any]] = []

    def set_runtime(self, match: Any, runtime: Any) -> None:
        """Run the containers ``match`` selects with ``runtime`` (newest rule wins).

        ``match``: an image reference (``busybox`` matches every tag of ``busybox``), an image id,
        a container-name prefix, or a callable ``match(container) -> bool``.  ``runtime=None``
        removes the rules for ``match``.
        """
        with self.engine.lock:
            self.rules = [(m, r) for m, r in self.rules if m != match]
            if runtime is not None:
                self.rules.append((match, runtime))

    def runtime_for(self, c: Container) -> Any:
        for match, runtime in reversed(self.rules):
            if callable(match):
                if match(c):
                    return runtime
                continue
            if c.name.startswith(match) or match in (c.image, c.image_id):
                return runtime
            if ":" not in match.rsplit("/", 1)[-1] and "@" not in match and _repository(c.image) == match:
                return runtime
            image = self.images.resolve(match)
            if image is not None and image.id == c.image_id:
                return runtime
        if self.engine.default_runtime is not None:
            return self.engine.default_runtime
        return _DEFAULT_RUNTIME
