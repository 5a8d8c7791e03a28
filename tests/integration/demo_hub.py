"""A real JupyterHub in a subprocess (the demo configuration, or one loading it) and what the
end-to-end tests do through it as a user would: log in through the form, follow a spawn until the
server answers through the proxy, make a token, stop through the REST API.  Shared by every module
of the integration suite that runs a hub."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import engines
import jupyterhub
import pytest
import requests
from needs import unavailable

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "examples" / "demo" / "jupyterhub_config.py"
IMAGE = "quay.io/jupyterhub/singleuser:" + ".".join(jupyterhub.__version__.split(".")[:2])

HUB_START_TIMEOUT = 60
SPAWN_TIMEOUT = 180
STOP_TIMEOUT = 60
HTTP_TIMEOUT = 10

def wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.25,
             alive: Callable[[], None] | None = None) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        if alive is not None:
            alive()
        try:
            last = check()
        except requests.RequestException as exc:
            last = exc
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}; last: {last!r}")
        time.sleep(interval)


#: config lines for a hub whose REST spawn requests answer with the spawn's outcome (201, or
#: the refusal) rather than 202 "pending": JupyterHub gives up waiting after slow_spawn_timeout,
#: 10 s by default, which a spawn on a loaded machine can take.  The spawn page is not affected
#: (it waits 1 s, then shows the pending page).
SPAWN_OUTCOME_CONFIG = 'c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 60}\n'


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def real_hub_client(timeout: float = 30) -> docker.DockerClient:
    """A client of the real daemon, for tests that run a real hub with the single-user image;
    skips (under CI: fails, see tests/needs.py) when the daemon, the image or configurable-http-proxy
    is missing."""
    engine = engines.selected()
    try:
        client = docker.DockerClient(base_url=engine.docker_host, timeout=timeout)
        client.ping()
    except Exception as exc:  # no socket, permission, daemon down
        unavailable(f"no {engine.name} daemon at {engine.docker_host}: {exc}")
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        client.close()
        unavailable(f"{IMAGE} is missing: run scripts/build-singleuser-image.sh")
    if shutil.which("configurable-http-proxy") is None:
        client.close()
        unavailable("configurable-http-proxy is not installed: npm install -g configurable-http-proxy")
    return client


def demo_config_with(path: Path, settings: str) -> Path:
    """``path``, written: a JupyterHub config file that loads the demo's, then ``settings``
    (lines of a config file)."""
    path.write_text("c = get_config()  # noqa: F821\n"
                    f"load_subconfig({str(CONFIG)!r})  # noqa: F821\n" + settings)
    return path


class Hub:
    """The demo hub in a subprocess (its own session, so the proxy goes with it)."""

    def __init__(self, tmp_path: Path, config: Path = CONFIG) -> None:
        self.config = config
        self.password = secrets.token_urlsafe(12)
        self.log_path = tmp_path / "jupyterhub.log"
        self.env = dict(
            os.environ,
            DEMO_STATE_DIR=str(tmp_path / "state"),
            DEMO_PASSWORD=self.password,
        )
        self._pick_ports()
        self.env.pop("DEMO_IMAGE", None)
        self.env.pop("DEMO_HUB_CONNECT_IP", None)
        self.env.pop("DEMO_HOST_IP", None)
        # the engine the suite runs against (ENGINE; the host's daemon by default)
        self.env.update(engines.selected().hub_environment())
        # the hub finds configurable-http-proxy on PATH, and jupyterhub next to this python
        self.env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), self.env.get("PATH", "")])
        self.proc: subprocess.Popen[bytes] | None = None

    #: "ab" keeps the log of earlier runs (a restarted hub)
    log_mode = "wb"

    def is_up(self) -> bool:
        return requests.get(f"{self.url}/hub/api", timeout=HTTP_TIMEOUT).ok

    def _pick_ports(self) -> None:
        self.port = free_port("127.0.0.1")
        self.url = f"http://127.0.0.1:{self.port}"
        self.env.update(DEMO_PORT=str(self.port), DEMO_HUB_PORT=str(free_port("0.0.0.0")),
                        DEMO_PROXY_API_PORT=str(free_port("127.0.0.1")))

    #: first starts tried before giving up, when another process took a port just picked
    START_TRIES = 3

    #: set once the hub answered: a restart keeps its ports (its servers know them)
    _answered = False

    def start(self) -> None:
        first = not self._answered
        for attempt in range(1, self.START_TRIES + 1):
            with open(self.log_path, self.log_mode) as log:
                log_start = log.tell()
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "jupyterhub", "-f", str(self.config)],
                    cwd=self.log_path.parent, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True,
                )
            try:
                wait_for("the hub to answer /hub/api", self.is_up, HUB_START_TIMEOUT, alive=self.check_alive)
                self._answered = True
                return
            except BaseException as failure:
                # a start that fails stops what it started (the hub's session: its proxy too)
                self.stop()
                # a free port is free only until someone binds it: the suites beside this one
                # start hubs and proxies too; a first start may pick its ports again
                if not (isinstance(failure, pytest.fail.Exception) and first and attempt < self.START_TRIES
                        and self.port_was_taken(log_start)):
                    raise
                self._pick_ports()

    def port_was_taken(self, log_start: int) -> bool:
        """Whether this start's log (from byte ``log_start``) says a port it was given was
        taken: the hub's "[Errno 98] Address already in use", or the proxy's "listen
        EADDRINUSE: address already in use" for its API (it runs on without it, and the hub
        then meets the other process's proxy)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(log_start)
                text = log.read().decode(errors="replace")
        except OSError:
            return False
        return "address already in use" in text.lower()

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            pytest.fail(f"the hub exited with {self.proc.returncode}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM (the hub stops users' servers and its proxy), then SIGKILL the session."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)


