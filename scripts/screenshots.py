"""Render a PNG of each dashboard page with headless Chromium into docs/screenshots/.

    python scripts/screenshots.py [ROOT] [--out docs/screenshots]

ROOT defaults to the bundled sample runs. The dashboard is served on
127.0.0.1 on a free port for the time of the shots and stopped afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote, urlencode

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from waitress.server import create_server

from curvedoc.dashboard.app import create_app

WIDTH = 1440


def pick_pages(state) -> dict[str, str]:
    """Page name -> path: the runs list, the most instructive run, a comparison, groups,
    and groups compared with a baseline."""
    ranked = sorted(state.runs, key=lambda r: (-len(state.diagnoses[r].findings), r))
    shown = next((r for r in ranked if "overfitting" in state.diagnoses[r].labels), None)
    shown = shown or (ranked[0] if ranked else "")
    by_label: dict[str, str] = {}
    for rid in ranked:
        for label in state.diagnoses[rid].labels or ["healthy"]:
            by_label.setdefault(label, rid)
    compare = list(dict.fromkeys(by_label.values()))[:4] or ranked[:4]
    query = urlencode({"runs": compare, "smooth": 0.6}, doseq=True)
    from curvedoc.dashboard.grouping import hparam_names

    params = hparam_names(list(state.runs.values()), numeric_only=True)
    groups = "/groups" + ("?" + urlencode({"by": "hparam:lr"}) if "lr" in params else "")
    pages = {"runs": "/", "run": f"/run?id={quote(shown, safe='')}",
             "compare": f"/compare?{query}", "groups": groups}
    # a baseline and its variants (sample_runs/experiments/): the comparison section
    base = next((r.group for r in state.runs.values() if r.group.endswith("/baseline")), None)
    if base:
        pages["groups-compare"] = "/groups?" + urlencode(
            {"by": "folder", "scope": base.rsplit("/", 1)[0], "baseline": base})
    return pages


def shoot(root: str, out: Path) -> list[Path]:
    app = create_app(root, poll_s=0)
    state = app.server.config["CURVEDOC_STATE"]
    server = create_server(app.server, host="127.0.0.1", port=0, threads=4)
    url = f"http://127.0.0.1:{server.effective_port}"
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    profile = tempfile.mkdtemp(prefix="curvedoc-shots-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", f"--window-size={WIDTH},900",
                f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, path in pick_pages(state).items():
            driver.set_window_size(WIDTH, 900)
            driver.get(url + path)
            WebDriverWait(driver, 30).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, ".cd-run-name, .js-plotly-plot"))
            time.sleep(3.5)  # let plotly and the grid finish drawing
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(WIDTH, max(900, min(int(height) + 160, 3200)))
            time.sleep(2.0)
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(WIDTH, max(900, min(int(height) + 160, 3200)))
            time.sleep(1.0)
            target = out / f"{name}.png"
            driver.save_screenshot(str(target))
            written.append(target)
    finally:
        driver.quit()
        server.close()
        shutil.rmtree(profile, ignore_errors=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=str(files("curvedoc.sample_runs")))
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs"
                                             / "screenshots"))
    args = parser.parse_args(argv)
    for path in shoot(args.root, Path(args.out)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
