"""SystemUserSpawner on fakedocker: the container's user, working directory, home bind and
environment, the uid/gid lookups and state, the errors a user can meet, and one spawn through
a real JupyterHub.  System accounts are faked (``pwd`` patched in the module)."""

from __future__ import annotations

import logging
import pwd
from types import SimpleNamespace

import pytest
from conftest import SINGLEUSER_IMAGE
from hub_helpers import (
    Lines,
    answers_through_proxy,
    new_user,
    spawn,
    spawn_ready,
    stop,
)
from jupyterhub.objects import Hub, Server
from tornado import web
from traitlets.config import Config

from dockerspawner import DockerSpawner
from dockerspawner import systemuserspawner as sus_module
from dockerspawner.spec import LABEL_USER
from dockerspawner.systemuserspawner import SystemUserSpawner

TOKEN = "tok-5d2e8a41c7"


class FakeAccounts:
    """A stand-in for the module's ``pwd``: only the accounts a test adds exist."""

    def __init__(self) -> None:
        self.users: dict[str, pwd.struct_passwd] = {}
        self.lookups: list[str] = []

    def add(self, name: str, uid: int, gid: int, home: str | None = None, group: str | None = None) -> None:
        self.users[name] = pwd.struct_passwd((name, "x", uid, gid, "", home or f"/home/{name}", "/bin/bash"))

    def getpwnam(self, name: str) -> pwd.struct_passwd:
        self.lookups.append(name)
        if name not in self.users:
            raise KeyError(f"getpwnam(): name not found: '{name}'")
        return self.users[name]



@pytest.fixture
def accounts(monkeypatch) -> FakeAccounts:
    fake = FakeAccounts()
    monkeypatch.setattr(sus_module, "pwd", SimpleNamespace(getpwnam=fake.getpwnam))
    fake.add("alice", 4242, 4343, group="staff")
    return fake


@pytest.fixture
def make_spawner(engine, accounts):
    def make(username: str = "alice", server_name: str = "", config: Config | None = None, **traits):
        user = SimpleNamespace(name=username, url=f"/user/{username}/", escaped_name=username)
        traits.setdefault("image", SINGLEUSER_IMAGE)
        spawner = SystemUserSpawner(user=user, hub=Hub(ip="127.0.0.1", port=8081), orm_spawner=SimpleNamespace(name=server_name, server=None),
                                    config=config or Config(), **traits)
        spawner.api_token = TOKEN
        spawner.server = Server(base_url=f"/user/{username}/{server_name + '/' if server_name else ''}")
        return spawner

    return make


def inspect(engine, spawner) -> tuple[dict, dict[str, str]]:
    info = engine.api_client().inspect_container(spawner.object_id)
    env = dict(item.split("=", 1) for item in info["Config"]["Env"])
    return info, env


def containers_of(engine, name: str) -> list:
    return engine.api_client().containers(all=True, filters={"label": f"{LABEL_USER}={name}"})


# the container ----------------------------------------------------------------------------------


async def test_runs_as_the_users_uid_and_gid_in_their_home(make_spawner, engine):
    spawner = make_spawner()
    assert isinstance(spawner, DockerSpawner)
    await spawner.start()
    info, env = inspect(engine, spawner)
    assert info["Config"]["User"] == "4242:4343"
    assert info["Config"]["WorkingDir"] == "/home/alice"
    assert info["HostConfig"]["Binds"] == ["/home/alice:/home/alice:rw"]
    assert info["State"]["Running"] is True
    assert env["USER"] == env["NB_USER"] == "alice"
    assert (env["NB_UID"], env["USER_ID"], env["NB_GID"]) == ("4242", "4242", "4343")
    assert "NB_GROUP" not in env  # as in the reference: images name the group themselves
    assert env["HOME"] == "/home/alice"  # not the image's /home/jovyan, which the uid cannot write
    assert env["JUPYTERHUB_USER"] == "alice" and env["JUPYTERHUB_API_TOKEN"] == TOKEN
    assert env["JUPYTER_IMAGE_SPEC"] == SINGLEUSER_IMAGE
    await spawner.stop()


