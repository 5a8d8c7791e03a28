"""Which image a server runs, and getting it onto the daemon: allowed_images (and the
options form offering them), validation of an image a user names, and pulling as pull_policy
says, with the pull's progress on the spawn page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from html import escape
from logging import Logger
from textwrap import dedent
from typing import TYPE_CHECKING, Any

import jupyterhub
from docker.errors import DockerException, ImageNotFound
from docker.utils import parse_repository_tag
from requests.exceptions import ConnectionError as RequestsConnectionError
from traitlets import default

from . import errors, profiles
from .client import DockerCalls
from .progress import PROGRESS_PULL_END, PROGRESS_PULL_START, PullProgress
from .step import SpawnerStep

#: the single-user image of the installed JupyterHub's major.minor version
DEFAULT_IMAGE = "quay.io/jupyterhub/singleuser:" + ".".join(jupyterhub.__version__.split(".")[:2])

#: an image reference: [registry[:port]/]path[:tag][@digest], lowercase path components
IMAGE_REFERENCE = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)


class ImageChoice(SpawnerStep):
    """DockerSpawner's image steps (a mixin: the options are DockerSpawnerConfig's)."""

    if TYPE_CHECKING:  # what it reads of the spawner
        allowed_images: Any
        user_options: Any
        pull_policy: str

        async def evaluate_setting(self, value: Any) -> Any: ...
        def client_getter(self) -> Callable[[], Any]: ...
        def report_progress(self, percent: int | None, message: str) -> None: ...

    async def _allowed_images(self) -> dict[str, str] | str:
        allowed = await self.evaluate_setting(self.allowed_images)
        if allowed == "*":
            return "*"
        if not allowed:
            return {}
        if isinstance(allowed, str):
            return {allowed: allowed}
        if isinstance(allowed, list | tuple):
            return {image: image for image in allowed}
        return dict(allowed)

    @default("options_from_form")
    def _default_options_from_form(self) -> Any:
        def options_from_form(formdata: Mapping[str, list[str]]) -> dict[str, Any]:
            """The options form's data as user_options: ``image`` when one was chosen (with
            profile_list: the profile and its options)."""
            if profiles.FORM_PROFILE in formdata:
                return profiles.options_from_form(formdata)
            options: dict[str, Any] = {}
            if "image" in formdata:
                options["image"] = formdata["image"][0]
            return options

        return options_from_form

    @default("options_form")
    def _default_options_form(self) -> Any:
        async def form(spawner: Any) -> str:
            profile_form = await spawner.profile_form()
            if profile_form is not None:
                return profile_form
            allowed = await spawner._allowed_images()
            if allowed == "*" or len(allowed) <= 1:
                return ""
            options = "\n".join(
                f'<option value="{escape(key)}">{escape(key)}</option>' for key in allowed
            )
            return dedent(
                f"""
                <label for="image">Select an image:</label>
                <select class="form-control" name="image" required autofocus>
                {options}
                </select>
                """
            )

        return form

    async def check_allowed(self, image: str) -> str:
        """The image to run for the requested ``image`` option; HTTP 400 when not allowed."""
        allowed = await self._allowed_images()
        if allowed == "*":
            if not IMAGE_REFERENCE.match(image):
                raise errors.spawn_failure(400, f"{image!r} is not a valid image reference.", reason=errors.REASON_IMAGE)
            return image
        if not allowed:
            raise errors.spawn_failure(
                400,
                f"Specifying an image is not allowed here (requested {image!r}); "
                "the server runs the configured image.",
                reason=errors.REASON_IMAGE,
            )
        if isinstance(allowed, str) or image not in allowed:  # (a str is "*", answered above)
            raise errors.spawn_failure(
                400, f"Image {image!r} is not in the allowed list: {', '.join(sorted(allowed))}",
                reason=errors.REASON_IMAGE,
            )
        return allowed[image]

    async def _apply_image_option(self) -> None:
        requested = self.user_options.get("image") if isinstance(self.user_options, dict) else None
        if requested is None:
            return
        if not isinstance(requested, str) or not requested.strip():
            raise errors.spawn_failure(400, "The image option must be a non-empty string.",
                                       reason=errors.REASON_IMAGE)
        self.image = await self.check_allowed(requested)

    async def pull_image(self, image: str) -> dict | None:
        """Pull ``image`` as pull_policy says: always, if not present, never (raise if absent),
        skip.  Returns the image's inspect when it was inspected (present already): the
        spawn's request reads its CMD from it instead of asking again.  The work is
        :class:`ImagePuller`'s."""
        return await ImagePuller(self.docker, self.client_getter(), self.report_progress, self.log).ensure(
            image, self.pull_policy)


class ImagePuller:
    """Makes an image present on the daemon as a pull policy says, the pull's progress folded
    into one percentage for the spawn page.

    Needs ``docker`` (a call on the client protocol), ``get_client`` (the client a streamed
    pull reads, called in a worker thread), ``report(percent, message)`` and a log; nothing of
    the spawner."""

    def __init__(self, docker: Callable[..., Awaitable[Any]], get_client: Callable[[], Any],
                 report: Callable[[int | None, str], None], log: Logger):
        self.docker = docker
        self.get_client = get_client
        self.report = report
        self.log = log

    async def ensure(self, image: str, policy: str) -> dict | None:
        """``policy``: always, ifnotpresent, never (refuse if absent) or skip.  The image's
        inspect when it was found present, else None."""
        policy = policy.lower()
        if policy == "skip":
            return None
        if policy != "always":
            try:
                info: dict = await self.docker("inspect_image", image)
                return info
            except ImageNotFound:
                if policy == "never":
                    self.log.error("Image %s is not present and pull_policy is 'never'", image)
                    raise errors.spawn_failure(
                        500, f"Image {image} is not present on the Docker host and pulling is disabled.",
                        reason=errors.REASON_PULL,
                    ) from None
        await self.pull(image)
        return None

    async def pull(self, image: str) -> None:
        repository, tag = parse_repository_tag(image)
        self.log.info("Pulling image %s", image)
        self.report(PROGRESS_PULL_START, f"Pulling image {image}")
        loop = asyncio.get_running_loop()
        tracker = PullProgress(image)
        get_client, report = self.get_client, self.report

        def pull_and_report() -> None:
            for line in get_client().pull(repository, tag=tag or "latest", stream=True, decode=True):
                if "error" in line or "errorDetail" in line:
                    detail = (line.get("errorDetail") or {}).get("message") or line.get("error")
                    raise DockerException(detail)
                event = tracker.update(line)
                if event is not None:
                    loop.call_soon_threadsafe(report, *event)

        try:
            await DockerCalls.submit(DockerCalls.waiting_executor(), pull_and_report)
        except (RequestsConnectionError, DockerException) as err:
            if errors.daemon_unreachable(err):
                raise
            reason = errors.explanation(err)
            self.log.error("Pulling image %s failed: %s", image, reason)
            raise errors.spawn_failure(500, f"Could not pull image {image}: {reason}",
                                       reason=errors.REASON_PULL) from None
        self.report(PROGRESS_PULL_END, f"Pulled image {image}")
