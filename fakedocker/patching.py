"""``patch``: every docker-py client made meanwhile talks to a fake engine (a context manager
and a decorator; patches nest, and leaving the outermost restores docker-py exactly)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from typing import Any

from docker.api.client import APIClient

from .client import _original_init, _saved_init, bind
from .engine import FakeEngine

_patch_lock = threading.RLock()
_stack: list[FakeEngine] = []


def _patched_init(self: APIClient, *args: Any, **kwargs: Any) -> None:
    with _patch_lock:
        engine = _stack[-1] if _stack else None
    if engine is not None:
        bind(self, engine)
    _original_init(self, *args, **kwargs)
    if engine is not None:
        self.trust_env = False  # requests.Session.__init__ reset it


class patch(contextlib.ContextDecorator):
    """Make every docker-py client created inside talk to a fake engine.

    ``docker.APIClient(...)``, ``docker.DockerClient(...)`` and ``docker.from_env()`` made
    while the patch is active are answered by ``engine`` (a fresh :class:`FakeEngine` when
    none is given; ``with patch() as engine`` yields it).  Patches nest: the innermost engine
    wins, and leaving the outermost restores docker-py exactly.  As a decorator, a fresh
    engine is made per call when none was given, and passed as the keyword argument
    ``fake_docker`` if the function accepts it.
    """

    def __init__(self, engine: FakeEngine | None = None):
        self._given = engine
        self._active: list[FakeEngine] = []

    def __enter__(self) -> FakeEngine:
        engine = self._given if self._given is not None else FakeEngine()
        with _patch_lock:
            if not _stack:
                _saved_init.append(APIClient.__init__)
                APIClient.__init__ = _patched_init  # type: ignore[method-assign]
            _stack.append(engine)
        self._active.append(engine)
        return engine

    def __exit__(self, *exc: Any) -> None:
        engine = self._active.pop()
        with _patch_lock:
            # remove this patch's entry (the last occurrence), even if exits interleave
            for i in range(len(_stack) - 1, -1, -1):
                if _stack[i] is engine:
                    del _stack[i]
                    break
            if not _stack and _saved_init:
                APIClient.__init__ = _saved_init.pop()  # type: ignore[method-assign]
        if self._given is None:
            engine.close()

    def __call__(self, func):  # decorator form
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self as engine:
                    if "fake_docker" in inspect.signature(func).parameters:
                        kwargs.setdefault("fake_docker", engine)
                    return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self as engine:
                if "fake_docker" in inspect.signature(func).parameters:
                    kwargs.setdefault("fake_docker", engine)
                return func(*args, **kwargs)

        return wrapper