async def test_run_as_root_runs_as_root_with_the_nb_variables(make_spawner, engine):
    spawner = make_spawner(run_as_root=True)
    await spawner.start()
    info, env = inspect(engine, spawner)
    assert info["Config"]["User"] == "0"
    assert info["Config"]["WorkingDir"] == "/home/alice"
    assert info["HostConfig"]["Binds"] == ["/home/alice:/home/alice:rw"]
    assert (env["NB_USER"], env["NB_UID"], env["USER_ID"], env["NB_GID"]) == ("alice", "4242", "4242", "4343")
    assert (env["USER"], env["HOME"]) == ("alice", "/home/alice")
    await spawner.stop()


async def test_homedir_format_strings_and_other_volumes(make_spawner, engine):
    spawner = make_spawner(
        host_homedir_format_string="/volumes/user/{username}",
        image_homedir_format_string="/home/{username}/host",
        volumes={"shared-{username}": "/srv/shared"},
        read_only_volumes={"/opt/data": "/data"},
    )
    assert spawner.host_homedir == "/volumes/user/alice"
    assert spawner.homedir == "/home/alice/host"
    await spawner.start()
    info, env = inspect(engine, spawner)
    assert sorted(info["HostConfig"]["Binds"]) == sorted(
        ["/volumes/user/alice:/home/alice/host:rw", "shared-alice:/srv/shared:rw", "/opt/data:/data:ro"]
    )
    assert info["Config"]["WorkingDir"] == env["HOME"] == "/home/alice/host"
    await spawner.stop()


@pytest.mark.parametrize("fmt", ["", None])
async def test_empty_host_format_looks_the_home_up_in_pwd(make_spawner, accounts, engine, fmt):
    accounts.add("bob", 1501, 1502, home="/srv/homes/bob")
    spawner = make_spawner("bob", host_homedir_format_string=fmt)
    assert spawner.host_homedir == "/srv/homes/bob"
    await spawner.start()
    info, env = inspect(engine, spawner)
    assert info["HostConfig"]["Binds"] == ["/srv/homes/bob:/home/bob:rw"]
    assert "NB_GROUP" not in env
    await spawner.stop()


async def test_raw_user_name_in_paths_escaped_in_container_names(make_spawner, accounts, engine):
    accounts.add("John.Smith-2", 2001, 2001)
    spawner = make_spawner("John.Smith-2")
    await spawner.start()
    info, env = inspect(engine, spawner)
    assert info["Name"] == "/jupyter--4aohn-2e-53mith-2d2"
    assert info["HostConfig"]["Binds"] == ["/home/John.Smith-2:/home/John.Smith-2:rw"]
    assert env["NB_USER"] == "John.Smith-2"
    await spawner.stop()


async def test_environment_and_extra_create_kwargs_still_override(make_spawner, engine):
    spawner = make_spawner(environment={"HOME": "/scratch/alice"}, extra_create_kwargs={"user": "root"})
    await spawner.start()
    info, env = inspect(engine, spawner)
    assert env["HOME"] == "/scratch/alice"
    assert info["Config"]["User"] == "root"
    assert info["Config"]["WorkingDir"] == "/home/alice"
    await spawner.stop()


# ids and state ------------------------------------------------------------------------------------


async def test_ids_from_state_override_pwd(make_spawner, engine):
    spawner = make_spawner()
    spawner.load_state({"user_id": 5000, "group_id": 6000})
    await spawner.start()
    info, env = inspect(engine, spawner)
    assert info["Config"]["User"] == "5000:6000"
    assert (env["NB_UID"], env["NB_GID"]) == ("5000", "6000")
    assert "NB_GROUP" not in env
    state = spawner.get_state()
    assert (state["user_id"], state["group_id"]) == (5000, 6000)
    assert "ids_from_pwd" not in state
    await spawner.stop()


