"""Safe names for Docker objects: escaping user and server names, and name templates.

Kept pure (no traits, no I/O) so property tests can check them directly.
"""

from __future__ import annotations

import hashlib
import string

import escapism

#: characters that pass unescaped under the default scheme: DNS-safe, lowercase
DNS_SAFE_CHARACTERS = frozenset(string.ascii_lowercase + string.digits)
#: the default scheme's escape character; it can never occur unescaped in a result
ESCAPE_CHARACTER = "-"

LEGACY_SAFE_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-")
LEGACY_ESCAPE_CHARACTER = "_"


def escape_dns_safe(text: str) -> str:
    """Escape ``text`` to lowercase letters, digits and ``-XX`` hex escapes.

    Injective (two different inputs never give the same output) and DNS-label safe: the
    hex digits of escapes are lowercased, which stays injective because a ``-`` always
    starts an escape.
    """
    return escapism.escape(text, safe=DNS_SAFE_CHARACTERS, escape_char=ESCAPE_CHARACTER).lower()


def escape_legacy(text: str) -> str:
    """The pre-12.0 scheme: letters, digits and ``-`` pass; everything else becomes ``_XX``."""
    return escapism.escape(text, safe=LEGACY_SAFE_CHARACTERS, escape_char=LEGACY_ESCAPE_CHARACTER)


def image_name_for_template(image: str) -> str:
    """``{imagename}``: the image reference with ``/`` and ``:`` made name-safe."""
    return image.replace("/", "-").replace(":", "-")


def default_name_template(server_name: str) -> str:
    """The documented defaults: ``{prefix}-{username}``, plus ``--{servername}`` for named servers.

    ``--`` cannot occur in an escaped name (every ``-`` there starts a two-hex-digit escape),
    so the separator keeps (user, server) pairs apart.
    """
    if server_name:
        return "{prefix}-{username}--{servername}"
    return "{prefix}-{username}"


#: the length of the hash :func:`shortened` appends, with its ``-``
SHORTENED_SUFFIX_LENGTH = 9


def shortened(name: str, limit: int | None) -> str:
    """``name`` itself when it has at most ``limit`` characters (or no limit is given), else its
    first characters, ``-`` and 8 hex digits of a hash of the whole name: ``limit`` characters
    in all, the same every time, and different for names that differ only past the cut."""
    if limit is None or len(name) <= limit:
        return name
    if limit <= SHORTENED_SUFFIX_LENGTH:
        raise ValueError(f"cannot shorten a name to {limit} characters")
    digest = hashlib.sha256(name.encode()).hexdigest()[:SHORTENED_SUFFIX_LENGTH - 1]
    return f"{name[:limit - SHORTENED_SUFFIX_LENGTH]}-{digest}"
