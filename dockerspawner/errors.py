"""The one place Docker's errors become what a user and an admin see.

Every expected failure — the daemon unreachable, a TLS handshake refused, Docker refusing a
call, a configuration the spawner cannot render — becomes a ``tornado.web.HTTPError`` with a
short message for the spawn page (JupyterHub shows ``log_message``), and one log line for the
admin, without a traceback.  start, stop, poll and delete_forever all go through here.

A failure of a spawn that a user or an admin can cause is made by :func:`spawn_failure`: on
JupyterHub >= 6 a ``SpawnException`` with a short ``reason`` (one of the ``REASON_*`` below),
which JupyterHub logs without a traceback, counts by reason in its spawn metrics
(``jupyterhub_server_spawn_duration_seconds``) and does not count toward
``consecutive_failure_limit`` (a hub restart fixes none of them); an ``HTTPError`` with the same
status and message before.
"""

from __future__ import annotations

import html
import ssl
from typing import Any

from docker.errors import APIError, DockerException
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import SSLError as RequestsSSLError
from tornado import web

try:  # JupyterHub >= 6
    from jupyterhub.spawner import SpawnException as _SpawnException
except ImportError:  # pragma: no cover - JupyterHub 4.1 and 5.x
    _SpawnException = None

#: the reasons a spawn fails for, as JupyterHub's spawn metrics count them
REASON_IMAGE = "image-not-allowed"  # an image (or reference) the user may not run
REASON_PROFILE = "profile"  # a profile or profile option not offered
REASON_GPU = "gpu-capacity"  # too few free GPUs
REASON_CONFIG = "configuration"  # a setting the spawner cannot use: the admin's to fix
REASON_UNREACHABLE = "docker-unreachable"  # no answer from the daemon, or its TLS refused
REASON_PULL = "pull-failed"  # the image could not be pulled, or is absent and may not be
REASON_DOCKER = "docker-refused"  # the daemon refused a call (a mount, a port, a name ...)
REASON_EXITED = "server-exited"  # the server's container (task) ended while starting
REASON_NO_NODE = "no-suitable-node"  # no node of the swarm can run the server now
REASON_ACCOUNT = "system-account"  # SystemUserSpawner: no usable account for the user
REASONS = (REASON_IMAGE, REASON_PROFILE, REASON_GPU, REASON_CONFIG, REASON_UNREACHABLE, REASON_PULL,
           REASON_DOCKER, REASON_EXITED, REASON_NO_NODE, REASON_ACCOUNT)


def spawn_failure(status: int, message: str, *, reason: str, message_html: str = "") -> web.HTTPError:
    """A failed spawn a user or an admin caused (see the module's docstring): a
    ``SpawnException`` on JupyterHub >= 6, else ``HTTPError(status, message)``."""
    if _SpawnException is not None:
        return _SpawnException(message, reason=reason, status_code=status, message_html=message_html)
    return web.HTTPError(status, message)


#: what joins an exit report to the last lines of the server's log
LOG_LINES_INTRO = ". Last lines of its log:\n"


def exited_failure(report: Any) -> web.HTTPError:
    """The server ended while starting: ``report`` (poll's answer, e.g. "Your server's container
    exited during startup with code 1. Last lines of its log:\n...") with the log lines
    formatted for the spawn page."""
    if not isinstance(report, str):
        return spawn_failure(500, "Your server stopped while starting", reason=REASON_EXITED)
    intro, joined, lines = report.partition(LOG_LINES_INTRO)
    message_html = f"{html.escape(intro)}. Last lines of its log:<pre>{html.escape(lines)}</pre>" if joined else ""
    return spawn_failure(500, report, reason=REASON_EXITED, message_html=message_html)


#: what the user was trying to do, as the messages say it
ACTIONS = {
    "start": ("starting", "start"),
    "stop": ("stopping", "stop"),
    "poll": ("checking on", "check on"),
    "delete": ("deleting", "delete"),
}


def tls_failure(err: BaseException | None) -> str | None:
    """The reason, when ``err`` comes from a failed TLS handshake with the daemon."""
    while err is not None:
        if isinstance(err, ssl.SSLError):
            return getattr(err, "reason", None) or str(err)
        if isinstance(err, RequestsSSLError):
            inner = err.args[0] if err.args else err
            reason = tls_failure(inner.__cause__ or getattr(inner, "reason", None)) if inner is not err else None
            return reason or str(err)
        err = err.__cause__ or err.__context__
    return None


