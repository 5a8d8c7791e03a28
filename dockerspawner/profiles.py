"""Server profiles (``profile_list``): a menu of servers — an image with its resources — that a
user picks from, each with optional named choices (e.g. which image, how many GPUs) and an
optional free-text choice checked against the admin's regex.

The schema is KubeSpawner's where the concept is the same, so an admin reading both sees one
shape; ``kubespawner_override`` is accepted for ``spawner_override``::

    c.DockerSpawner.profile_list = [
        {"display_name": "Small", "slug": "small", "default": True,
         "spawner_override": {"mem_limit": "2G", "cpu_limit": 1}},
        {"display_name": "GPU", "slug": "gpu", "description": "one GPU of its own",
         "spawner_override": {"image": "127.0.0.1:5000/ml/notebook:3", "gpus": 1},
         "profile_options": {
             "image": {"display_name": "Framework",
                       "choices": {"torch": {"display_name": "PyTorch", "default": True,
                                             "spawner_override": {"image": "ml/torch:2"}},
                                   "jax": {"display_name": "JAX",
                                           "spawner_override": {"image": "ml/jax:1"}}},
                       "unlisted_choice": {"enabled": True, "display_name": "Other ml/ image",
                                           "validation_regex": "^ml/[a-z0-9._-]+:[a-z0-9._-]+$",
                                           "validation_message": "an ml/NAME:TAG image",
                                           "spawner_override": {"image": "{value}"}}}}},
    ]

Everything here is a function of values: the admin's list is checked once into small frozen
records (``parse``), a user's options are checked against the profiles they were offered
(``select``), and the overrides of a selection are plain dicts (``overrides``).  The spawner
applies them (``ProfileChoice`` in the spawner's modules) before anything else is resolved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

OVERRIDE_KEYS = ("spawner_override", "kubespawner_override")
#: the user_options key of a free-text choice: KubeSpawner's
UNLISTED = "{name}--unlisted-choice"
FORM_PROFILE = "profile"
FORM_OPTION = "profile-option-{slug}--{name}"


class ProfileConfigError(ValueError):
    """The admin's profile_list cannot be used; the message names the profile and key."""


class ProfileChoiceError(ValueError):
    """A user's options name what was not offered to them (HTTP 400)."""


@dataclass(frozen=True)
class Choice:
    slug: str
    display_name: str
    override: dict[str, Any]


@dataclass(frozen=True)
class FreeText:
    display_name: str
    regex: re.Pattern[str] | None
    message: str
    override: dict[str, Any]


@dataclass(frozen=True)
class Option:
    name: str
    display_name: str
    choices: tuple[Choice, ...]
    default: str | None  # the default choice's slug (None: only free text)
    free_text: FreeText | None


@dataclass(frozen=True)
class Profile:
    slug: str
    display_name: str
    description: str
    default: bool
    override: dict[str, Any]
    options: tuple[Option, ...] = ()

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)


@dataclass(frozen=True)
class Selection:
    """What a user gets: the profile and, per option, a choice's slug or free text."""

    profile: Profile
    choices: dict[str, str] = field(default_factory=dict)
    free_text: dict[str, str] = field(default_factory=dict)

    @property
    def user_options(self) -> dict[str, str]:
        """The selection as user_options (what JupyterHub records for the next start)."""
        options = {"profile": self.profile.slug, **self.choices}
        options.update({UNLISTED.format(name=name): value for name, value in self.free_text.items()})
        return options

    def describe(self) -> str:
        """``gpu-large`` or ``gpu-large (image=torch, gpus=2)`` for the log."""
        parts = [f"{k}={v}" for k, v in self.choices.items()] + [f"{k}={v!r}" for k, v in self.free_text.items()]
        return self.profile.slug + (f" ({', '.join(parts)})" if parts else "")


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "profile"


def _override(entry: Mapping[str, Any], where: str) -> dict[str, Any]:
    given = [key for key in OVERRIDE_KEYS if key in entry]
    if len(given) > 1:
        raise ProfileConfigError(f"{where}: give spawner_override or kubespawner_override, not both")
    value = entry.get(given[0], {}) if given else {}
    if not isinstance(value, Mapping):
        raise ProfileConfigError(f"{where}: {given[0]} must be a dict of spawner options")
    return dict(value)


def _check_keys(entry: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(entry) - known - set(OVERRIDE_KEYS))
    if unknown:
        raise ProfileConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")


