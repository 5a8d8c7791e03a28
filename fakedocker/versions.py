"""The engine versions fakedocker answers as: ``FakeEngine(engine_version="26.1")`` or
``fakedocker serve --engine-version 26.1``.

Each profile is what that engine said, on this project's machine, through the parity scenarios
(tests/integration/REAL_DAEMON_NOTES.md): its ``/version``, the API versions it accepts, and
the answers that changed.  What depends on the *client's* API version (fields a 1.44 client
no longer gets, several networks at create) is decided per request, as the daemon does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EngineProfile:
    #: the short name (``"20.10"``)
    name: str
    #: ``Version`` of ``/version``
    version: str
    #: the newest API version it speaks (also its ``ApiVersion``)
    api_version: str
    #: the oldest API version it accepts (``MinAPIVersion``)
    min_api_version: str
    go_version: str
    git_commit: str
    build_time: str
    #: ``Components`` of ``/version`` after the Engine's own
    components: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    #: ``wait`` answers ``"Error": null`` when there is no error (20.10); 26 leaves it out
    wait_error_when_none: bool = True
    #: inspect of a missing image: ``no such image: REF: No such image: REF`` (20.10), or
    #: ``No such image: REF`` (26)
    image_not_found_doubled: bool = True
    #: a client below MinAPIVersion is refused in plain text (20.10) or JSON (26)
    too_old_as_text: bool = True
    #: image inspect has a (legacy, empty) ``Container`` field (20.10); 26.1 has none
    image_container_field: bool = True
    #: a stop's events: ``kill``, ``die``, ``stop`` (20.10) or ``kill``, ``stop``, ``die`` (26.1,
    #: whose stop returns as the state changes, before the exit's clean-up reports ``die``)
    stop_before_die: bool = False
    #: a /wait with a condition other than not-running, next-exit or removed waits for
    #: not-running (20.10) or is refused with a 400, before the container is looked up (26.1)
    wait_refuses_unknown_condition: bool = False

    def at_least(self, version: str) -> bool:
        """This engine is ``version`` ("26.1") or newer: for the small differences named where
        they are answered."""
        return version_tuple(self.name) >= version_tuple(version)


PROFILES: dict[str, EngineProfile] = {
    "20.10": EngineProfile(
        name="20.10", version="20.10.24+dfsg1", api_version="1.41", min_api_version="1.12",
        go_version="go1.19.8", git_commit="5d6db84", build_time="2023-05-08T08:35:00.000000000+00:00",
    ),
    "26.1": EngineProfile(
        name="26.1", version="26.1.5+dfsg1", api_version="1.45", min_api_version="1.24",
        go_version="go1.24.4", git_commit="411e817", build_time="2026-08-13T05:35:48.000000000+00:00",
        components=({"Name": "containerd", "Version": "1.7.24~ds1", "Details": {"GitCommit": "1.7.24~ds1-6+deb13u1"}},
                    {"Name": "runc", "Version": "1.1.15+ds1", "Details": {"GitCommit": "1.1.15+ds1-2+b4"}},
                    {"Name": "docker-init", "Version": "0.19.0", "Details": {"GitCommit": ""}}),
        wait_error_when_none=False, image_not_found_doubled=False, too_old_as_text=False,
        image_container_field=False, stop_before_die=True, wait_refuses_unknown_condition=True,
    ),
}

#: what a FakeEngine answers as unless told: the newest engine it has been checked against
#: (the parity scenarios run it beside Docker 26.1.5, and "20.10" beside Docker 20.10.24)
DEFAULT_ENGINE_VERSION = "26.1"


def profile(name: str) -> EngineProfile:
    """The profile of ``name`` ("20.10", "26.1"; a full version such as "26.1.5" names its
    minor); a ValueError naming the ones there are."""
    key = ".".join(name.split(".")[:2])
    try:
        return PROFILES[key]
    except KeyError:
        raise ValueError(f"fakedocker answers as engine versions {', '.join(PROFILES)}, not {name!r}") from None


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def api_version_problem(requested: str | None, min_version: str, max_version: str) -> str | None:
    """The daemon's refusal of a request naming API ``requested`` (None: accepted)."""
    if not requested:
        return None
    if version_tuple(requested) > version_tuple(max_version):
        return f"client version {requested} is too new. Maximum supported API version is {max_version}"
    if version_tuple(requested) < version_tuple(min_version):
        return (f"client version {requested} is too old. Minimum supported API version is {min_version}, "
                f"please upgrade your client to a newer version")
    return None
