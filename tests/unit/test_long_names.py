"""Names longer than the daemon takes: swarm refuses a service name of more than 63 characters
(a DNS label), so SwarmSpawner shortens a longer rendered name with a hash of the whole; every
name the daemon takes stays as rendered (the reference's names), and container names, which the
daemon takes at any length we render, are never shortened."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from test_naming_properties import spawner_for
from test_swarmspawner import make_spawner, swarm_engine  # noqa: F401  (the fixture)

from dockerspawner.naming import shortened
from dockerspawner.ownership import own_name

DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
label_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=200)


@given(label_text, st.integers(min_value=10, max_value=80))
def test_a_shortened_name_fits_and_keeps_its_start(name, limit):
    short = shortened(name, limit)
    assert len(short) <= limit
    if len(name) <= limit:
        assert short == name
    else:
        assert len(short) == limit
        assert short.startswith(name[: limit - 9]) and re.fullmatch(r"-[0-9a-f]{8}", short[-9:])
        assert shortened(name, limit) == short  # the same every time


def test_names_that_differ_only_past_the_cut_stay_apart():
    stem = "jupyter-" + "a" * 60
    assert shortened(stem + "--lab", 63) != shortened(stem + "--notes", 63)
    assert shortened("x" * 63, 63) == "x" * 63
    assert shortened("x" * 64, None) == "x" * 64


def test_a_name_of_its_own_fits_too():
    rendered = "jupyter-" + "b" * 60
    name = own_name(rendered, user="b" * 60, server="lab", server_id=7, limit=63)
    assert len(name) == 63 and name != shortened(rendered, 63)
    assert own_name("jupyter-bob", user="bob", server="", server_id=7, limit=63).startswith("jupyter-bob-")


def test_container_names_are_never_shortened():
    spawner = spawner_for("c" * 80, "lab")
    assert spawner.object_name == "jupyter-" + "c" * 80 + "--lab"


async def test_a_long_service_name_is_shortened_and_kept(make_spawner):  # noqa: F811
    engine = swarm_engine()
    user = "d" * 70
    spawner = make_spawner(engine, user)
    rendered = "jupyter-" + user
    await spawner.start()
    api = engine.api_client()
    [service] = api.services()
    name = service["Spec"]["Name"]
    assert name == spawner.service_name == shortened(rendered, 63) and DNS_LABEL.match(name)
    assert spawner.get_state()["object_name"] == name

    again = make_spawner(engine, user)  # a hub restart
    again.load_state(spawner.get_state())
    assert await again.poll() is None
    await again.stop()
    assert api.services() == []


async def test_a_service_name_the_daemon_takes_is_the_reference_s(make_spawner):  # noqa: F811
    engine = swarm_engine()
    user = "e" * (63 - len("jupyter-"))
    spawner = make_spawner(engine, user)
    await spawner.start()
    assert spawner.service_name == "jupyter-" + user
    await spawner.stop()