def _parse_option(name: str, raw: Any, where: str) -> Option:
    if not isinstance(raw, Mapping):
        raise ProfileConfigError(f"{where}: must be a dict")
    _check_keys(raw, {"display_name", "choices", "unlisted_choice"}, where)
    choices_raw = raw.get("choices") or {}
    if not isinstance(choices_raw, Mapping):
        raise ProfileConfigError(f"{where}: choices must be a dict of choice slug -> choice")
    choices, default = [], None
    for slug, choice in choices_raw.items():
        place = f"{where}, choice {slug!r}"
        if not isinstance(choice, Mapping):
            raise ProfileConfigError(f"{place}: must be a dict")
        _check_keys(choice, {"display_name", "default"}, place)
        choices.append(Choice(str(slug), str(choice.get("display_name", slug)), _override(choice, place)))
        if choice.get("default") and default is None:
            default = str(slug)
    free = None
    unlisted = raw.get("unlisted_choice")
    if unlisted is not None:
        place = f"{where}, unlisted_choice"
        if not isinstance(unlisted, Mapping):
            raise ProfileConfigError(f"{place}: must be a dict")
        _check_keys(unlisted, {"enabled", "display_name", "validation_regex", "validation_message"}, place)
        if unlisted.get("enabled"):
            pattern = unlisted.get("validation_regex")
            try:
                regex = re.compile(pattern) if pattern else None
            except re.error as err:
                raise ProfileConfigError(f"{place}: validation_regex {pattern!r} is not a regex: {err}") from None
            message = unlisted.get("validation_message") or (f"must match {pattern}" if pattern else "")
            free = FreeText(str(unlisted.get("display_name", "Other")), regex, message, _override(unlisted, place))
    if not choices and free is None:
        raise ProfileConfigError(f"{where}: offers no choice (give choices or an enabled unlisted_choice)")
    if default is None and choices:
        default = choices[0].slug
    return Option(name, str(raw.get("display_name", name)), tuple(choices), default, free)


def parse(raw: Any) -> list[Profile]:
    """The admin's profile_list as checked records (ProfileConfigError naming the mistake)."""
    if not isinstance(raw, list | tuple):
        raise ProfileConfigError(f"profile_list must be a list of dicts, not {type(raw).__name__}")
    profiles: list[Profile] = []
    for i, entry in enumerate(raw):
        where = f"profile_list[{i}]"
        if not isinstance(entry, Mapping):
            raise ProfileConfigError(f"{where}: must be a dict")
        if "display_name" not in entry:
            raise ProfileConfigError(f"{where}: display_name is required")
        where = f"profile {entry.get('slug') or entry['display_name']!r}"
        _check_keys(entry, {"display_name", "slug", "description", "default", "profile_options"}, where)
        slug = str(entry.get("slug") or slugify(str(entry["display_name"])))
        if any(p.slug == slug for p in profiles):
            raise ProfileConfigError(f"{where}: slug {slug!r} is used by two profiles")
        options_raw = entry.get("profile_options") or {}
        if not isinstance(options_raw, Mapping):
            raise ProfileConfigError(f"{where}: profile_options must be a dict of option name -> option")
        options = tuple(_parse_option(str(name), opt, f"{where}, option {name!r}") for name, opt in options_raw.items())
        if "profile" in options_raw:
            raise ProfileConfigError(f"{where}: 'profile' cannot be an option name (it names the profile)")
        profiles.append(Profile(slug, str(entry["display_name"]), str(entry.get("description", "")),
                                bool(entry.get("default")), _override(entry, where), options))
    return profiles


def default_profile(profiles: list[Profile]) -> Profile:
    return next((p for p in profiles if p.default), profiles[0])


def select(profiles: list[Profile], user_options: Mapping[str, Any]) -> Selection:
    """The user's profile and choices, exactly as offered; ProfileChoiceError otherwise.

    No ``profile``: the default profile; an option not given: its default choice."""
    options = dict(user_options or {})
    slug = options.pop("profile", None)
    if slug is None:
        profile = default_profile(profiles)
    else:
        named = next((p for p in profiles if p.slug == slug), None)
        if named is None:
            offered = ", ".join(p.slug for p in profiles)
            raise ProfileChoiceError(f"There is no profile {slug!r}; choose one of: {offered}.")
        profile = named
    choices: dict[str, str] = {}
    free_text: dict[str, str] = {}
    for key, value in options.items():
        name = key[: -len("--unlisted-choice")] if key.endswith("--unlisted-choice") else key
        option = profile.option(name)
        if option is None or (name != key and option.free_text is None):
            known = [o.name for o in profile.options]
            raise ProfileChoiceError(
                f"Profile {profile.slug!r} has no option {key!r}"
                + (f"; its options: {', '.join(known)}." if known else "; it has no options."))
        if not isinstance(value, str):
            raise ProfileChoiceError(f"Option {key!r} of profile {profile.slug!r} takes a string.")
        if name != key:
            assert option.free_text is not None  # checked above
            if option.free_text.regex is not None and not option.free_text.regex.fullmatch(value):
                raise ProfileChoiceError(f"{value!r} is not allowed for {option.display_name}: "
                                         f"{option.free_text.message}.")
            free_text[name] = value
        elif all(c.slug != value for c in option.choices):
            offered = ", ".join(c.slug for c in option.choices)
            raise ProfileChoiceError(f"{value!r} is not a choice of {option.display_name} in profile "
                                     f"{profile.slug!r}; choose one of: {offered}.")
        else:
            choices[name] = value
    for option in profile.options:
        if option.name in free_text:
            choices.pop(option.name, None)  # the free text wins over a listed choice
        elif option.name not in choices:
            if option.default is None:
                raise ProfileChoiceError(f"Profile {profile.slug!r} needs a value for {option.display_name}.")
            choices[option.name] = option.default
    return Selection(profile, choices, free_text)


