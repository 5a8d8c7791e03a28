"""A server's objects belong to that server alone, through JupyterHub 6's renames and through
templates that render one server's names for another (MockHub's REST API on fakedocker; the
pure decisions of :mod:`dockerspawner.ownership` against literal values first)."""

from __future__ import annotations

import json

import pytest
from hub_helpers import answers_through_proxy, new_user, spawn_ready, stop, until
from jupyterhub.spawner import Spawner
from jupyterhub.tests.utils import api_request

from dockerspawner import ownership
from dockerspawner.spec import LABEL_SERVER_NAME, LABEL_USER

renames = pytest.mark.skipif(not hasattr(Spawner, "rename"), reason="this JupyterHub cannot rename servers (added in 6.0)")
VOLUMES = {"{username}-{servername}": "/home/jovyan/work"}


# the pure decisions -------------------------------------------------------------------------------


def test_which_templates_name_a_servers_own_volume():
    assert ownership.uses_server_name("{username}-{servername}")
    assert ownership.uses_server_name("data-{raw_servername!s}")
    assert not ownership.uses_server_name("jupyterhub-user-{username}")  # shared by the user's servers
    assert not ownership.uses_server_name("{servername_prefix}")


def test_what_the_other_servers_own():
    states = {
        "": {"object_id": "aaa111", "volume_names": {"{username}-{servername}": "alice-", "home-{username}": "home-alice"}},
        "notes": {"container_id": "bbb222", "volume_names": {"{username}-{servername}": "alice-lab"}},
        "lab": {"object_id": "ccc333", "volume_names": {"{username}-{servername}": "alice-lab-1f2e3d4c"}},
        "old": None,
    }
    others = ownership.other_servers(states, "lab", {"old": ["alice-old"]})
    assert others.object_ids == {"aaa111": "", "bbb222": "notes"}
    # a shared volume (its template has no server name) is not any one server's
    assert others.volume_names == {"alice-": "", "alice-lab": "notes", "alice-old": "old"}


def test_whose_an_object_is():
    others = ownership.OtherServers(object_ids={"bbb222": "notes"})
    assert ownership.owner_of("bbb222" + "0" * 58, {LABEL_USER: "alice", LABEL_SERVER_NAME: "lab"},
                              user="alice", server="lab", others=others) == "notes"  # its id: the state says
    assert ownership.owner_of("ddd", {LABEL_USER: "alice", LABEL_SERVER_NAME: "notes"}, user="alice", server="lab",
                              others=ownership.OtherServers()) == "notes"
    assert ownership.owner_of("ddd", {LABEL_USER: "bob"}, user="alice", server="lab",
                              others=ownership.OtherServers()) == "another user"
    assert ownership.owner_of("ddd", {LABEL_USER: "alice", LABEL_SERVER_NAME: "lab"}, user="alice", server="lab",
                              others=ownership.OtherServers()) is None
    # a label naming a server the user no longer has (a renamed server's kept container) is no claim
    known = ownership.OtherServers(names=frozenset({"", "lab"}))
    assert ownership.owner_of("ddd", {LABEL_USER: "alice", LABEL_SERVER_NAME: "old"}, user="alice", server="notes",
                              others=known) is None
    assert ownership.owner_of("ddd", {LABEL_USER: "alice", LABEL_SERVER_NAME: "lab"}, user="alice", server="notes",
                              others=known) == "lab"
    assert ownership.owner_of("ddd", None, user="alice", server="lab", others=ownership.OtherServers()) is None


def test_a_name_of_its_own_is_stable_and_differs_per_server():
    one = ownership.own_name("alice-lab", user="alice", server="lab", server_id=7)
    assert one == ownership.own_name("alice-lab", user="alice", server="lab", server_id=7)
    assert one.startswith("alice-lab-") and len(one) == len("alice-lab-") + 8
    assert one != ownership.own_name("alice-lab", user="alice", server="lab", server_id=8)


# through the hub ------------------------------------------------------------------------------------


def volumes_of(engine, container_id: str) -> list[str]:
    info = engine.api_client().inspect_container(container_id)
    return [m["Name"] for m in info["Mounts"] if m["Type"] == "volume"]


def env_of(engine, container_id: str) -> dict[str, str]:
    info = engine.api_client().inspect_container(container_id)
    return dict(entry.split("=", 1) for entry in info["Config"]["Env"])


async def rename(hub, user, old: str, new: str) -> None:
    r = await api_request(hub, "users", user.name, "servers", old, method="patch", data=json.dumps({"name": new}))
    assert r.status_code == 200, r.text


@renames
@pytest.mark.spawner(remove=False, volumes=VOLUMES)
async def test_a_renamed_server_answers_at_its_new_url_with_its_data(hub, engine, lines):
    user = new_user(hub)
    lab = await spawn_ready(hub, user, "lab")
    kept = lab.object_id
    await stop(hub, user, "lab")
    await rename(hub, user, "lab", "notes")
    # the kept container takes the new server's name at once: a new `lab` cannot meet it
    assert engine.api_client().inspect_container(kept)["Name"] == f"/jupyter-{user.name}--notes"
    notes = await spawn_ready(hub, user, "notes")
    # JupyterHub's environment for it names the old server: replaced, its volume kept
    assert notes.object_id != kept
    assert env_of(engine, notes.object_id)["JUPYTERHUB_SERVICE_PREFIX"].endswith(f"/user/{user.name}/notes/")
    assert volumes_of(engine, notes.object_id) == [f"{user.name}-lab"]
    assert "the server's name or URL changed: JUPYTERHUB_SERVER_NAME (lab -> notes)" in lines.text()
    assert await answers_through_proxy(hub, user, "notes")
    await stop(hub, user, "notes")


