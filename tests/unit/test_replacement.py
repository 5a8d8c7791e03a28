"""Whether a kept (stopped) container can be started again: a pure function of its inspect data
and the new request, tested against literal dicts."""

from __future__ import annotations

import dataclasses

from dockerspawner.replacement import LABEL_CONFIG, fingerprint_label, replacement_reasons
from dockerspawner.spec import ContainerRequest

REQUEST = ContainerRequest(
    image="quay.io/jupyterhub/singleuser:5.5", name="jupyter-alice", port=8888,
    command=["jupyterhub-singleuser"], environment={"JUPYTERHUB_API_URL": "http://hub:8081/hub/api"},
    volume_binds={"home-alice": {"bind": "/home/jovyan", "mode": "rw"}},
    volume_settings={"volumes": {"home-{username}": "/home/jovyan"}},
    mem_limit=2 * 1024**3, cpu_limit=1.0,
)


def inspect_of(req: ContainerRequest) -> dict:
    """What `docker inspect` shows of a container we created from ``req``."""
    return {
        "Config": {"Image": req.image, "Cmd": list(req.command or []),
                   "Labels": {LABEL_CONFIG: fingerprint_label(req), "org.jupyter.hub.user": "alice"}},
        "HostConfig": {"Memory": req.mem_limit or 0, "CpuQuota": int((req.cpu_limit or 0) * 100_000)},
        "State": {"Running": False, "Status": "exited"},
    }


def test_an_unchanged_configuration_resumes():
    assert replacement_reasons(inspect_of(REQUEST), REQUEST) == []


def test_what_jupyterhub_generates_does_not_count():
    upgraded = dataclasses.replace(REQUEST, environment={"JUPYTERHUB_API_URL": "http://hub:8081/hub/api",
                                                         "JUPYTERHUB_NEW_IN_6": "1", "LANG": "C.UTF-8"})
    assert replacement_reasons(inspect_of(REQUEST), upgraded) == []


def test_no_limit_written_as_none_or_zero_does_not_count():
    # containers made before the limits' defaults became 0 (the reference's) carry None
    before = dataclasses.replace(REQUEST, mem_limit=None, cpu_limit=None)
    assert replacement_reasons(inspect_of(before), dataclasses.replace(before, mem_limit=0, cpu_limit=0.0)) == []


def test_a_renamed_volume_with_the_same_setting_does_not_count():
    # an escape or prefix change renders other names from the same templates: the container
    # keeps the volumes it was made with
    renamed = dataclasses.replace(REQUEST, volume_binds={"home-Alice": {"bind": "/home/jovyan", "mode": "rw"}})
    assert replacement_reasons(inspect_of(REQUEST), renamed) == []


def test_each_admin_change_is_named():
    changes = {
        "image (quay.io/jupyterhub/singleuser:5.5 -> quay.io/jupyterhub/singleuser:6.1)":
            {"image": "quay.io/jupyterhub/singleuser:6.1"},
        "command": {"command": ["jupyter-lab"]},
        "limits": {"mem_limit": 4 * 1024**3},
        "volumes": {"volume_settings": {"volumes": {"home-{username}": "/home/jovyan", "/srv": "/srv"}}},
        "network": {"network_name": "jupyterhub"},
        "user": {"user": "1000:100"},
        "extra arguments": {"extra_host_config": {"shm_size": "1G"}},
    }
    for reason, change in changes.items():
        assert replacement_reasons(inspect_of(REQUEST), dataclasses.replace(REQUEST, **change)) == [reason]
    both = dataclasses.replace(REQUEST, mem_limit=None, network_name="jupyterhub")
    assert replacement_reasons(inspect_of(REQUEST), both) == ["limits", "network"]


def test_a_container_without_our_label_is_compared_on_what_inspect_shows():
    # made by the reference implementation (or before the fingerprint existed)
    reference_made = {
        "Config": {"Image": REQUEST.image, "Cmd": ["jupyterhub-singleuser"], "Labels": {}},
        "HostConfig": {"Memory": 2 * 1024**3, "CpuQuota": 100_000, "CpuPeriod": 100_000},
        "State": {"Running": False},
    }
    assert replacement_reasons(reference_made, REQUEST) == []
    assert replacement_reasons({**reference_made, "HostConfig": {"Memory": 0, "CpuQuota": 0}}, REQUEST) == ["limits"]
    older_label = {**reference_made, "Config": {**reference_made["Config"], "Labels": {LABEL_CONFIG: "0123456789abcdef"}}}
    assert replacement_reasons(older_label, dataclasses.replace(REQUEST, image="other:1")) == [
        f"image ({REQUEST.image} -> other:1)"]


def _with_env(info: dict, **env: str) -> dict:
    return {**info, "Config": {**info["Config"], "Env": [f"{k}={v}" for k, v in env.items()]}}


LAB = {"JUPYTERHUB_USER": "alice", "JUPYTERHUB_SERVER_NAME": "lab", "JUPYTERHUB_SERVICE_PREFIX": "/user/alice/lab/",
       "JUPYTERHUB_CLIENT_ID": "jupyterhub-user-alice-lab",
       "JUPYTERHUB_OAUTH_CALLBACK_URL": "/user/alice/lab/oauth_callback"}


def test_a_renamed_server_cannot_keep_its_container():
    """JupyterHub 6 renamed `lab` to `notes`: the kept container still serves /user/alice/lab/."""
    notes = {"JUPYTERHUB_USER": "alice", "JUPYTERHUB_SERVER_NAME": "notes",
             "JUPYTERHUB_SERVICE_PREFIX": "/user/alice/notes/", "JUPYTERHUB_CLIENT_ID": "jupyterhub-user-alice-notes",
             "JUPYTERHUB_OAUTH_CALLBACK_URL": "/user/alice/notes/oauth_callback"}
    kept = _with_env(inspect_of(REQUEST), **LAB, JUPYTERHUB_API_TOKEN="old")
    assert replacement_reasons(kept, dataclasses.replace(REQUEST, environment={**notes, "JUPYTERHUB_API_TOKEN": "new"})) == [
        "the server's name or URL changed: JUPYTERHUB_SERVER_NAME (lab -> notes)"]


def test_a_hub_upgrade_alone_keeps_the_container():
    """What else JupyterHub generates changes with its version; the server's identity does not."""
    kept = _with_env(inspect_of(REQUEST), **LAB, JUPYTERHUB_API_URL="http://hub:8081/hub/api", JUPYTERHUB_API_TOKEN="a")
    upgraded = {**LAB, "JUPYTERHUB_API_URL": "http://hub:8081/hub/api", "JUPYTERHUB_API_TOKEN": "b",
                "JUPYTERHUB_OAUTH_ACCESS_SCOPES": '["access:servers!server=alice/lab"]', "JUPYTERHUB_NEW_IN_7": "1"}
    assert replacement_reasons(kept, dataclasses.replace(REQUEST, environment=upgraded)) == []
    # a key an older JupyterHub did not set is not compared
    older = _with_env(inspect_of(REQUEST), JUPYTERHUB_USER="alice", JUPYTERHUB_SERVICE_PREFIX="/user/alice/lab/")
    assert replacement_reasons(older, dataclasses.replace(REQUEST, environment=LAB)) == []
