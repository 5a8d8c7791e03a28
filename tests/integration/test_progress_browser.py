"""The spawn-pending page's progress bar during a real, slow image pull, in a real browser.

A real JupyterHub (the demo config, with ``pull_policy = "always"`` and an image that has to
be downloaded) and headless Chromium driven by Selenium: the browser logs in through the login
form, lands on the spawn-pending page, and the test polls the page's DOM until the bar stands
part-way through the pull with the message ``Pulling image ...: N% (X MB of Y MB)``.  It
screenshots the page at that moment (``tests/integration/artifacts/progress-mid-pull.png`` and
the test's tmp dir), asserts on the values it read, waits for the page to redirect to the
running server, then stops the server through the REST API.

The image is the single-user image plus one layer of fresh random bytes (so the layer cannot
already be on the daemon), pushed to the loopback registry under a unique tag, removed locally,
and pulled through ``benchmarks/throttle_proxy.py`` (a bandwidth-capped relay in front of the
registry) so the pull takes about 25 s.

Skipped (under CI: failed, see tests/needs.py) when Chromium/ChromeDriver, the Docker daemon, the single-user
image, the registry on 127.0.0.1:5000 or configurable-http-proxy is missing.
Provisioning: scripts/provision.sh installs chromium and chromium-driver; selenium is in the test extra.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest
import requests
import slow_pull
from chromium import headless_chromium, require_chromium
from demo_hub import (
    HTTP_TIMEOUT,
    STOP_TIMEOUT,
    Hub,
    container_gone,
    demo_config_with,
    fresh_user_name,
    real_hub_client,
    running,
    stop_and_wait,
    wait_for,
)
from needs import unavailable
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.real

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREENSHOT_NAME = "progress-mid-pull.png"

REGISTRY = "127.0.0.1:5000"
REPOSITORY = "progresstest/singleuser"
LAYER_MB = int(os.environ.get("PROGRESS_TEST_LAYER_MB", "100"))  # MiB of random bytes
RATE = float(os.environ.get("PROGRESS_TEST_RATE", "4e6"))  # bytes/s through the proxy: ~26 s

PART_WAY = (30, 60)  # the bar's value (5..65 is the pull) when the test looks: mid-pull
MID_PULL_TIMEOUT = 60  # login -> the bar part-way
READY_TIMEOUT = 90  # part-way -> redirected to the running server
PULL_MESSAGE = re.compile(
    r"^Pulling image (?P<image>\S+): (?P<percent>\d+)% "
    r"\((?P<done>[\d.]+) MB of (?:about )?(?P<total>[\d.]+) MB\)$"
)

READ_PAGE = """
const bar = document.getElementById('progress-bar');
if (!bar) { return null; }
const track = bar.parentElement.getBoundingClientRect();
const message = document.getElementById('progress-message');
return {
  url: location.href,
  valuenow: bar.getAttribute('aria-valuenow'),
  width: bar.style.width,
  rendered: track.width ? bar.getBoundingClientRect().width / track.width * 100 : null,
  sr: (document.getElementById('sr-progress') || {}).textContent,
  message: message ? message.textContent : null,
  log: Array.from(document.querySelectorAll('#progress-log .progress-log-event'),
                  e => e.textContent),
};
"""


# -- what the test needs on the machine ------------------------------------------------------------


@pytest.fixture(scope="module")
def docker_client() -> Iterator[docker.DockerClient]:
    require_chromium()
    client = real_hub_client(timeout=120)
    try:
        requests.get(f"http://{REGISTRY}/v2/", timeout=5).raise_for_status()
    except requests.RequestException as exc:
        client.close()
        unavailable(f"no registry at {REGISTRY} (scripts/provision.sh starts one): {exc}")
    yield client
    client.close()


@pytest.fixture
def pushed_image(docker_client: docker.DockerClient) -> Iterator[str]:
    """``progresstest/singleuser:<unique tag>``: in the registry, not on the daemon, with a
    LAYER_MB MiB layer to download (see slow_pull)."""
    with slow_pull.fresh_image(docker_client, REPOSITORY, LAYER_MB) as ref:
        yield ref


@pytest.fixture
def throttled_registry(tmp_path: Path) -> Iterator[str]:
    """``127.0.0.1:<port>``: the registry behind benchmarks/throttle_proxy.py at RATE bytes/s."""
    with slow_pull.throttled_registry(tmp_path, RATE) as listen:
        yield listen


@pytest.fixture
def user_name(docker_client: docker.DockerClient) -> Iterator[str]:
    with fresh_user_name(docker_client, "progresstest") as name:
        yield name


@pytest.fixture
def pull_ref(docker_client: docker.DockerClient, pushed_image: str, throttled_registry: str,
             user_name: str) -> Iterator[str]:
    """The image as the spawner pulls it (through the throttled port); removed afterwards
    (user_name first: its container is gone by then)."""
    ref = f"{throttled_registry}/{pushed_image}"
    with contextlib.suppress(docker.errors.ImageNotFound):
        docker_client.images.remove(ref, force=True)
    yield ref
    with contextlib.suppress(docker.errors.ImageNotFound):
        docker_client.images.remove(ref, force=True)


@pytest.fixture
def api_token() -> str:
    """The token of a service with admin:users and admin:servers, for the REST API."""
    return secrets.token_hex(24)


@pytest.fixture
def hub(tmp_path: Path, pull_ref: str, api_token: str) -> Iterator[Hub]:
    config = demo_config_with(tmp_path / "progress_config.py", (
        "c.DockerSpawner.pull_policy = 'always'\n"
        f"c.DockerSpawner.image = {pull_ref!r}\n"
        # a token for the REST API (stopping the server), held by the test
        f"c.JupyterHub.services = [{{'name': 'progresstest', 'api_token': {api_token!r}}}]\n"
        "c.JupyterHub.load_roles = [{'name': 'progresstest', 'services': ['progresstest'],\n"
        "                            'scopes': ['admin:users', 'admin:servers']}]\n"
    ))
    with running(Hub(tmp_path, config=config)) as hub:
        yield hub


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with headless_chromium(tmp_path) as driver:
        yield driver


def keep_artifact(path: Path) -> None:
    """Copy ``path`` into ARTIFACTS, a directory that git-ignores itself (like .pytest_cache)."""
    ARTIFACTS.mkdir(exist_ok=True)
    ignore = ARTIFACTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# written by test_progress_browser.py: test artifacts, not for git\n*\n")
    shutil.copyfile(path, ARTIFACTS / path.name)


# -- the test -----------------------------------------------------------------------------------


def test_progress_bar_mid_pull_in_browser(hub: Hub, user_name: str, pull_ref: str, browser: Any,
                                          api_token: str, docker_client: docker.DockerClient,
                                          tmp_path: Path):
    timings: dict[str, float] = {}
    t0 = time.monotonic()

    # -- log in through the form ------------------------------------------------------------
    browser.get(f"{hub.url}/hub/login")
    browser.find_element(By.ID, "username_input").send_keys(user_name)
    browser.find_element(By.ID, "password_input").send_keys(hub.password)
    browser.find_element(By.ID, "login_submit").click()

    # login -> /hub/spawn -> /hub/spawn-pending/<user> while the image is pulled
    pending_url = f"{hub.url}/hub/spawn-pending/{user_name}"
    wait_for("the spawn-pending page", lambda: browser.current_url.startswith(pending_url),
             30, alive=hub.check_alive)
    timings["pending page"] = time.monotonic() - t0
    # open the event log, as a curious user would, so the screenshot shows the steps too
    browser.find_element(By.CSS_SELECTOR, "#progress-details summary").click()

    # -- the bar part-way through the pull ------------------------------------------------------
    def part_way() -> dict[str, Any] | None:
        page = browser.execute_script(READ_PAGE)
        if not page or not page["valuenow"] or not page["message"]:
            return None
        if PART_WAY[0] <= int(page["valuenow"]) <= PART_WAY[1] and PULL_MESSAGE.match(page["message"]):
            return page
        return None

    page = wait_for("the progress bar part-way through the pull", part_way, MID_PULL_TIMEOUT,
                    interval=0.2, alive=hub.check_alive)
    timings["mid-pull"] = time.monotonic() - t0
    shot = tmp_path / SCREENSHOT_NAME
    assert browser.save_screenshot(str(shot)), "the screenshot failed"
    after = browser.execute_script(READ_PAGE)
    keep_artifact(shot)
    print(f"mid-pull: bar {page['valuenow']} (width {page['width']}, drawn {page['rendered']:.1f}%),"
          f" message {page['message']!r}; screenshot {shot}, {ARTIFACTS / SCREENSHOT_NAME}")

    # what the page showed at that moment
    assert page["url"].startswith(pending_url)
    value = int(page["valuenow"])
    assert 10 <= value <= 60
    assert page["width"] == f"{value}%"
    assert page["sr"] == f"{value}%"
    # the bar is visibly part-way (Bootstrap animates the width, so allow it to lag)
    assert page["rendered"] is not None and 3 <= page["rendered"] <= 65, page
    match = PULL_MESSAGE.match(page["message"])
    assert match and match["image"] == pull_ref, page["message"]
    percent, done, total = int(match["percent"]), float(match["done"]), float(match["total"])
    # bar = 5 + 60 * fraction of the pull, message = 100 * fraction
    assert abs(value - (5 + percent * 0.6)) <= 2, (value, percent)
    layer = LAYER_MB * (1 << 20) / 1e6
    assert 0.95 * layer <= total <= 1.3 * layer, f"total {total} MB for a {layer:.1f} MB layer"
    assert 0 < done < total
    assert abs(done / total * 100 - percent) <= 2, (done, total, percent)
    # the event log: the hub's "Server requested", the pull's start, then percentages going up
    assert f"Pulling image {pull_ref}" in page["log"][:2], page["log"]
    seen = [int(m["percent"]) for m in map(PULL_MESSAGE.match, page["log"]) if m]
    assert len(seen) >= 3 and seen == sorted(seen) and len(set(seen)) == len(seen), seen
    # the page did not move backwards between the reading and the screenshot
    assert after is not None and int(after["valuenow"]) >= value
    # and the daemon had not finished the pull yet: no image under that name
    # (the page lags the daemon by at most one event)
    with contextlib.suppress(docker.errors.ImageNotFound):
        docker_client.images.get(pull_ref)
        pytest.fail(f"{pull_ref} was already pulled when the page showed {value}%")

    # -- the redirect to the running server -----------------------------------------------------
    server_url = f"{hub.url}/user/{user_name}/"
    last_log: list[str] = []

    def redirected() -> bool:
        if browser.current_url.startswith(server_url):
            return True
        with contextlib.suppress(WebDriverException):
            state = browser.execute_script(READ_PAGE)
            if state and state["log"]:
                last_log[:] = state["log"]
        return False

    wait_for(f"the browser to reach {server_url}", redirected, READY_TIMEOUT, interval=0.2,
             alive=hub.check_alive)
    timings["redirected"] = time.monotonic() - t0
    print(f"last events seen on the pending page: {last_log[-4:]}")
    assert browser.current_url.startswith(f"{server_url}lab"), browser.current_url
    wait_for("JupyterLab's page", lambda: "JupyterLab" in browser.title
             or browser.execute_script("return !!document.getElementById('jupyter-config-data')"),
             30)
    container = docker_client.containers.get(f"jupyter-{user_name}")
    assert container.status == "running"
    assert pull_ref in container.image.tags

    browser.get("about:blank")  # JupyterLab would keep polling the server while it stops

    # -- stop through the REST API ----------------------------------------------------------
    api = requests.Session()
    api.headers["Authorization"] = f"token {api_token}"
    user = api.get(f"{hub.url}/hub/api/users/{user_name}", timeout=HTTP_TIMEOUT).json()
    assert user["servers"][""]["ready"] is True
    stop_and_wait(api, hub, user_name)
    wait_for(f"container jupyter-{user_name} to be removed",
             lambda: container_gone(docker_client, f"jupyter-{user_name}"), STOP_TIMEOUT)
    timings["stopped"] = time.monotonic() - t0
    print("timings (s since the login page): "
          + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
