"""Health checks: a container's ``State.Health`` as the daemon keeps it.

A container whose (merged) ``Healthcheck`` has a ``CMD`` or ``CMD-SHELL`` test shows
``starting`` from its start; a check runs every ``Interval`` (default 30 s) on the engine's
clock (a clocked progression: in every transition mode, driven by the clock), its result goes
to ``Log`` (the last 5), a success makes it ``healthy`` (``FailingStreak`` 0) and each failure
adds to the streak, ``unhealthy`` once it reaches ``Retries`` (default 3) -- except failures
while still ``starting`` within ``StartPeriod``.  Each check shows as the daemon's
``exec_create`` / ``exec_start`` / ``exec_die`` events, and every change of status as a
``health_status: <status>`` event.  A stopped container's health is ``unhealthy`` (streak and
log kept); a new start makes it ``starting`` again.

What a check answers: ``engine.health_check(container) -> (exit_code, output)`` when a test
sets it; else the test itself when it is a trivial script :mod:`fakedocker.scripts` models
(``exit 1``, ``true``, ``echo ok``); else success (healthy after the first interval).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ...scripts import parse_script, run_script
from ...timestamps import parse_rfc3339
from ...transitions import Step
from .model import Container

if TYPE_CHECKING:
    from ...engine import FakeEngine

SECOND = 1_000_000_000
DEFAULT_INTERVAL = 30 * SECOND
DEFAULT_RETRIES = 3
MAX_LOG_ENTRIES = 5
MAX_OUTPUT = 4096
#: checks overdue by more than this many intervals (a clock that jumped) are skipped over
_CATCH_UP = 10
_DURATIONS = ("Interval", "Timeout", "StartPeriod", "Retries")


def merge_healthcheck(user: dict[str, Any] | None, image: dict[str, Any] | None) -> dict[str, Any] | None:
    """The daemon's merge of a create's ``Healthcheck`` with the image's: the user's fields
    win, each unset (empty/zero) one comes from the image.  Unset fields are left out, as
    the daemon's JSON omits them."""
    if not user:
        merged = dict(image) if image else {}
    else:
        merged = dict(user)
        for key in ("Test",) + _DURATIONS:
            if not merged.get(key) and image and image.get(key):
                merged[key] = image[key]
    return {key: value for key, value in merged.items() if value} or None


def probe_command(healthcheck: dict[str, Any] | None) -> list[str] | None:
    """The command a check runs (``CMD-SHELL`` through ``/bin/sh -c``); None: no checks."""
    test = list((healthcheck or {}).get("Test") or ())
    if not test:
        return None
    if test[0] == "CMD" and len(test) > 1:
        return test[1:]
    if test[0] == "CMD-SHELL" and len(test) > 1:
        return ["/bin/sh", "-c", " ".join(test[1:])]
    return None  # NONE, or a kind the daemon does not run


def _seconds(healthcheck: dict[str, Any], key: str, default: int) -> float:
    value = healthcheck.get(key) or 0
    return (value if value > 0 else default) / SECOND


def default_check(command: list[str]) -> tuple[int, str]:
    """A check's result without a hook: a trivial script's own answer, else success."""
    script = parse_script(["/bin/sh", "-c", command[2]] if command[0] == "/bin/sh" else command)
    if script is None or script.runs_on or len(script.phases) > 1:
        return 0, ""
    output, code = run_script(script)
    return (0 if code is None else code), b"".join(data for _, data in output).decode(errors="replace")


def apply_result(health: dict[str, Any], healthcheck: dict[str, Any], started_at: float, entry: dict[str, Any]
                 ) -> dict[str, Any]:
    """The daemon's handling of one check result (pure): the new ``State.Health``."""
    log = (list(health.get("Log") or ()) + [entry])[-MAX_LOG_ENTRIES:]
    status, streak = health["Status"], health["FailingStreak"]
    if entry["ExitCode"] == 0:
        status, streak = "healthy", 0
    else:
        counts = True
        if status == "starting":
            start_period = _seconds(healthcheck, "StartPeriod", 0)
            counts = parse_rfc3339(entry["Start"]) - started_at >= start_period
        if counts:
            streak += 1
            retries = healthcheck.get("Retries") or DEFAULT_RETRIES
            if streak >= retries:
                status = "unhealthy"
    return {"Status": status, "FailingStreak": streak, "Log": log}


class HealthMonitor:
    """Runs the checks of started containers (see the module docstring)."""

    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self._checks: dict[str, Any] = {}  # container id -> its checks' progression

    def on_start(self, c: Container) -> None:
        self._stop_checks(c)
        command = probe_command(c.config.get("Healthcheck"))
        if command is None:
            c.health = None
            return
        log = list(c.health["Log"]) if c.health else []
        c.health = {"Status": "starting", "FailingStreak": 0, "Log": log}
        interval = _seconds(c.config["Healthcheck"], "Interval", DEFAULT_INTERVAL)
        generation = c.generation
        holder: list[Any] = []

        def check() -> None:
            if c.generation != generation or not c.running or c.health is None:
                self._stop_checks(c)
                return
            if c.status != "paused":
                self._check(c, command)
            progression = holder[0]  # endless: the next check replaces the steps run
            del progression.steps[:progression.position]
            progression.position = 0
            progression.steps.append(Step(check, self._next_delay(progression.due, interval)))

        holder.append(self.engine.transitions.schedule(
            f"health:{c.name}", [Step(check, interval)], clocked=True))
        self._checks[c.id] = holder[0]

    def _stop_checks(self, c: Container) -> None:
        progression = self._checks.pop(c.id, None)
        if progression is not None:
            self.engine.transitions.cancel(progression)

    def _next_delay(self, due: float, interval: float) -> float:
        lag = self.engine.now() - due
        if lag > _CATCH_UP * interval:  # skip the checks a jumping clock went past
            return math.ceil(lag / interval) * interval
        return interval

    def on_exit(self, c: Container) -> None:
        self._stop_checks(c)
        if c.health is not None and c.health["Status"] != "unhealthy":
            c.health = dict(c.health, Status="unhealthy")

    def _check(self, c: Container, command: list[str]) -> None:
        engine = self.engine
        exec_id = engine.new_id()
        text = command[0] + " " + " ".join(command[1:])
        engine.emit("container", "exec_create: " + text, c.id, c.attributes(execID=exec_id))
        engine.emit("container", "exec_start: " + text, c.id, c.attributes(execID=exec_id))
        start = engine.now_iso()
        hook = getattr(engine, "health_check", None)
        code, output = hook(c) if hook is not None else default_check(command)
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        engine.emit("container", "exec_die", c.id, c.attributes(execID=exec_id, exitCode=str(code)))
        entry = {"Start": start, "End": engine.now_iso(), "ExitCode": int(code), "Output": output[:MAX_OUTPUT]}
        assert c.health is not None  # set when the container started with a check
        before = c.health["Status"]
        c.health = apply_result(c.health, c.config["Healthcheck"], parse_rfc3339(c.started_at), entry)
        if c.health["Status"] != before:
            engine.emit("container", "health_status: " + c.health["Status"], c.id, c.attributes())
