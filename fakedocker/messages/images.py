"""The daemon's error wording: images."""

from __future__ import annotations

from ..daemon_error import DaemonError
from ._catalogue import message

no_such_image = message(404, "No such image: {ref}")
# A save of ``repo:tag`` or ``repo@digest`` that names nothing (the daemon's reference store's
# own error; a name without a tag is ``No such image``).
reference_does_not_exist = message(404, "reference does not exist")


def no_such_image_inspect(ref: str, normalized: str, doubled: bool = True) -> DaemonError:
    """What ``GET /images/{name}/json`` answers for a missing image: 20.10 wraps its own
    message, with the reference as given and as normalised (``doubled``); 26.1 does not."""
    if not doubled:
        return DaemonError(404, f"No such image: {normalized}")
    return DaemonError(404, f"no such image: {ref}: No such image: {normalized}")


image_in_use = message(
    409,
    'conflict: unable to remove repository reference "{ref}" (must force) - container '
    "{container_short_id} is using its referenced image {image_short_id}",
)
image_delete_running = message(
    409,
    "conflict: unable to delete {image_short_id} (cannot be forced) - image is being "
    "used by running container {container_short_id}",
)
image_delete_stopped_container = message(
    409,
    "conflict: unable to delete {image_short_id} (must be forced) - image is "
    "being used by stopped container {container_short_id}",
)
image_delete_several_repositories = message(
    409,
    "conflict: unable to delete {image_short_id} (must be forced) - image is "
    "referenced in multiple repositories",
)
manifest_unknown = message(404, "manifest for {ref} not found: manifest unknown: manifest unknown")
repository_unknown = message(
    404,
    "pull access denied for {repository}, repository does not exist or may require "
    "'docker login': denied: requested access to the resource is denied",
)
registry_unreachable = message(
    500,
    'Get "https://{registry}/v2/": dial tcp: lookup {registry}: '
    "Temporary failure in name resolution",
)
invalid_reference_format = message(400, "invalid reference format")
# An import or load body that is not a tar archive (the daemon's untar helper failing).
tar_unexpected_eof = message(500, "Error processing tar file(exit status 1): unexpected EOF",
                             newer={"26.1": "unexpected EOF"})
# A load of a tar without a file it needs (the daemon names the temporary directory it unpacked
# the tar in; fakedocker a fixed one).
load_missing_file = message(
    500, "open /var/lib/docker/tmp/docker-import-0/{name}: no such file or directory"
)


def load_missing_repositories() -> DaemonError:
    """A load of a tar with neither ``manifest.json`` nor ``repositories``."""
    return load_missing_file("repositories")


load_layer_count_mismatch = message(
    500, "invalid manifest, layers length mismatch: expected {expected}, got {got}"
)


def invalid_change_command(command: str) -> DaemonError:
    return DaemonError(400, f"{command.lower()} is not a valid change command",
                       newer={"26.1": f"{command} is not a valid change command"})


# ``repository``: the name as the daemon spells it in full (``library/x``, ``u/x``, ``host/x``):
# 26.1 names it.
repository_name_not_lowercase = message(
    400, "invalid reference format: repository name must be lowercase",
    newer={"26.1": "invalid reference format: repository name ({repository}) must be lowercase"},
)