@contextlib.contextmanager
def running(hub: Hub) -> Iterator[Hub]:
    """``hub`` started, then stopped with its log's tail printed (pytest shows it when the test
    failed)."""
    try:
        hub.start()
        yield hub
    finally:
        hub.stop()
        print(f"--- hub log ({hub.log_path}) ---\n{hub.log_tail(200)}")


def form_xsrf(html: str) -> str:
    match = re.search(r'name="_xsrf"\s+value="([^"]+)"', html)
    assert match, "no _xsrf field in the login form"
    return match.group(1)


def log_in(browser: requests.Session, hub: Hub, name: str) -> None:
    """Log ``name`` in through the login form (DummyAuthenticator with the hub's password)."""
    page = browser.get(f"{hub.url}/hub/login", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, f"/hub/login answered {page.status_code}"
    login = browser.post(f"{hub.url}/hub/login", timeout=HTTP_TIMEOUT, allow_redirects=False,
                         data={"_xsrf": form_xsrf(page.text), "username": name, "password": hub.password})
    assert login.status_code == 302, f"login answered {login.status_code}: {login.text[:500]}"


def logged_in(hub: Hub, name: str, note: str) -> tuple[requests.Session, requests.Session]:
    """``name`` logged in through the form: their browser's session, and a REST API session
    with a token they made (``note``)."""
    browser = requests.Session()
    log_in(browser, hub, name)
    return browser, user_token_session(browser, hub, name, note)


def spawn_and_wait_until_answering(browser: requests.Session, hub: Hub, name: str) -> dict[str, Any]:
    """Open /hub/spawn as the logged-in user, then wait until their jupyter_server answers
    /user/<name>/api through the proxy; its answer."""
    spawn = browser.get(f"{hub.url}/hub/spawn", timeout=HTTP_TIMEOUT)
    assert spawn.status_code == 200, f"/hub/spawn answered {spawn.status_code}"

    def server_answers() -> dict[str, Any] | None:
        reply = browser.get(f"{hub.url}/user/{name}/api", timeout=HTTP_TIMEOUT)
        if reply.status_code == 200 and reply.url.startswith(f"{hub.url}/user/{name}/api"):
            return reply.json()
        return None

    info = wait_for(f"/user/{name}/api through the proxy", server_answers, SPAWN_TIMEOUT,
                    interval=0.5, alive=hub.check_alive)
    assert "version" in info, info  # jupyter_server's answer, not the hub's
    return info


def user_token_session(browser: requests.Session, hub: Hub, name: str, note: str) -> requests.Session:
    """A REST API session with a token the logged-in user made for themselves."""
    made = browser.post(f"{hub.url}/hub/api/users/{name}/tokens", timeout=HTTP_TIMEOUT,
                        headers={"X-XSRFToken": browser.cookies.get("_xsrf", path="/hub/")},
                        json={"note": note, "expires_in": 600})
    assert made.status_code == 201, f"making a token answered {made.status_code}: {made.text[:300]}"
    api = requests.Session()
    api.headers["Authorization"] = f"token {made.json()['token']}"
    return api


def stop_and_wait(api: requests.Session, hub: Hub, name: str) -> None:
    """Stop the user's default server through the REST API and wait until the hub says so."""
    stop = api.delete(f"{hub.url}/hub/api/users/{name}/server", timeout=STOP_TIMEOUT)
    assert stop.status_code in (202, 204), f"stopping answered {stop.status_code}: {stop.text[:300]}"

    def stopped() -> bool:
        user = api.get(f"{hub.url}/hub/api/users/{name}", timeout=HTTP_TIMEOUT).json()
        return not user["servers"] and user["pending"] is None

    wait_for("the hub to report the server stopped", stopped, STOP_TIMEOUT, alive=hub.check_alive)


@contextlib.contextmanager
def fresh_user_name(client: docker.DockerClient, prefix: str) -> Iterator[str]:
    """A fresh user name (lowercase letters and digits: Docker names use it unescaped); the
    container and volume DockerSpawner makes for it are removed afterwards, pass or fail."""
    name = f"{prefix}{secrets.token_hex(4)}"
    try:
        yield name
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            client.containers.get(f"jupyter-{name}").remove(force=True)
        with contextlib.suppress(docker.errors.NotFound):
            client.volumes.get(f"jupyterhub-user-{name}").remove(force=True)


def container_gone(client: docker.DockerClient, ref: str) -> bool:
    try:
        client.containers.get(ref)
    except docker.errors.NotFound:
        return True
    return False
