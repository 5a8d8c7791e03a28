"""The spawner's profile step: the user's profile and choices (checked by ``profiles``) become
spawner options before anything else about the server is resolved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors, profiles, spec
from .step import SpawnerStep


class ProfileChoice(SpawnerStep):
    """DockerSpawner's profile step (a mixin: ``profile_list`` is DockerSpawnerConfig's)."""

    if TYPE_CHECKING:  # what it reads of the spawner
        profile_list: Any
        user_options: Any

        async def evaluate_setting(self, value: Any) -> Any: ...

    #: the configured values the last profile replaced, put back before the next one applies
    _profile_saved: dict[str, Any] | None = None

    async def _profiles(self) -> list[profiles.Profile]:
        """The profiles this user is offered ([] without profile_list)."""
        raw = await self.evaluate_setting(self.profile_list)
        if not raw:
            return []
        try:
            return profiles.parse(raw)
        except profiles.ProfileConfigError as problem:
            raise errors.ConfigProblem("profile_list", str(problem)) from None

    async def apply_profile(self) -> profiles.Selection | None:
        """Apply the user's profile and choices (HTTP 400 for anything not offered); the
        selection, with defaults filled in, becomes the server's user_options.  None without
        profile_list."""
        offered = await self._profiles()
        self._restore_profile_overrides()
        if not offered:
            return None
        try:
            selection = profiles.select(offered, self.user_options if isinstance(self.user_options, dict) else {})
        except profiles.ProfileChoiceError as refusal:
            raise errors.spawn_failure(400, str(refusal), reason=errors.REASON_PROFILE) from None
        overrides = profiles.overrides(selection)
        for key in overrides:
            if not self.has_trait(key) or not self.trait_metadata(key, "config"):
                raise errors.ConfigProblem(
                    "profile_list", f"profile {selection.profile.slug!r} overrides {key!r}, which is not "
                    f"a {type(self).__name__} option")
        if self._profile_saved is None:
            self._profile_saved = {}
        saved = self._profile_saved
        for key, value in overrides.items():
            current = getattr(self, key)
            saved.setdefault(key, current)
            if isinstance(value, dict) and isinstance(current, dict):
                value = spec.deep_merge(current, value)  # dicts (environment, volumes, ...) merge
            setattr(self, key, value)
        self.log.info("%s: profile %s", self._log_name, selection.describe())
        # recorded: a restart without options (and the next hub) gets the same server
        self.user_options = selection.user_options
        orm_spawner = getattr(self, "orm_spawner", None)
        if orm_spawner is not None and hasattr(orm_spawner, "user_options"):
            orm_spawner.user_options = selection.user_options
        return selection

    def _restore_profile_overrides(self) -> None:
        """Undo the last profile's overrides: a next start with another profile begins from the
        configuration, not from what the last profile set."""
        saved, self._profile_saved = self._profile_saved or {}, None
        for key, value in saved.items():
            setattr(self, key, value)

    async def profile_form(self) -> str | None:
        """The options form listing the profiles (None without profile_list)."""
        offered = await self._profiles()
        if not offered:
            return None
        return profiles.render_form(offered, self.user_options if isinstance(self.user_options, dict) else {})
