"""The groups page's "Compare with a baseline" section in the system Chromium, on the
trainer's experiment sample runs: the verdicts show, another baseline can be picked, and
the URL keeps it."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from browser import Served, choose, console_errors, css, wait_for

import curvedoc.sample_runs
from curvedoc.dashboard.app import create_app

pytestmark = pytest.mark.browser

SAMPLES = Path(curvedoc.sample_runs.__file__).parent


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("grp_browser") / "runs"
    shutil.copytree(SAMPLES / "experiments", root / "experiments")
    site = Served(create_app(str(root), poll_s=0))
    yield site
    site.close()


def rows(driver) -> list[list[str]]:
    """The comparison table's cells, row by row (read in one script call)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.cd-compare tbody tr'))"
        ".map(r => Array.from(r.querySelectorAll('td')).map(td => td.textContent))")


def test_compare_section_shows_each_group_against_the_baseline(driver, served):
    driver.get(served.url + "/groups")
    wait_for(driver, lambda d: len(rows(d)) == 5, "the baseline and four groups")
    table = rows(driver)
    assert table[0][0] == "experiments/baseline" and table[0][-1] == "baseline"
    verdicts = {r[0]: r[-1] for r in table[1:]}
    assert verdicts == {"experiments/dropout_0.1": "no clear difference",
                        "experiments/lr_0.03": "better",
                        "experiments/lr_0.03_batch_32": "better",
                        "experiments/momentum_0.95": "can't tell yet"}
    sentences = driver.execute_script(
        "return Array.from(document.querySelectorAll('.cd-compare-sentence'))"
        ".map(e => e.textContent)")
    assert any("lr=0.03 beats the baseline lr=0.01 by" in s for s in sentences)
    assert any("the comparison is confounded" in s for s in sentences)
    noise = wait_for(driver, css(".cd-seed-noise"), "the seed noise")[0].text
    assert noise.startswith("Seed noise: the 3 runs of experiments/baseline")
    wait_for(driver, css(".cd-compare-chart .js-plotly-plot"), "the comparison chart")
    assert "baseline=experiments%2Fbaseline" in driver.current_url
    assert console_errors(driver) == []


def test_another_baseline_is_picked_and_the_url_keeps_it(driver, served):
    from selenium.webdriver.common.by import By

    driver.set_window_size(1440, 2400)  # the picker on screen while charts still draw
    driver.get(served.url + "/groups")
    wait_for(driver, lambda d: len(rows(d)) == 5, "the comparison table")
    wait_for(driver, css("#groups-sweep .js-plotly-plot"), "the page drawn to its end")
    picker = driver.find_element(By.ID, "groups-baseline")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", picker)
    wait_for(driver, choose(picker, "experiments/lr_0.03_batch_32"), "the group in the list")
    wait_for(driver, lambda d: rows(d) and rows(d)[0][0] == "experiments/lr_0.03_batch_32",
             "the new baseline first")
    verdicts = {r[0]: r[-1] for r in rows(driver)[1:]}
    assert verdicts["experiments/baseline"] == "worse"
    wait_for(driver, lambda d: "baseline=" + quote("experiments/lr_0.03_batch_32", safe="")
             in d.current_url, "the URL carries the baseline")
    driver.get(driver.current_url)  # reopening the address keeps the choice
    wait_for(driver, lambda d: rows(d) and rows(d)[0][0] == "experiments/lr_0.03_batch_32",
             "the baseline from the URL")
    assert console_errors(driver) == []
