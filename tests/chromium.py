"""Headless Chromium through Selenium for the browser tests (the progress bar during a real
pull, the documentation site): Debian's chromium and chromium-driver, which
scripts/provision.sh installs; selenium is in the test extra."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from needs import unavailable

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def require_chromium() -> None:
    """Skip (or under CI fail) the test when the browser or its driver is missing."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            unavailable(f"{path} is missing: scripts/provision.sh installs chromium and chromium-driver ({package})")


@contextlib.contextmanager
def headless_chromium(workdir: Path, window: str = "1100,750") -> Iterator[Any]:
    """A Chromium driven by Selenium, its profile and chromedriver's log in ``workdir``; quit
    on the way out, whatever happened."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in [*CHROMIUM_ARGS, f"--window-size={window}", f"--user-data-dir={workdir / 'chromium-profile'}"]:
        options.add_argument(arg)
    service = Service(executable_path=CHROMEDRIVER, log_output=str(workdir / "chromedriver.log"))
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except WebDriverException as exc:
        pytest.fail(f"could not start {CHROMIUM} through {CHROMEDRIVER}: {exc.msg}")
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(10)
    try:
        yield driver
    finally:
        driver.quit()