async def test_ids_from_state_need_no_system_account(make_spawner, accounts, engine):
    """An authenticator that knows the ids (e.g. the hub runs in a container without the
    host's pwd) makes pwd unnecessary, as long as the host home is a format string."""
    spawner = make_spawner("carol")
    spawner.load_state({"user_id": 7001, "group_id": 7002})
    await spawner.start()
    info, _ = inspect(engine, spawner)
    assert info["Config"]["User"] == "7001:7002"
    assert info["HostConfig"]["Binds"] == ["/home/carol:/home/carol:rw"]
    assert "carol" not in accounts.lookups
    await spawner.stop()


async def test_a_uid_from_state_with_the_gid_from_pwd(make_spawner, engine):
    spawner = make_spawner()
    spawner.load_state({"user_id": 5000})
    await spawner.start()
    info, _ = inspect(engine, spawner)
    assert info["Config"]["User"] == "5000:4343"
    assert spawner.get_state()["ids_from_pwd"] == ["group_id"]
    await spawner.stop()


async def test_state_round_trip_and_clear(make_spawner, engine):
    spawner = make_spawner()
    assert (spawner.user_id, spawner.group_id) == (-1, -1)
    assert "user_id" not in spawner.get_state()  # nothing looked up before a start
    await spawner.start()
    state = spawner.get_state()
    assert state["user_id"] == 4242 and state["group_id"] == 4343
    assert state["ids_from_pwd"] == ["group_id", "user_id"]
    assert state["object_id"] == spawner.object_id

    # a hub restart: a new spawner object gets the state back
    restored = make_spawner()
    restored.load_state(state)
    assert (restored.user_id, restored.group_id, restored.object_id) == (4242, 4343, spawner.object_id)
    assert restored.get_state() == state
    assert await restored.poll() is None
    await restored.stop()
    # after a stop, ids that came from pwd are looked up again on the next start ...
    restored.clear_state()
    assert (restored.user_id, restored.group_id) == (-1, -1)
    # the stopped container is kept, under the name it has
    assert restored.get_state() == {"object_id": spawner.object_id, "object_name": "jupyter-alice"}

    # ... while ids an authenticator put in the state stay
    given = make_spawner()
    given.load_state({"user_id": 5000, "group_id": 6000})
    given.clear_state()
    assert given.get_state() == {"user_id": 5000, "group_id": 6000}


async def test_a_changed_account_is_seen_on_the_next_start(make_spawner, accounts, engine):
    spawner = make_spawner(remove=True)  # (a kept container resumes with the uid it was made with)
    await spawner.start()
    await spawner.stop()
    spawner.clear_state()
    accounts.add("alice", 4300, 4301)
    await spawner.start()
    assert inspect(engine, spawner)[0]["Config"]["User"] == "4300:4301"
    await spawner.stop()


# errors a user can meet ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["/home/{username}", ""])
async def test_a_user_without_system_account_gets_a_clear_error(make_spawner, accounts, engine, fmt):
    spawner = make_spawner("mallory", host_homedir_format_string=fmt)
    engine.calls.clear()
    with pytest.raises(web.HTTPError) as err:
        await spawner.start()
    assert err.value.status_code == 403
    assert "'mallory'" in err.value.log_message and "no system account" in err.value.log_message
    assert engine.calls.get("pull", 0) == engine.calls.get("inspect_image", 0) == 0  # failed before any call
    assert containers_of(engine, "mallory") == []
    assert spawner.get_state() == {}  # what the hub saves after the failure
    await spawner.stop()  # what the hub does after a failed start: nothing to stop


@pytest.mark.parametrize("name", ["../etc", "..", ".", "a/b", "/root", "x:y", "nul\0l"])
async def test_a_name_that_leaves_the_home_parent_is_refused(make_spawner, accounts, engine, name):
    accounts.add(name, 3000, 3000)  # even with an account
    spawner = make_spawner(name)
    with pytest.raises(web.HTTPError) as err:
        await spawner.start()
    assert err.value.status_code == 400
    assert repr(name) in err.value.log_message and "home directory" in err.value.log_message
    assert containers_of(engine, name) == []


