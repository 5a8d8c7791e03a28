"""A container's log driver: what ``HostConfig.LogConfig`` becomes at create, and whether
``logs`` can read what the driver keeps.

What the daemon does (Docker 20.10.24, checked by the parity tests):

- no ``LogConfig``, ``null``, ``{}`` or ``Type: ""``: the daemon's default driver,
  ``json-file``, with the options given (``Config: {}`` when none);
- a driver it does not know (``asdf``, ``JSON-FILE``): 400 ``error looking up logging plugin``;
- the options are checked at create: ``mode`` / ``max-buffer-size`` for every driver but
  ``none``, then the driver's own option names (``none`` takes anything); their values
  (``max-size: huge``) only at start, which the fake does not check;
- ``none`` keeps nothing: ``logs`` answers 501 ``configured logging driver does not support
  reading``.

The daemon's other built-in drivers (syslog, journald, gelf, fluentd, ...) talk to services
outside it; the fake answers 501 for them rather than pretend.
"""

from __future__ import annotations

import re
from typing import Any

from ... import messages

DEFAULT_LOG_DRIVER = "json-file"

#: the option names each modelled driver accepts (``mode`` and ``max-buffer-size`` are
#: checked apart; ``none`` takes any option)
LOG_OPTIONS: dict[str, frozenset[str] | None] = {
    "json-file": frozenset({"max-file", "max-size", "compress", "labels", "labels-regex",
                            "env", "env-regex", "tag"}),
    "local": frozenset({"max-file", "max-size", "compress"}),
}
#: built in to the daemon, not modelled by the fake
UNMODELLED_DRIVERS = frozenset({"awslogs", "fluentd", "gcplogs", "gelf", "journald",
                                "logentries", "splunk", "syslog"})
#: the drivers ``logs`` reads from
READABLE_DRIVERS = frozenset({"json-file", "local"})
_GENERIC_OPTIONS = frozenset({"mode", "max-buffer-size"})
#: go-units' RAMInBytes
_SIZE_RE = re.compile(r"^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")


def resolve_log_config(value: Any) -> dict[str, Any]:
    """The ``LogConfig`` inspect shows for a create request's ``HostConfig.LogConfig``;
    the daemon's 400 for an unknown driver or option (501 for a driver the fake does not
    model)."""
    value = value if isinstance(value, dict) else {}
    driver = value.get("Type") or DEFAULT_LOG_DRIVER
    options = {str(k): v for k, v in (value.get("Config") or {}).items()}
    if driver == "none":
        return {"Type": driver, "Config": options}
    mode = options.get("mode", "")
    if mode not in ("", "blocking", "non-blocking"):
        raise messages.log_mode_not_supported(mode)
    if "max-buffer-size" in options:
        if mode != "non-blocking":
            raise messages.log_buffer_needs_non_blocking()
        if not _SIZE_RE.match(str(options["max-buffer-size"])):
            raise messages.log_buffer_size_invalid(str(options["max-buffer-size"]))
    if driver in UNMODELLED_DRIVERS:
        raise messages.not_modelled(f"the {driver} log driver")
    allowed = LOG_OPTIONS.get(driver)
    if allowed is None:
        raise messages.log_driver_not_found(driver)
    for key in options:
        if key not in allowed and key not in _GENERIC_OPTIONS:
            raise messages.unknown_log_opt(driver, key)
    return {"Type": driver, "Config": options}


def reads_logs(log_config: dict[str, Any] | None) -> bool:
    """Whether ``logs`` can read what this driver keeps."""
    return ((log_config or {}).get("Type") or DEFAULT_LOG_DRIVER) in READABLE_DRIVERS


def keeps_log_file(log_config: dict[str, Any] | None) -> bool:
    """Whether inspect shows a ``LogPath`` (only json-file writes one there)."""
    return ((log_config or {}).get("Type") or DEFAULT_LOG_DRIVER) == "json-file"
