"""JupyterHub >= 5.3 applies user options in a step of its own (``apply_user_options``) and,
when nobody handles them, warns "Received unhandled user_options" on every spawn.  Our options
(image, profile) are applied in that step, so no false warning is logged, and an admin's own
hook composes with ours.  On older JupyterHub they are applied in start(), as before."""

from __future__ import annotations

import logging

import pytest
from conftest import SINGLEUSER_CONFIG, SINGLEUSER_IMAGE, SINGLEUSER_RUNTIME
from hub_helpers import new_user, spawn_ready, stop
from jupyterhub.spawner import Spawner

NEXT_IMAGE = "quay.io/jupyterhub/singleuser:next"
IMAGES = {"Python": SINGLEUSER_IMAGE, "Next": NEXT_IMAGE}
PROFILES = [{"display_name": "Small", "slug": "small", "default": True},
            {"display_name": "Big", "slug": "big", "spawner_override": {"mem_limit": "2G"}}]

has_the_step = pytest.mark.skipif(not hasattr(Spawner, "apply_user_options"),
                                  reason="this JupyterHub has no apply_user_options step (added in 5.3)")


@pytest.fixture
def next_image(engine):
    engine.add_image(NEXT_IMAGE, config=SINGLEUSER_CONFIG)
    engine.set_runtime(NEXT_IMAGE, SINGLEUSER_RUNTIME)


def warnings_about_options(lines) -> list[str]:
    return [r.getMessage() for r in lines.records if r.levelno >= logging.WARNING
            and "user_option" in r.getMessage().lower().replace(" ", "_")]


def inspect(engine, spawner) -> dict:
    return engine.api_client().inspect_container(spawner.object_id)


@pytest.mark.spawner(allowed_images=IMAGES)
async def test_an_image_choice_is_applied_without_a_false_warning(hub, lines, engine, next_image):
    user = new_user(hub)
    spawner = await spawn_ready(hub, user, image="Next")
    assert inspect(engine, spawner)["Config"]["Image"] == NEXT_IMAGE
    assert warnings_about_options(lines) == []
    await stop(hub, user)


@pytest.mark.spawner(profile_list=PROFILES)
async def test_a_profile_choice_is_applied_without_a_false_warning(hub, lines, engine):
    user = new_user(hub)
    spawner = await spawn_ready(hub, user, profile="big")
    assert inspect(engine, spawner)["HostConfig"]["Memory"] == 2 * 1024**3
    assert warnings_about_options(lines) == []
    await stop(hub, user)


def note_from_options(spawner, user_options):
    spawner.environment = {**spawner.environment, "NOTE": user_options.get("note", ""),
                           "IMAGE_SEEN_BY_HOOK": spawner.image}


@has_the_step
@pytest.mark.spawner(allowed_images=IMAGES, apply_user_options=note_from_options)
async def test_an_admins_callable_hook_composes_with_ours(hub, lines, engine, next_image):
    user = new_user(hub)
    spawner = await spawn_ready(hub, user, image="Next", note="hello")
    info = inspect(engine, spawner)
    assert info["Config"]["Image"] == NEXT_IMAGE
    env = dict(e.split("=", 1) for e in info["Config"]["Env"])
    # ours first (the image the user chose, checked), then the admin's, which sees it
    assert (env["NOTE"], env["IMAGE_SEEN_BY_HOOK"]) == ("hello", NEXT_IMAGE)
    assert warnings_about_options(lines) == []
    await stop(hub, user)


@has_the_step
@pytest.mark.spawner(allowed_images=IMAGES, apply_user_options={"size": "mem_limit"})
async def test_an_admins_dict_hook_composes_and_a_key_nobody_uses_is_reported(hub, lines, engine, next_image):
    user = new_user(hub)
    spawner = await spawn_ready(hub, user, image="Next", size="1G", colour="blue")
    info = inspect(engine, spawner)
    assert (info["Config"]["Image"], info["HostConfig"]["Memory"]) == (NEXT_IMAGE, 1024**3)
    [warning] = warnings_about_options(lines)
    assert "colour" in warning and "image" not in warning
    await stop(hub, user)


@has_the_step
@pytest.mark.spawner(allowed_images=IMAGES)
async def test_without_a_hook_only_a_key_nobody_uses_is_reported(hub, lines, engine, next_image):
    user = new_user(hub)
    await spawn_ready(hub, user, image="Next", colour="blue")
    [warning] = warnings_about_options(lines)
    assert warning.endswith(": colour")
    await stop(hub, user)


def record_image(spawner):
    spawner.environment = {**spawner.environment, "IMAGE_AT_PRE_SPAWN": spawner.image}


@pytest.mark.spawner(allowed_images=IMAGES, pre_spawn_hook=record_image)
async def test_when_pre_spawn_hook_sees_the_chosen_image(hub, engine, next_image):
    """JupyterHub >= 5.3 runs pre_spawn_hook after the options step, so the hook sees the user's
    choice; before, the options are applied in start() and the hook sees the configured image."""
    user = new_user(hub)
    spawner = await spawn_ready(hub, user, image="Next")
    env = dict(e.split("=", 1) for e in inspect(engine, spawner)["Config"]["Env"])
    expected = NEXT_IMAGE if hasattr(Spawner, "apply_user_options") else SINGLEUSER_IMAGE
    assert env["IMAGE_AT_PRE_SPAWN"] == expected
    assert inspect(engine, spawner)["Config"]["Image"] == NEXT_IMAGE
    await stop(hub, user)
