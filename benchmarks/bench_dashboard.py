"""Dashboard speed: runs-page data for 1,000 runs and a compare chart of 20 runs x 100k points.

    python benchmarks/bench_dashboard.py [--runs 1000] [--compare-runs 20]
                                         [--points 100000] [--repeat 5] [--browser]

Targets (DESIGN.md): the runs page for 1,000 runs in under 2 s; a compare chart
of 20 runs x 100k points in under 300 ms of server time. Server time is what a
callback costs: building the rows / figures and serialising them to JSON as
Dash does. ``--browser`` also opens the runs page in headless Chromium and
times it until every visible row is painted. Runs are built in memory (the
canonical frame) and diagnosed with the real rules, so only the dashboard is
measured, not reading files.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time

import numpy as np
import pandas as pd
import plotly.io as pio

from curvedoc.dashboard.app import create_app
from curvedoc.dashboard.pages import compare, runs
from curvedoc.ingest.model import Run


def make_run(run_id: str, n: int, seed: int) -> Run:
    """A run with train/val loss, val accuracy and LR, ``n`` steps, a realistic shape."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n, dtype=np.int64)
    scale = n / (3 + seed % 5)
    train = 2.3 * np.exp(-steps / scale) + 0.1 + 0.05 * rng.standard_normal(n)
    val = train + 0.05 + np.where(steps > n * 0.6, (steps - n * 0.6) / n * (seed % 3), 0.0)
    acc = 1 - val / 2.5
    lr = np.where(steps < n // 2, 0.1, 0.01)
    tags = ["train/loss", "val/loss", "val/acc", "lr"]
    frame = pd.DataFrame({
        "run": run_id,
        "tag": np.repeat(tags, n),
        "step": np.tile(steps, len(tags)),
        "value": np.concatenate([train, val, acc, lr]),
        "wall_time": np.tile(1.7e9 + steps * 0.1, len(tags)),
    })
    frame["run"] = frame["run"].astype("category")
    frame["tag"] = frame["tag"].astype("category")
    return Run(id=run_id, name=run_id.rsplit("/", 1)[-1], format="memory", sources=[],
               hparams={"lr": 0.1, "seed": seed},
               roles={"train_loss": "train/loss", "val_loss": "val/loss", "val_acc": "val/acc",
                      "lr": "lr"}, scalars=frame)


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median and best wall time of ``fn()`` in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def bench_runs_page(n_runs: int, points: int, repeat: int) -> tuple[object, dict]:
    made = {f"sweep_{i // 50:02d}/run_{i:04d}": None for i in range(n_runs)}
    made = {rid: make_run(rid, points, i) for i, rid in enumerate(made)}
    t0 = time.perf_counter()
    app = create_app(made, poll_s=0)
    startup = time.perf_counter() - t0
    state = app.server.config["CURVEDOC_STATE"]

    def page() -> None:
        rows, _, _ = runs.rows_view(state, None, None, None)
        pio.json.to_json_plotly(rows)

    med, best = timed(page, repeat)
    return app, {"runs": n_runs, "points_per_tag": points, "startup_incl_diagnose_s": startup,
                 "rows_json_median_s": med, "rows_json_best_s": best}


def bench_compare(n_runs: int, points: int, repeat: int) -> dict:
    made = {f"big/run_{i:02d}": make_run(f"big/run_{i:02d}", points, i) for i in range(n_runs)}
    app = create_app(made, poll_s=0, diagnose=lambda run, config=None: None)
    state = app.server.config["CURVEDOC_STATE"]
    ids = list(made)

    def chart() -> None:
        overlay, multiples, _, _ = compare.compare_view(state, ids, "train_loss", "step", 0.6,
                                                        False)
        pio.json.to_json_plotly(overlay)  # what Dash sends
        pio.json.to_json_plotly(multiples)

    t0 = time.perf_counter()
    chart()  # cold: the runs' series are cut from their frames on first use, then cached
    cold = time.perf_counter() - t0
    med, best = timed(chart, repeat)
    overlay = compare.compare_view(state, ids, "train_loss", "step", 0.6, False)[0]
    drawn = max(len(t["x"]) for t in overlay["data"])
    return {"runs": n_runs, "points_per_run": points, "drawn_points_per_trace": drawn,
            "webgl": overlay["data"][0]["type"] == "scattergl",
            "compare_cold_s": cold, "compare_median_s": med, "compare_best_s": best}


def bench_browser_paint(app, n_runs: int) -> float | None:
    """Seconds from navigation to the grid painted with rows, in headless Chromium."""
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait
    from waitress.server import create_server

    server = create_server(app.server, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    profile = tempfile.mkdtemp(prefix="curvedoc-bench-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1440,900", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    try:
        url = f"http://127.0.0.1:{server.effective_port}/"
        driver.get(url)  # warm: browser cache of the JS bundles, as on a second visit
        WebDriverWait(driver, 60).until(lambda d: d.find_elements("css selector", ".cd-run-name"))
        t0 = time.perf_counter()
        driver.get(url)
        WebDriverWait(driver, 60).until(
            lambda d: len(d.find_elements("css selector", ".cd-run-name")) >= 10)
        return time.perf_counter() - t0
    finally:
        driver.quit()
        server.close()
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--run-points", type=int, default=1000,
                        help="points per tag of each run on the runs page")
    parser.add_argument("--compare-runs", type=int, default=20)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--browser", action="store_true",
                        help="also time the runs page painting in headless Chromium")
    args = parser.parse_args(argv)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" noise

    app, page = bench_runs_page(args.runs, args.run_points, args.repeat)
    print(f"runs page: {page['runs']} runs x 4 tags x {page['points_per_tag']} points")
    print(f"  app start (read from memory + diagnose every run): "
          f"{page['startup_incl_diagnose_s']:.2f} s")
    print(f"  rows + JSON (server time of the page's data): median "
          f"{page['rows_json_median_s'] * 1000:.0f} ms, best "
          f"{page['rows_json_best_s'] * 1000:.0f} ms  (target < 2000 ms)")
    if args.browser:
        paint = bench_browser_paint(app, args.runs)
        if paint is None:
            print("  browser paint: skipped (no chromium/chromedriver)")
        else:
            print(f"  browser paint (navigation to rows on screen): {paint * 1000:.0f} ms "
                  f"(target < 2000 ms)")
    cmp_ = bench_compare(args.compare_runs, args.points, args.repeat)
    print(f"compare chart: {cmp_['runs']} runs x {cmp_['points_per_run']} points, smoothing "
          f"0.6, overlay + small multiples, drawn {cmp_['drawn_points_per_trace']} points/trace"
          f", WebGL={cmp_['webgl']}")
    print(f"  server time: first call {cmp_['compare_cold_s'] * 1000:.0f} ms; then median "
          f"{cmp_['compare_median_s'] * 1000:.0f} ms, best "
          f"{cmp_['compare_best_s'] * 1000:.0f} ms  (target < 300 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
