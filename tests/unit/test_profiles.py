"""Server profiles: the admin's profile_list checked, a user's options checked against what was
offered, the overrides of a selection, and the options form (pure functions, literal dicts)."""

from __future__ import annotations

import pytest

from dockerspawner import profiles

PROFILES = [
    {"display_name": "Small", "slug": "small", "spawner_override": {"mem_limit": "2G", "cpu_limit": 1}},
    {"display_name": "GPU large", "description": "a GPU of its own", "default": True,
     "kubespawner_override": {"mem_limit": "16G", "environment": {"TIER": "gpu"}},
     "profile_options": {
         "image": {"display_name": "Framework",
                   "choices": {"torch": {"display_name": "PyTorch", "spawner_override": {"image": "ml/torch:2"}},
                               "jax": {"display_name": "JAX", "default": True,
                                       "spawner_override": {"image": "ml/jax:1"}}},
                   "unlisted_choice": {"enabled": True, "display_name": "Other ml/ image",
                                       "validation_regex": r"ml/[a-z0-9._-]+:[a-z0-9._-]+",
                                       "validation_message": "an ml/NAME:TAG image",
                                       "spawner_override": {"image": "{value}"}}},
         "gpus": {"display_name": "GPUs",
                  "choices": {"one": {"display_name": "1", "spawner_override": {"gpus": 1}},
                              "two": {"display_name": "2", "spawner_override": {"gpus": 2}}}}}},
]


@pytest.fixture
def offered():
    return profiles.parse(PROFILES)


def test_profiles_parse_with_slugs_defaults_and_either_override_key(offered):
    small, gpu = offered
    assert (small.slug, small.override, small.default) == ("small", {"mem_limit": "2G", "cpu_limit": 1}, False)
    assert (gpu.slug, gpu.description, gpu.default) == ("gpu-large", "a GPU of its own", True)
    assert gpu.override == {"mem_limit": "16G", "environment": {"TIER": "gpu"}}
    image = gpu.option("image")
    assert [c.slug for c in image.choices] == ["torch", "jax"] and image.default == "jax"
    assert gpu.option("gpus").default == "one"  # no default given: the first choice


@pytest.mark.parametrize(("raw", "message"), [
    ({"display_name": "x"}, "profile_list must be a list of dicts, not dict"),
    ([{"slug": "x"}], "profile_list[0]: display_name is required"),
    ([{"display_name": "A", "image": "x:1"}], "profile 'A': unknown key 'image' (known: default, description, "
                                              "display_name, profile_options, slug)"),
    ([{"display_name": "A"}, {"display_name": "a"}], "profile 'a': slug 'a' is used by two profiles"),
    ([{"display_name": "A", "spawner_override": {}, "kubespawner_override": {}}],
     "profile 'A': give spawner_override or kubespawner_override, not both"),
    ([{"display_name": "A", "profile_options": {"image": {"choices": {}}}}],
     "profile 'A', option 'image': offers no choice (give choices or an enabled unlisted_choice)"),
    ([{"display_name": "A", "profile_options": {"image": {"unlisted_choice": {"enabled": True,
                                                                              "validation_regex": "("}}}}],
     "profile 'A', option 'image', unlisted_choice: validation_regex '(' is not a regex"),
    ([{"display_name": "A", "profile_options": {"profile": {"choices": {"x": {}}}}}],
     "profile 'A': 'profile' cannot be an option name"),
])
def test_a_profile_list_the_spawner_cannot_use_is_named(raw, message):
    with pytest.raises(profiles.ProfileConfigError) as err:
        profiles.parse(raw)
    assert str(err.value).startswith(message)


def test_no_options_gives_the_default_profile_and_its_default_choices(offered):
    selection = profiles.select(offered, {})
    assert selection.user_options == {"profile": "gpu-large", "image": "jax", "gpus": "one"}
    assert profiles.overrides(selection) == {"mem_limit": "16G", "environment": {"TIER": "gpu"},
                                             "image": "ml/jax:1", "gpus": 1}
    assert selection.describe() == "gpu-large (image=jax, gpus=one)"


