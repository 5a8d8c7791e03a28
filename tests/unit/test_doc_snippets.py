"""Every configuration snippet in the documentation (docs/ and README.md: the ```python blocks
that set ``c.<Class>.<option>``) runs as jupyterhub_config.py runs, names only options that
exist, and the spawner it configures accepts the values (each trait validates them)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from types import SimpleNamespace

import jupyterhub
import pytest
from jupyterhub.app import JupyterHub
from jupyterhub.objects import Hub
from traitlets.config import Config

from dockerspawner import DockerSpawner, SwarmSpawner, SystemUserSpawner

REPO = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent>[ ]*)```python[^\n]*\n(?P<code>.*?)^(?P=indent)```", re.M | re.S)
SPAWNERS = {cls.__name__: cls for cls in (DockerSpawner, SwarmSpawner, SystemUserSpawner)}
#: what a snippet's environment variables read, as an admin's would be set
SNIPPET_ENV = {"HUB_CONNECT_IP": "192.0.2.10", "DOCKER_NETWORK_NAME": "jupyterhub-net",
               "HUB_HOSTNAME": "hub", "DOCKER_HOST": "tcp://192.0.2.20:2376"}


#: JupyterHub options the pages use that older JupyterHub releases lack (an older hub warns of
#: them and goes on): (class, option) -> the release that added it
NEWER_JUPYTERHUB_OPTIONS = {("Authenticator", "allow_all"): (5, 0)}
JUPYTERHUB = tuple(int(part) for part in jupyterhub.__version__.split(".")[:2])


def documents() -> list[Path]:
    return [REPO / "README.md"] + sorted(p for p in (REPO / "docs").rglob("*.md") if "_build" not in p.parts)


def snippets() -> list[tuple[str, str]]:
    found = []
    for path in documents():
        text = path.read_text()
        for match in FENCE.finditer(text):
            code = "\n".join(line[len(match["indent"]):] for line in match["code"].splitlines())
            if re.search(r"^\s*c\.\w+", code, re.M):
                line = text[:match.start()].count("\n") + 1
                found.append((f"{path.relative_to(REPO)}:{line}", code))
    return found


SNIPPETS = snippets()


def test_the_docs_have_configuration_snippets():
    places = {where.split(":")[0] for where, _ in SNIPPETS}
    assert len(SNIPPETS) >= 20 and len(places) >= 8, sorted(places)


@functools.cache
def known_classes() -> dict[str, type]:
    """The configurable classes a jupyterhub_config.py may name: the hub's and ours."""
    classes = {cls.__name__: cls for cls in JupyterHub().classes}
    classes.update(SPAWNERS)
    return classes


@pytest.mark.parametrize("where,code", SNIPPETS, ids=[where for where, _ in SNIPPETS])
def test_snippet_loads_and_configures_its_spawner(where, code, monkeypatch, tmp_path):
    for key, value in SNIPPET_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    config = Config()
    exec(compile(code, where, "exec"), {"c": config, "get_config": lambda: config, "__file__": str(tmp_path / "x.py")})
    classes = known_classes()
    for section in config:
        assert section in classes, f"{where}: c.{section} is not a class JupyterHub configures"
        traits = classes[section].class_traits(config=True)
        unknown = sorted(name for name in config[section] if name not in traits
                         and NEWER_JUPYTERHUB_OPTIONS.get((section, name), (0, 0)) <= JUPYTERHUB)
        assert not unknown, f"{where}: c.{section} has no options {unknown}"
    named = [SPAWNERS[name] for name in config if name in SPAWNERS]
    cls = max(named, key=lambda c: len(c.__mro__)) if named else DockerSpawner
    chosen = config.JupyterHub.get("spawner_class") if "JupyterHub" in config else None
    if isinstance(chosen, str):
        cls = JupyterHub.class_traits()["spawner_class"].validate(None, chosen)
    user = SimpleNamespace(name="alice", url="/user/alice/", escaped_name="alice")
    cls(user=user, hub=Hub(), orm_spawner=SimpleNamespace(name="", server=None), config=config)
