"""Times as the daemon writes them (Go's RFC 3339 layouts) and reads them back.

Python 3.10's :meth:`datetime.fromisoformat` reads neither the ``Z`` suffix nor nanoseconds,
so the daemon's timestamps are parsed here.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone

#: Go's zero ``time.Time``: what the daemon shows for a time that never happened
ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339_nano(t: float) -> str:
    """``t`` (seconds since the epoch) with all nine fraction digits, as the daemon formats
    container and image times."""
    dt = datetime.fromtimestamp(t, tz=timezone.utc)
    nanos = int(round((t - int(t)) * 1e9)) % 1_000_000_000
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def trim_fraction(iso: str) -> str:
    """An :func:`rfc3339_nano` time with its trailing fraction zeros dropped (Go's
    ``RFC3339Nano`` layout: networks, archive path stats)."""
    if "." not in iso:
        return iso
    head, frac = iso[:-1].split(".", 1)
    frac = frac.rstrip("0")
    return f"{head}.{frac}Z" if frac else f"{head}Z"


@functools.lru_cache(maxsize=65536)  # a listing parses every container's start time: once each
def parse_rfc3339(value: str) -> float:
    """Seconds since the epoch of a UTC ``...Z`` time (0.0 for Go's zero time or "")."""
    if not value or value.startswith("0001-"):
        return 0.0
    main, _, frac = value.rstrip("Z").partition(".")
    t = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    return t + (float("0." + frac) if frac else 0.0)
