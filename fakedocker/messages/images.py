"""The daemon's error wording: images."""

from __future__ import annotations

from ..daemon_error import DaemonError


def no_such_image(ref: str) -> DaemonError:
    return DaemonError(404, f"No such image: {ref}")


def reference_does_not_exist() -> DaemonError:
    """A save of ``repo:tag`` or ``repo@digest`` that names nothing (the daemon's reference
    store's own error; a name without a tag is ``No such image``)."""
    return DaemonError(404, "reference does not exist")


def no_such_image_inspect(ref: str, normalized: str, doubled: bool = True) -> DaemonError:
    """What ``GET /images/{name}/json`` answers for a missing image: 20.10 wraps its own
    message, with the reference as given and as normalised (``doubled``); 26.1 does not."""
    if not doubled:
        return DaemonError(404, f"No such image: {normalized}")
    return DaemonError(404, f"no such image: {ref}: No such image: {normalized}")


def image_in_use(ref: str, container_short_id: str, image_short_id: str) -> DaemonError:
    return DaemonError(
        409,
        f'conflict: unable to remove repository reference "{ref}" (must force) - container '
        f"{container_short_id} is using its referenced image {image_short_id}",
    )


def image_delete_running(image_short_id: str, container_short_id: str) -> DaemonError:
    return DaemonError(
        409,
        f"conflict: unable to delete {image_short_id} (cannot be forced) - image is being "
        f"used by running container {container_short_id}",
    )


def image_delete_stopped_container(image_short_id: str, container_short_id: str) -> DaemonError:
    return DaemonError(
        409,
        f"conflict: unable to delete {image_short_id} (must be forced) - image is "
        f"being used by stopped container {container_short_id}",
    )


def image_delete_several_repositories(image_short_id: str) -> DaemonError:
    return DaemonError(
        409,
        f"conflict: unable to delete {image_short_id} (must be forced) - image is "
        "referenced in multiple repositories",
    )


def manifest_unknown(ref: str) -> DaemonError:
    return DaemonError(404, f"manifest for {ref} not found: manifest unknown: manifest unknown")


def repository_unknown(repository: str) -> DaemonError:
    return DaemonError(
        404,
        f"pull access denied for {repository}, repository does not exist or may require "
        "'docker login': denied: requested access to the resource is denied",
    )


def registry_unreachable(registry: str) -> DaemonError:
    return DaemonError(
        500,
        f'Get "https://{registry}/v2/": dial tcp: lookup {registry}: '
        "Temporary failure in name resolution",
    )


def invalid_reference_format() -> DaemonError:
    return DaemonError(400, "invalid reference format")


def tar_unexpected_eof() -> DaemonError:
    """An import or load body that is not a tar archive (the daemon's untar helper failing)."""
    return DaemonError(500, "Error processing tar file(exit status 1): unexpected EOF",
                       newer={"26.1": "unexpected EOF"})


def load_missing_file(name: str) -> DaemonError:
    """A load of a tar without a file it needs (the daemon names the temporary directory it
    unpacked the tar in; fakedocker a fixed one)."""
    return DaemonError(
        500, f"open /var/lib/docker/tmp/docker-import-0/{name}: no such file or directory"
    )


def load_missing_repositories() -> DaemonError:
    """A load of a tar with neither ``manifest.json`` nor ``repositories``."""
    return load_missing_file("repositories")


def load_layer_count_mismatch(expected: int, got: int) -> DaemonError:
    return DaemonError(
        500, f"invalid manifest, layers length mismatch: expected {expected}, got {got}"
    )


def invalid_change_command(command: str) -> DaemonError:
    return DaemonError(400, f"{command.lower()} is not a valid change command",
                       newer={"26.1": f"{command} is not a valid change command"})


def repository_name_not_lowercase(repository: str) -> DaemonError:
    """``repository``: the name as the daemon spells it in full (``library/x``, ``u/x``,
    ``host/x``): 26.1 names it."""
    return DaemonError(400, "invalid reference format: repository name must be lowercase",
                       newer={"26.1": f"invalid reference format: repository name ({repository}) must be lowercase"})