def overrides(selection: Selection) -> dict[str, Any]:
    """The spawner options a selection sets: the profile's, then each choice's on top (a free
    text's override with ``{value}`` replaced by the text)."""
    result = dict(selection.profile.override)
    for option in selection.profile.options:
        if option.name in selection.free_text and option.free_text is not None:
            value = selection.free_text[option.name]
            result.update(_fill(option.free_text.override, value))
        else:
            choice = next(c for c in option.choices if c.slug == selection.choices[option.name])
            result.update(choice.override)
    return result


def _fill(override: Mapping[str, Any], value: str) -> dict[str, Any]:
    def fill(item: Any) -> Any:
        if isinstance(item, str):
            return item.replace("{value}", value)
        if isinstance(item, Mapping):
            return {k: fill(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [fill(v) for v in item]
        return item

    return {k: fill(v) for k, v in override.items()}


# the options form -------------------------------------------------------------------------------


def options_from_form(formdata: Mapping[str, list[str]]) -> dict[str, str]:
    """The form's fields as user_options: the chosen profile and its own options only (the
    form carries every profile's fields: it works without JavaScript)."""
    given = formdata.get(FORM_PROFILE) or []
    if not given:
        return {}
    slug = given[0]
    options = {"profile": slug}
    prefix = FORM_OPTION.format(slug=slug, name="")
    for key, values in formdata.items():
        if key.startswith(prefix) and values:
            name = key[len(prefix):]
            value = values[0]
            if name.endswith("--unlisted-choice"):
                if value.strip():
                    options[name] = value.strip()
            else:
                options[name] = value
    # a free text given wins over the listed choice beside it
    for name in [k for k in options if k.endswith("--unlisted-choice")]:
        options.pop(name[: -len("--unlisted-choice")], None)
    return options


def render_form(profiles: list[Profile], chosen: Mapping[str, Any] | None = None) -> str:
    """The options form: a radio button per profile, under each its options (a select of its
    choices; a text field for free text).  ``chosen``: the user's last options, preselected."""
    chosen = dict(chosen or {})
    current = chosen.get("profile") or default_profile(profiles).slug
    blocks = []
    for profile in profiles:
        pid = f"profile-item-{escape(profile.slug)}"
        checked = " checked" if profile.slug == current else ""
        lines = [
            '<div class="card mb-2 profile">',
            '  <div class="card-body">',
            f'    <input class="form-check-input" type="radio" name="{FORM_PROFILE}" id="{pid}" '
            f'value="{escape(profile.slug)}"{checked} required>',
            f'    <label class="form-check-label fw-bold" for="{pid}">{escape(profile.display_name)}</label>',
        ]
        if profile.description:
            lines.append(f'    <p class="text-muted mb-1">{escape(profile.description)}</p>')
        for option in profile.options:
            field = FORM_OPTION.format(slug=profile.slug, name=option.name)
            mine = profile.slug == current
            lines.append(f'    <label class="form-label" for="{escape(field)}">{escape(option.display_name)}</label>')
            if option.choices:
                selected = chosen.get(option.name) if mine else None
                items = "".join(
                    f'<option value="{escape(c.slug)}"'
                    f'{" selected" if c.slug == (selected or option.default) else ""}>{escape(c.display_name)}</option>'
                    for c in option.choices)
                lines.append(f'    <select class="form-select" name="{escape(field)}" id="{escape(field)}">{items}</select>')
            if option.free_text is not None:
                text_field = f"{field}--unlisted-choice"
                value = chosen.get(UNLISTED.format(name=option.name), "") if mine else ""
                pattern = f' pattern="{escape(option.free_text.regex.pattern)}"' if option.free_text.regex else ""
                hint = escape(option.free_text.message)
                lines.append(
                    f'    <input class="form-control" type="text" name="{escape(text_field)}" '
                    f'id="{escape(text_field)}" value="{escape(str(value))}"{pattern} title="{hint}" '
                    f'placeholder="{escape(option.free_text.display_name)}">')
        lines += ["  </div>", "</div>"]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)
