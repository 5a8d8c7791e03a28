"""Profiles through a real JupyterHub on fakedocker: the REST API, the options form, the
recorded selection, refusals, and profiles next to allowed_images."""

from __future__ import annotations

import logging
import re

import pytest
from conftest import SINGLEUSER_CONFIG, SINGLEUSER_IMAGE, SINGLEUSER_RUNTIME
from hub_helpers import new_user, spawn, spawn_ready, stop, wait_for_spawn
from jupyterhub import orm
from jupyterhub.tests.utils import async_requests, public_host
from jupyterhub.utils import url_path_join

from dockerspawner.spec import LABEL_USER

TORCH, JAX = "127.0.0.1:5000/ml/torch:2", "127.0.0.1:5000/ml/jax:1"
PROFILES = [
    {"display_name": "Small", "slug": "small", "default": True, "spawner_override": {"mem_limit": "1G"}},
    {"display_name": "ML", "slug": "ml",
     "spawner_override": {"mem_limit": "4G", "cpu_limit": 2, "environment": {"TIER": "ml"}},
     "profile_options": {"image": {"display_name": "Framework", "choices": {
         "torch": {"display_name": "PyTorch", "spawner_override": {"image": TORCH}},
         "jax": {"display_name": "JAX", "spawner_override": {"image": JAX}}},
         "unlisted_choice": {"enabled": True, "validation_regex": r"127\.0\.0\.1:5000/ml/[a-z]+:[0-9]+",
                             "validation_message": "an image of 127.0.0.1:5000/ml/",
                             "kubespawner_override": {"image": "{value}"}}}}},
]


@pytest.fixture
def ml_images(engine):
    for ref in (TORCH, JAX, "127.0.0.1:5000/ml/custom:7"):
        engine.add_image(ref, config=SINGLEUSER_CONFIG)
        engine.set_runtime(ref, SINGLEUSER_RUNTIME)


def container_of(engine, spawner) -> dict:
    return engine.api_client().inspect_container(spawner.object_id)


def env_of(info: dict) -> dict[str, str]:
    return dict(e.split("=", 1) for e in info["Config"]["Env"])


@pytest.mark.spawner(profile_list=PROFILES, environment={"KEEP": "1"})
async def test_a_profile_and_choice_through_the_rest_api_are_applied_logged_and_recorded(hub, engine, ml_images,
                                                                                       lines):
    user = new_user(hub)
    spawner = await spawn_ready(hub, user, profile="ml", image="torch")
    info = container_of(engine, spawner)
    assert info["Config"]["Image"] == TORCH
    assert info["HostConfig"]["Memory"] == 4 * 1024**3
    assert (info["HostConfig"]["CpuQuota"], info["HostConfig"]["CpuPeriod"]) == (200_000, 100_000)
    env = env_of(info)
    assert (env["TIER"], env["KEEP"]) == ("ml", "1")  # the profile's environment merges into the configured one
    assert f"{user.name}: profile ml (image=torch)" in lines.text()
    assert spawner.orm_spawner.user_options == {"profile": "ml", "image": "torch"}
    await stop(hub, user)

    # a start without options (JupyterHub then reads the recorded ones) gives the same server
    spawner = await spawn_ready(hub, user)
    assert container_of(engine, spawner)["Config"]["Image"] == TORCH
    await stop(hub, user)

    # another profile starts from the configuration, not from what the last profile set
    spawner = await spawn_ready(hub, user, profile="small")
    info = container_of(engine, spawner)
    assert info["Config"]["Image"] == SINGLEUSER_IMAGE and info["HostConfig"]["Memory"] == 1024**3
    assert info["HostConfig"]["CpuQuota"] in (0, None) and "TIER" not in env_of(info)
    await stop(hub, user)


@pytest.mark.spawner(profile_list=PROFILES)
async def test_free_text_that_matches_the_admins_regex(hub, engine, ml_images):
    user = new_user(hub)
    spawner = await spawn_ready(hub, user, **{"profile": "ml", "image--unlisted-choice": "127.0.0.1:5000/ml/custom:7"})
    assert container_of(engine, spawner)["Config"]["Image"] == "127.0.0.1:5000/ml/custom:7"
    await stop(hub, user)