def daemon_unreachable(err: BaseException | None) -> bool:
    """Whether ``err`` means the daemon could not be reached at all (socket gone, connection
    refused), as opposed to an answer from it."""
    while err is not None:
        if isinstance(err, RequestsConnectionError):
            return True
        if isinstance(err, DockerException) and "Error while fetching server API version" in str(err):
            return True
        err = err.__cause__ or err.__context__
    return False


def daemon_answered(err: BaseException) -> bool:
    """Whether ``err`` is the daemon's own refusal (an HTTP error status it answered), as
    opposed to a call whose outcome is unknown (a timeout, a dropped connection)."""
    response = getattr(err, "response", None)
    return isinstance(err, APIError) and response is not None and response.status_code >= 400


def is_docker_failure(err: BaseException) -> bool:
    """Errors this module turns into a user error (anything else is a bug and keeps its
    traceback)."""
    return isinstance(err, RequestsConnectionError | DockerException)


def explanation(err: BaseException) -> str:
    return getattr(err, "explanation", None) or str(err)


def user_error(err: BaseException, *, action: str, daemon: str, log: Any, log_name: str) -> web.HTTPError:
    """``err`` (raised while ``action``-ing ``log_name``) as an HTTPError, logged once."""
    if isinstance(err, web.HTTPError):
        return err
    doing, do = ACTIONS[action]

    def failure(status: int, message: str, reason: str) -> web.HTTPError:
        if action == "start":  # a spawn JupyterHub counts
            return spawn_failure(status, message, reason=reason)
        return web.HTTPError(status, message)

    tls = tls_failure(err)
    if tls is not None:
        log.error("TLS handshake with the Docker daemon at %s failed while %s %s: %s", daemon, doing, log_name, tls)
        return failure(503, f"TLS handshake with the Docker daemon at {daemon} failed: {tls}", REASON_UNREACHABLE)
    if daemon_unreachable(err):
        log.error("Docker daemon at %s unreachable while %s %s: %s", daemon, doing, log_name, err)
        return failure(503, f"The Docker daemon ({daemon}) is not reachable, so your server could "
                            f"not be {_participle(do)}; try again later.", REASON_UNREACHABLE)
    text = explanation(err)
    log.error("Docker failed %s %s: %s", doing, log_name, text)
    return failure(500, f"Docker could not {do} your server: {text}", REASON_DOCKER)


def _participle(verb: str) -> str:
    return {"start": "started", "stop": "stopped", "check on": "checked on", "delete": "deleted"}[verb]


class ConfigProblem(Exception):
    """A setting the spawner cannot use for this server (raised where it is found, turned into
    the user's message and the admin's log line once, by :func:`config_error`)."""

    def __init__(self, setting: str, detail: str):
        self.setting = setting
        self.detail = detail
        super().__init__(f"{setting}: {detail}")


def config_error(problem: ConfigProblem, *, log: Any, log_name: str) -> web.HTTPError:
    """One log line naming the setting, and a message that tells the user it is the
    administrator's to fix."""
    log.error("Cannot start %s: %s: %s", log_name, problem.setting, problem.detail)
    return spawn_failure(500, f"Your server cannot start because of a configuration error in "
                              f"{problem.setting}: {problem.detail}. Please tell your JupyterHub administrator.",
                         reason=REASON_CONFIG)


class TemplateFieldError(ValueError):
    """A name template uses a field the namespace does not have (or is not a valid template)."""

    def __init__(self, template: str, problem: str, fields: list[str]):
        self.template = template
        self.problem = problem
        self.fields = fields
        super().__init__(f"{template!r} {problem} (fields: {', '.join('{' + f + '}' for f in fields)})")


def render_name_template(template: str, namespace: dict[str, Any]) -> str:
    """``template.format(**namespace)``, or TemplateFieldError saying what is wrong."""
    try:
        return template.format(**namespace)
    except KeyError as err:
        problem = f"uses {{{err.args[0]}}}, which is not a template field"
    except IndexError:
        problem = "uses a positional field ({} or {0}), which names cannot use"
    except (ValueError, AttributeError) as err:
        problem = f"is not a valid template ({err})"
    raise TemplateFieldError(template, problem, sorted(namespace))
