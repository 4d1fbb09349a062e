"""Helpers of the real-browser tests: a served dashboard, waits, element geometry."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WAIT_S = 30
CHROMIUM_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1440,900")


def need_browser() -> None:
    """Skip (fail under CI) where no Chromium/chromedriver exists."""
    if CHROMIUM and CHROMEDRIVER:
        return
    reason = "no system Chromium/chromedriver (apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


def start_chromium(profile_dir: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (*CHROMIUM_ARGS, f"--user-data-dir={profile_dir}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(WAIT_S)
    return drv


class Served:
    """A dashboard on 127.0.0.1 on a free port, served by waitress in a thread (or the
    waitress ``server`` given, listening already); ``close()`` stops it."""

    def __init__(self, app, server=None):
        from waitress.server import create_server

        self.state = app.server.config["CURVEDOC_STATE"]
        self.server = server or create_server(app.server, host="127.0.0.1", port=0, threads=4)
        self.port = self.server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        from waitress import wasyncore

        self.server.close()
        wasyncore.close_all(self.server._map)  # keep-alive connections too: the loop ends
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the test server did not stop"


def wait_for(driver, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(condition, message=f"timed out: {what}")


def css(selector: str, count: int = 1):
    """Wait condition: at least ``count`` elements match ``selector``; returns them."""
    from selenium.webdriver.common.by import By

    def check(drv):
        found = drv.find_elements(By.CSS_SELECTOR, selector)
        return found if len(found) >= count else False

    return check


def choose(picker, label: str):
    """Wait condition: the option ``label`` of the dropdown ``picker`` clicked. The list
    is opened again when it is not open a few seconds after a click: under load a click
    can land while the page still redraws, and the list never opens. Nothing is typed in
    its search: keys sent before the list renders are lost under load, and what is left
    of them can filter every option out."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    clicked_at = [float("-inf")]

    def check(drv):
        try:
            options = drv.find_elements(By.CSS_SELECTOR, "[role=option]")
            for option in options:
                if option.text.strip() == label:
                    option.click()
                    return True
            if not options and time.monotonic() - clicked_at[0] > 3:
                picker.click()
                clicked_at[0] = time.monotonic()
        except WebDriverException:  # redrawn under the click (stale, covered): try again
            pass
        return False

    return check


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def boxes(driver, selector: str, root: str = "document") -> list[dict]:
    """Bounding boxes (left, top, right, bottom, text) of every element matching."""
    return driver.execute_script(
        f"return Array.from(({root}).querySelectorAll(arguments[0])).map(e => {{"
        "const r = e.getBoundingClientRect();"
        "return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,"
        " text: e.textContent}; })", selector)


def overlap(a: dict, b: dict, tol: float = 0.5) -> bool:
    """Whether two boxes share more than a hairline."""
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > tol
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > tol)
