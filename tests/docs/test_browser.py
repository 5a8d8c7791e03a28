"""The built site in a real browser (headless Chromium through Selenium), served over HTTP on
127.0.0.1 as a reader's browser gets it: the home page and its navigation, the options
reference (every configurable option of the three spawners has its entry), and search."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import headless_chromium
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import dockerspawner

SPAWNERS = [dockerspawner.DockerSpawner, dockerspawner.SwarmSpawner, dockerspawner.SystemUserSpawner]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with headless_chromium(tmp_path_factory.mktemp("chromium"), window="1200,900") as driver:
        yield driver


def wait_for(driver: Any, what: str, condition: Callable[[Any], Any], timeout: float = 30) -> Any:
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(condition)
    except Exception as exc:  # selenium's TimeoutException carries no message of its own
        pytest.fail(f"waiting for {what}: {type(exc).__name__}; page {driver.current_url}:\n"
                    f"{driver.find_element(By.TAG_NAME, 'body').text[:2000]}")


def test_the_home_page_leads_to_the_pages(browser, served):
    browser.get(f"{served}/index.html")
    assert "dockerspawner-ng" in browser.title
    links = {a.get_attribute("href").split("#")[0].removeprefix(served + "/")
             for a in browser.find_elements(By.CSS_SELECTOR, "a[href]")}
    for page in ("install.html", "config/index.html", "swarm.html", "troubleshooting.html",
                 "reference/options.html", "fakedocker.html", "migrating.html"):
        assert page in links, f"the home page does not link {page}: {sorted(links)}"


def test_the_options_reference_has_every_option_of_the_three_spawners(browser, served):
    browser.get(f"{served}/reference/options.html")
    shown = set(browser.execute_script(
        "return Array.from(document.querySelectorAll('dt[id]')).map(e => e.id)"))
    for cls in SPAWNERS:
        options = cls.class_trait_names(config=True)
        missing = sorted(name for name in options if f"dockerspawner.{cls.__name__}.{name}" not in shown)
        assert not missing, f"{cls.__name__}: options missing from the reference: {missing}"
    entry = browser.find_element(By.ID, "dockerspawner.DockerSpawner.allowed_images")
    assert entry.is_displayed() and "allowed_images" in entry.text
    # the default a spawner starts with, not the declaration's (port is declared Int(0))
    port = browser.find_element(By.ID, "dockerspawner.DockerSpawner.port").find_element(By.XPATH, "following-sibling::dd")
    assert "Default: 8888" in port.text, port.text


def test_search_finds_an_option_on_the_reference_page(browser, served):
    browser.get(f"{served}/search.html?q=remove_volumes_on_delete")

    def results(driver: Any) -> list[str]:
        return [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#search-results a")]

    found = wait_for(browser, "search results", lambda d: results(d) or None)
    assert any("reference/options.html" in href for href in found), found
