"""Property tests: names are safe, injective and deterministic for any user or server name."""

from __future__ import annotations

import posixpath
import re
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from jupyterhub.objects import Hub

from dockerspawner import DockerSpawner
from dockerspawner.naming import escape_dns_safe, escape_legacy
from dockerspawner.spec import ContainerRequest, build_create_kwargs, render_templates

DNS_SAFE = re.compile(r"^[a-z0-9-]*$")
DOCKER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")

names = st.text(min_size=1, max_size=40)


def spawner_for(username: str, server_name: str = "", **traits) -> DockerSpawner:
    user = SimpleNamespace(name=username, url=f"/user/{username}/", escaped_name=username)
    return DockerSpawner(user=user, hub=Hub(ip="127.0.0.1", port=8081), orm_spawner=SimpleNamespace(name=server_name, server=None),
                         image="quay.io/jupyterhub/singleuser:6.1", **traits)


@given(names)
def test_default_escape_is_dns_safe(name):
    assert DNS_SAFE.match(escape_dns_safe(name))


@given(names, names)
def test_default_escape_is_injective(a, b):
    if a != b:
        assert escape_dns_safe(a) != escape_dns_safe(b)


@given(names, names)
def test_legacy_escape_is_injective(a, b):
    if a != b:
        assert escape_legacy(a) != escape_legacy(b)


@given(st.tuples(names, st.one_of(st.just(""), names)), st.tuples(names, st.one_of(st.just(""), names)))
@settings(max_examples=300)
def test_no_two_user_server_pairs_share_a_container_name(first, second):
    if first == second:
        return
    a, b = spawner_for(*first), spawner_for(*second)
    assert a.object_name != b.object_name
    assert DOCKER_NAME.match(a.object_name) and DNS_SAFE.match(a.object_name)


@given(names, names)
def test_no_two_users_share_a_volume_name(a, b):
    template = {"jupyterhub-user-{username}": "/home/jovyan/work"}
    if a == b:
        return
    va = list(spawner_for(a, volumes=template).volume_binds)
    vb = list(spawner_for(b, volumes=template).volume_binds)
    assert va != vb
    assert DOCKER_NAME.match(va[0])


@given(names, st.sampled_from(["/srv/home/{username}", "/data/{username}/work", "/exports/users/{username}"]))
def test_username_in_a_host_path_stays_under_its_parent(username, template):
    for escape in (None, "legacy"):
        host = next(iter(spawner_for(username, escape=escape, volumes={template: "/home/jovyan"}).volume_binds))
        parent = template.split("{username}")[0].rstrip("/")
        normalised = posixpath.normpath(host)
        assert normalised.startswith(parent + "/")
        assert normalised == host  # nothing for the kernel to resolve: no '..', '.', '//'
        assert host.count("/") == template.count("/")


requests = st.builds(
    ContainerRequest,
    image=st.sampled_from(["busybox:1.36", "127.0.0.1:5000/a/b:2"]),
    name=st.from_regex(r"[a-z][a-z0-9-]{1,20}", fullmatch=True),
    port=st.integers(1, 65535),
    command=st.one_of(st.none(), st.lists(st.text(max_size=10), max_size=3)),
    environment=st.dictionaries(st.from_regex(r"[A-Z_]{1,8}", fullmatch=True), st.text(max_size=10), max_size=4),
    mem_limit=st.one_of(st.none(), st.integers(1, 2**40)),
    cpu_limit=st.one_of(st.none(), st.floats(0.01, 64)),
    mem_guarantee=st.one_of(st.none(), st.integers(1, 2**40)),
    cpu_guarantee=st.one_of(st.none(), st.floats(0.01, 64)),
)


@given(requests)
def test_building_the_spec_is_deterministic_and_pure(req):
    first = build_create_kwargs(req, "1.41")
    second = build_create_kwargs(req, "1.41")
    assert first == second
    host = first["host_config"]
    if req.cpu_limit:
        assert host["CpuQuota"] == int(req.cpu_limit * host["CpuPeriod"])
    if req.mem_limit:
        assert host["Memory"] == req.mem_limit
    assert first["labels"]["org.jupyter.hub.managed-by"] == "dockerspawner"


@given(names, st.one_of(st.just(""), names))
@settings(max_examples=200)
def test_user_strings_never_inject(username, server_name):
    """Whatever a user calls themselves or their server, it cannot reach outside its slot:
    names stay valid and brace-free (no template injection), host paths stay under their
    parent, rendered extra arguments stay inside their path, labels hold the raw value."""
    spawner = spawner_for(
        username, server_name,
        name_template="{prefix}-{username}--{servername}-{imagename}",
        volumes={"/srv/home/{username}/{servername}": "/home/jovyan",
                 "data-{username}-{servername}": "/data"},
    )
    name = spawner.object_name
    assert DOCKER_NAME.match(name) and "{" not in name and "}" not in name
    binds = spawner.volume_binds
    for host in binds:
        if host.startswith("/"):
            assert posixpath.normpath(host) == host.rstrip("/") or host.endswith("/")
            assert posixpath.normpath(host).startswith("/srv/home/")
            assert ".." not in host.split("/")
        else:
            assert DOCKER_NAME.match(host)
    rendered = render_templates({"working_dir": "/home/{username}", "labels": {"owner": "{raw_username}"}},
                                spawner.template_namespace())
    assert posixpath.normpath(rendered["working_dir"]).startswith("/home/")
    assert rendered["working_dir"].count("/") == 2
    assert rendered["labels"]["owner"] == username  # a label value, never re-formatted
    labels = spawner.labels()
    assert labels["org.jupyter.hub.user"] == username
    assert labels["org.jupyter.hub.server-name"] == server_name