@pytest.mark.parametrize(
    ("traits", "where"),
    [({"host_homedir_format_string": "homes-{username}"}, "host"),
     ({"image_homedir_format_string": "/home/{username}/../../etc"}, "image")],
)
async def test_a_bad_homedir_format_string_is_an_admin_error(make_spawner, engine, traits, where):
    spawner = make_spawner(**traits)
    with pytest.raises(web.HTTPError) as err:
        await spawner.start()
    assert err.value.status_code == 500
    assert f"{where} home directory" in err.value.log_message
    assert containers_of(engine, "alice") == []


# through a real JupyterHub --------------------------------------------------------------------------


@pytest.fixture
def hub_config(hub_config, tmp_path_factory, accounts):
    """The conftest hub, with SystemUserSpawner (imported by its module path until the
    package exports it), host homes under a temporary directory, and fake accounts."""
    hub_config.JupyterHub.spawner_class = "dockerspawner.systemuserspawner.SystemUserSpawner"
    homes = tmp_path_factory.mktemp("homes")
    hub_config.SystemUserSpawner.host_homedir_format_string = f"{homes}/{{username}}"
    for n in range(1, 10):
        accounts.add(f"sysuser{n}", 4100 + n, 4200 + n, group=f"grp{n}")
    return hub_config


async def test_spawn_answer_stop_through_the_hub(hub, engine, hub_config):
    user = new_user(hub, "sysuser1")
    await spawn_ready(hub, user)
    spawner = user.spawners[""]
    assert isinstance(spawner, SystemUserSpawner)
    assert (await answers_through_proxy(hub, user)).endswith("/user/sysuser1/api/status")

    info, env = inspect(engine, spawner)
    homes = hub_config.SystemUserSpawner.host_homedir_format_string.format(username="")
    assert info["Config"]["User"] == "4101:4201"
    assert info["Config"]["WorkingDir"] == env["HOME"] == "/home/sysuser1"
    assert info["HostConfig"]["Binds"] == [f"{homes}sysuser1:/home/sysuser1:rw"]
    assert (env["NB_USER"], env["NB_UID"], env["USER_ID"], env["NB_GID"]) == ("sysuser1", "4101", "4101", "4201")
    assert user.orm_user.orm_spawners[""].state["user_id"] == 4101  # saved by the hub

    await stop(hub, user)
    assert containers_of(engine, "sysuser1") == []
    assert spawner.user_id == -1  # looked up again on the next start


async def test_missing_account_through_the_hub(hub, engine):
    lines = Lines()
    hub.log.addHandler(lines)
    try:
        user = new_user(hub, "nosuchaccount")
        r = await spawn(hub, user)
    finally:
        hub.log.removeHandler(lines)
    assert r.status_code == 403, r.text
    message = r.json()["message"]
    assert "'nosuchaccount'" in message and "no system account" in message
    assert "Traceback" not in message
    # the spawner's own log: one clear line, no traceback (JupyterHub 4.1 itself also logs the
    # HTTPError with its traceback, from jupyterhub/user.py — not ours to change)
    errors = [rec for rec in lines.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1, [rec.getMessage() for rec in errors]
    assert "no system account" in errors[0].getMessage()
    assert not any(rec.exc_info for rec in errors if "dockerspawner" in rec.pathname)
    assert containers_of(engine, "nosuchaccount") == []
    assert not user.spawners[""].active


async def test_profiles_and_gpus_work_for_system_users_too(make_spawner, engine):
    engine.declare_gpus(2)
    spawner = make_spawner(profile_list=[
        {"display_name": "CPU", "slug": "cpu", "default": True},
        {"display_name": "GPU", "slug": "gpu", "spawner_override": {"gpus": 1, "mem_limit": "4G"}}])
    spawner.user_options = {"profile": "gpu"}
    await spawner.start()
    info, _ = inspect(engine, spawner)
    assert info["Config"]["User"] == "4242:4343"  # still the user's own ids
    assert info["HostConfig"]["Memory"] == 4 * 1024**3
    assert info["HostConfig"]["DeviceRequests"][0]["DeviceIDs"] == ["0"]
    await spawner.stop()
