#!/usr/bin/env python3
"""Check a running demo (scripts/demo) as a user would, in headless Chromium: open the hub, log
in through the form, follow the spawn until JupyterLab has drawn its shell at /user/NAME/lab,
and save a screenshot.  Prints how long each step took; exits 1 with the reason if one fails.

    .venv/bin/python scripts/demo-check.py [--url http://127.0.0.1:8000] [--user alice]
        [--password PW] [--screenshot demo-lab.png]

Needs selenium (the test extra) and Debian's chromium and chromium-driver (scripts/provision.sh
installs them for the tests; the demo itself does not need them).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,800",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="demo-check")
    parser.add_argument("--password", default="any", help="DEMO_PASSWORD, if the demo has one")
    parser.add_argument("--screenshot", default="demo-lab.png")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for the spawn")
    args = parser.parse_args()

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    profile = tempfile.TemporaryDirectory(prefix="demo-check-")
    options.add_argument(f"--user-data-dir={profile.name}")
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    t0 = time.monotonic()

    def step(what: str) -> None:
        print(f"[demo-check] {time.monotonic() - t0:6.1f} s  {what}", flush=True)

    try:
        browser.get(f"{args.url}/hub/login")
        WebDriverWait(browser, 30).until(seen.presence_of_element_located((By.ID, "username_input")))
        step(f"login page at {browser.current_url}")
        browser.find_element(By.ID, "username_input").send_keys(args.user)
        browser.find_element(By.ID, "password_input").send_keys(args.password)
        browser.find_element(By.ID, "login_submit").click()
        step("logged in; the hub spawns the server")
        lab = f"{args.url}/user/{args.user}/lab"
        WebDriverWait(browser, args.timeout).until(lambda b: b.current_url.startswith(lab))
        step(f"redirected to {browser.current_url}")
        # JupyterLab's shell, then its launcher: the page the user works in
        WebDriverWait(browser, 120).until(seen.presence_of_element_located((By.CSS_SELECTOR, ".jp-LabShell")))
        WebDriverWait(browser, 120).until(seen.presence_of_element_located((By.CSS_SELECTOR, ".jp-Launcher")))
        step(f"JupyterLab drawn: title {browser.title!r}")
        browser.save_screenshot(args.screenshot)
        step(f"screenshot {args.screenshot}")
        return 0
    except WebDriverException as exc:
        step(f"FAILED at {browser.current_url}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
        browser.save_screenshot(args.screenshot)
        return 1
    finally:
        browser.quit()
        profile.cleanup()


if __name__ == "__main__":
    sys.exit(main())