@pytest.mark.parametrize(("options", "message"), [
    ({"profile": "huge"}, "There is no profile 'huge'; choose one of: small, ml."),
    ({"profile": "ml", "image": "tensorflow"}, "'tensorflow' is not a choice of Framework in profile 'ml'"),
    ({"profile": "ml", "image--unlisted-choice": "evil/miner:1"}, "'evil/miner:1' is not allowed for Framework"),
    ({"profile": "small", "mem_limit": "64G"}, "Profile 'small' has no option 'mem_limit'"),
])
@pytest.mark.spawner(profile_list=PROFILES)
async def test_what_was_not_offered_is_refused_with_400_and_nothing_is_created(hub, engine, ml_images, options,
                                                                               message, lines):
    user = new_user(hub)
    r = await spawn(hub, user, **options)
    assert r.status_code == 400, r.text
    assert message in r.json()["message"]
    assert engine.api_client().containers(all=True, filters={"label": f"{LABEL_USER}={user.name}"}) == []
    assert "Traceback" not in lines.text()


@pytest.mark.spawner(profile_list=PROFILES, allowed_images=[SINGLEUSER_IMAGE])
async def test_a_profiles_image_is_allowed_by_being_in_the_profile(hub, engine, ml_images):
    user = new_user(hub)
    spawner = await spawn_ready(hub, user, profile="ml", image="jax")
    assert container_of(engine, spawner)["Config"]["Image"] == JAX  # not in allowed_images
    await stop(hub, user)


@pytest.mark.spawner(profile_list=PROFILES)
async def test_the_options_form_lists_the_profiles_and_its_answer_is_applied(hub, engine, ml_images):
    user = new_user(hub, "formprofiles")
    cookies = await hub.login_user(user.name)
    page = await async_requests.get(url_path_join(public_host(hub) + hub.hub.base_url, "spawn"), cookies=cookies)
    page.raise_for_status()
    assert page.text.count('name="profile"') == 2 and 'value="small" checked' in page.text
    assert 'name="profile-option-ml--image"' in page.text
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    r = await async_requests.post(public_host(hub) + action, cookies=cookies, data={
        "profile": "ml", "profile-option-ml--image": "jax", "profile-option-ml--image--unlisted-choice": ""})
    r.raise_for_status()
    await wait_for_spawn(hub, user)
    spawner = user.spawners[""]
    assert spawner.user_options == {"profile": "ml", "image": "jax"}
    assert container_of(engine, spawner)["Config"]["Image"] == JAX
    await stop(hub, user)


async def profiles_by_group(spawner):
    # e.g. only the ml group sees the ML profile
    groups = {g.name for g in spawner.user.groups}
    return PROFILES if "ml" in groups else PROFILES[:1]


@pytest.mark.spawner(profile_list=profiles_by_group)
async def test_a_callable_profile_list_offers_each_user_their_own(hub, engine, ml_images):
    user = new_user(hub)
    r = await spawn(hub, user, profile="ml", image="torch")
    assert r.status_code == 400 and "There is no profile 'ml'; choose one of: small." in r.json()["message"]
    group = orm.Group(name="ml")
    hub.db.add(group)
    user.orm_user.groups.append(group)
    hub.db.commit()
    spawner = await spawn_ready(hub, user, profile="ml", image="torch")
    assert container_of(engine, spawner)["Config"]["Image"] == TORCH
    await stop(hub, user)


@pytest.mark.spawner(profile_list=[{"display_name": "Bad", "spawner_override": {"imagee": "x:1"}}])
async def test_an_override_of_an_option_that_does_not_exist_is_the_admins_error(hub, engine, caplog):
    user = new_user(hub)
    with caplog.at_level(logging.ERROR):
        r = await spawn(hub, user)
    assert r.status_code == 500
    assert "profile 'bad' overrides 'imagee', which is not a DockerSpawner option" in r.json()["message"]
    assert "tell your JupyterHub administrator" in r.json()["message"]


@pytest.mark.spawner(profile_list=PROFILES)
async def test_the_defaults_a_user_got_are_recorded_so_a_new_default_does_not_change_their_server(hub, engine,
                                                                                                 ml_images):
    user = new_user(hub)
    spawner = await spawn_ready(hub, user)  # no options: the default profile, Small
    assert spawner.orm_spawner.user_options == {"profile": "small"}
    await stop(hub, user)
    spawner.profile_list = [dict(PROFILES[0], default=False), dict(PROFILES[1], default=True)]
    spawner = await spawn_ready(hub, user)  # JupyterHub passes the recorded options
    assert container_of(engine, spawner)["HostConfig"]["Memory"] == 1024**3
    await stop(hub, user)
    assert (await spawn_ready(hub, user, profile="ml")).orm_spawner.user_options == {"profile": "ml", "image": "torch"}
    await stop(hub, user)