def test_a_profile_and_its_choices_as_offered(offered):
    assert profiles.overrides(profiles.select(offered, {"profile": "small"})) == {"mem_limit": "2G", "cpu_limit": 1}
    selection = profiles.select(offered, {"profile": "gpu-large", "image": "torch", "gpus": "two"})
    assert profiles.overrides(selection)["image"] == "ml/torch:2" and profiles.overrides(selection)["gpus"] == 2


def test_free_text_that_matches_its_regex_fills_the_override(offered):
    selection = profiles.select(offered, {"profile": "gpu-large", "image--unlisted-choice": "ml/custom:7"})
    assert selection.user_options == {"profile": "gpu-large", "gpus": "one", "image--unlisted-choice": "ml/custom:7"}
    assert profiles.overrides(selection)["image"] == "ml/custom:7"
    assert selection.describe() == "gpu-large (gpus=one, image='ml/custom:7')"


@pytest.mark.parametrize(("options", "message"), [
    ({"profile": "huge"}, "There is no profile 'huge'; choose one of: small, gpu-large."),
    ({"profile": "small", "image": "torch"}, "Profile 'small' has no option 'image'; it has no options."),
    ({"profile": "gpu-large", "cpus": "8"}, "Profile 'gpu-large' has no option 'cpus'; its options: image, gpus."),
    ({"profile": "gpu-large", "gpus": "four"},
     "'four' is not a choice of GPUs in profile 'gpu-large'; choose one of: one, two."),
    ({"profile": "gpu-large", "gpus--unlisted-choice": "4"}, "Profile 'gpu-large' has no option 'gpus--unlisted-choice'"),
    ({"profile": "gpu-large", "image--unlisted-choice": "evil/miner:1"},
     "'evil/miner:1' is not allowed for Framework: an ml/NAME:TAG image."),
    ({"profile": "gpu-large", "image--unlisted-choice": "ml/x:1; rm -rf /"}, "'ml/x:1; rm -rf /' is not allowed"),  # fullmatch
    ({"profile": "gpu-large", "gpus": 2}, "Option 'gpus' of profile 'gpu-large' takes a string."),
])
def test_anything_not_offered_is_refused_with_a_clear_message(offered, options, message):
    with pytest.raises(profiles.ProfileChoiceError) as err:
        profiles.select(offered, options)
    assert str(err.value).startswith(message)


def test_the_form_offers_every_profile_and_reads_back_only_the_chosen_ones_fields(offered):
    html = profiles.render_form(offered)
    assert html.count('type="radio" name="profile"') == 2
    assert 'value="gpu-large" checked' in html  # the default profile preselected
    assert 'name="profile-option-gpu-large--image"' in html and '<option value="jax" selected>' in html
    assert 'name="profile-option-gpu-large--image--unlisted-choice"' in html
    # the browser sends every field of every profile; only the chosen profile's count
    formdata = {"profile": ["gpu-large"], "profile-option-gpu-large--image": ["torch"],
                "profile-option-gpu-large--gpus": ["two"], "profile-option-gpu-large--image--unlisted-choice": [""],
                "profile-option-small--ignored": ["x"]}
    assert profiles.options_from_form(formdata) == {"profile": "gpu-large", "image": "torch", "gpus": "two"}
    formdata["profile-option-gpu-large--image--unlisted-choice"] = ["ml/custom:7"]
    assert profiles.options_from_form(formdata) == {"profile": "gpu-large", "gpus": "two",
                                                    "image--unlisted-choice": "ml/custom:7"}


def test_the_form_preselects_the_users_last_choice_and_escapes_what_it_shows():
    offered = profiles.parse([{"display_name": "<b>A</b>", "slug": "a"},
                              {"display_name": "B", "slug": "b", "profile_options": {
                                  "size": {"choices": {"s": {}, "m": {"display_name": "M & more"}}}}}])
    html = profiles.render_form(offered, {"profile": "b", "size": "m"})
    assert 'value="b" checked' in html and 'value="a" checked' not in html
    assert '<option value="m" selected>M &amp; more</option>' in html
    assert "&lt;b&gt;A&lt;/b&gt;" in html and "<b>A</b>" not in html