async def lab_renamed_notes(hub, user):
    """``lab`` spawned, stopped and renamed ``notes``, then ``notes`` spawned: lab's object id
    and the notes spawner."""
    lab = await spawn_ready(hub, user, "lab")
    lab_id = lab.object_id
    await stop(hub, user, "lab")
    await rename(hub, user, "lab", "notes")
    return lab_id, await spawn_ready(hub, user, "notes")


@renames
async def test_a_renamed_server_kept_by_a_hook_is_found_by_its_new_name(hub, engine, lines):
    """remove = False set by a pre_spawn_hook (JupyterHub clears the state before the hook
    runs, so the kept container's id is forgotten): the renamed server finds its container by
    the name it was renamed to — labelled with the old server name, which the user no longer
    has — and replaces it, keeping its volume, instead of naming a container of its own."""
    hub.config.DockerSpawner.update(remove=True, volumes=VOLUMES,
                                    pre_spawn_hook=lambda spawner: setattr(spawner, "remove", False))
    user = new_user(hub)
    kept, notes = await lab_renamed_notes(hub, user)
    assert notes.object_name == f"jupyter-{user.name}--notes"  # not a name of its own
    assert "belongs to server 'lab'" not in lines.text()
    assert "JUPYTERHUB_SERVER_NAME (lab -> notes)" in lines.text()
    assert notes.object_id != kept and volumes_of(engine, notes.object_id) == [f"{user.name}-lab"]
    assert [c["Id"] for c in engine.api_client().containers(all=True, filters={"label": f"{LABEL_USER}={user.name}"})] \
        == [notes.object_id]
    await stop(hub, user, "notes")


@renames
@pytest.mark.parametrize("remove", [False, True])
async def test_a_new_server_with_a_renamed_ones_old_name_gets_objects_of_its_own(hub, engine, lines, remove):
    # the spawners made from now on read it (a marker cannot take the parameter)
    hub.config.DockerSpawner.update(remove_volumes_on_delete=True, remove=remove, volumes=VOLUMES)
    user = new_user(hub)
    first_id, notes = await lab_renamed_notes(hub, user)
    notes_id = notes.object_id
    assert volumes_of(engine, notes_id) == [f"{user.name}-lab"]  # its data, under its old name
    await stop(hub, user, "notes")

    r = await api_request(hub, "users", user.name, "servers", "lab", method="post")
    assert r.status_code in (201, 202), r.text
    lab = user.spawners["lab"]
    await until(lambda: lab.ready, "the new lab to be ready")
    # its own container and its own, empty volume: never notes'
    assert lab.object_id not in (first_id, notes_id)
    [volume] = volumes_of(engine, lab.object_id)
    assert volume != f"{user.name}-lab" and volume.startswith(f"{user.name}-lab-")
    assert f"Volume {user.name}-lab belongs to server 'notes'" in lines.text()
    # polling the new lab speaks of the new lab alone
    assert await lab.poll() is None
    await stop(hub, user, "lab")
    # deleted for ever: its own volume goes, notes' stays
    r = await api_request(hub, "users", user.name, "servers", "lab", method="delete", data=json.dumps({"remove": True}))
    assert r.status_code in (202, 204), r.text
    await until(lambda: "lab" not in user.orm_spawners, "the new lab to be deleted")
    names = {v["Name"] for v in engine.api_client().volumes()["Volumes"] or []}
    assert f"{user.name}-lab" in names and volume not in names
    assert (not remove) == (len(engine.api_client().containers(all=True, filters={"label": f"{LABEL_USER}={user.name}"})) == 1)


@pytest.mark.spawner(remove=True, name_template="{prefix}-{username}")
async def test_a_name_template_without_the_server_name_never_joins_two_servers(hub, engine, lines):
    """With named servers and a container name template without {servername}, every server of
    the user renders one container name: the second one must not take the first one's
    container (nor poll, stop or remove it)."""
    user = new_user(hub)
    first = await spawn_ready(hub, user, "a")
    second = await spawn_ready(hub, user, "b")
    assert first.object_id != second.object_id
    assert second.object_name.startswith(f"jupyter-{user.name}-") and second.object_name != first.object_name
    assert "belongs to server 'a'" in lines.text()
    await stop(hub, user, "b")
    assert engine.api_client().inspect_container(first.object_id)["State"]["Running"] is True
    assert await first.poll() is None
    await stop(hub, user, "a")


@renames
@pytest.mark.spawner(remove=False)
async def test_a_rename_whose_container_name_is_taken_is_refused(hub, engine):
    user = new_user(hub)
    await spawn_ready(hub, user, "lab")
    await stop(hub, user, "lab")
    engine.api_client().create_container("busybox:1.30.1", name=f"jupyter-{user.name}--notes")
    r = await api_request(hub, "users", user.name, "servers", "lab", method="patch", data=json.dumps({"name": "notes"}))
    assert r.status_code == 409, r.text
    assert "a container of that name exists" in r.json()["message"]
    assert "lab" in user.orm_spawners and "notes" not in user.orm_spawners
