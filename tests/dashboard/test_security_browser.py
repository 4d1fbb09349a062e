"""The pages work in Chromium under serve's Content-Security-Policy: nothing is refused
(no CSP violation, no console error) on any page, WebGL charts included, while an
injected inline script is refused (issue 12, item 11). And a folder without runs says
so on the page (issue 9).

Skipped with a reason only where no Chromium/chromedriver exists; when the environment
variable CI is set they fail instead, as the other browser tests do.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from dash_fixtures import memory_run
from security_helpers import ServedAsServe

from curvedoc.dashboard.app import create_app

pytestmark = pytest.mark.browser

WAIT_S = 30

#: Records every CSP violation of the page (set before any page script runs).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '')));
"""


@pytest.fixture
def driver(chromium):
    """The session's Chromium (conftest.py), recording CSP violations on every page."""
    chromium.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                             {"source": RECORD_VIOLATIONS})
    chromium.set_window_size(1440, 900)
    chromium.get("about:blank")
    chromium.get_log("browser")  # drain what earlier tests left
    yield chromium


LONG = [f"long/run_{i}" for i in range(4)]  # 4 × 6,000 points: the compare chart uses WebGL


@pytest.fixture(scope="module")
def served():
    runs = {rid: memory_run(rid, n=80, lr=lr) for rid, lr in
            (("sweep/lr_0.001", 1e-3), ("sweep/lr_0.01", 1e-2), ("sweep/lr_0.1", 1e-1))}
    runs.update({rid: memory_run(rid, n=6_000, nan_at=100) for rid in LONG})
    site = ServedAsServe(create_app(runs, poll_s=2))
    yield site
    site.close()


def wait_for(driver, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(condition, message=f"timed out: {what}")


def count(selector: str, at_least: int = 1):
    def check(drv):
        return drv.execute_script(
            "return document.querySelectorAll(arguments[0]).length", selector) >= at_least
    return check


def refused(driver) -> list[str]:
    """What the policy refused on this page, and the console's errors."""
    violations = driver.execute_script("return window.__csp || []")
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    return violations + errors


def url(served, path: str) -> str:
    return f"http://127.0.0.1:{served.port}{path}"


def test_the_policy_is_enforced_an_injected_inline_script_does_not_run(driver, served):
    driver.get(url(served, "/"))
    wait_for(driver, count(".ag-row", 3), "the grid")
    ran = driver.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        "document.head.appendChild(s); return window.__ran === 1")
    assert ran is False
    assert any(v.startswith("script-src") for v in driver.execute_script("return window.__csp"))
    logged = [e["message"] for e in driver.get_log("browser")]  # read: the next test starts clean
    assert any("Content Security Policy" in m for m in logged)


def test_runs_page_renders_under_the_policy(driver, served):
    driver.get(url(served, "/"))
    wait_for(driver, count("a.cd-run-link", len(served.state.runs)), "every run in the grid")
    wait_for(driver, count(".ag-row .cd-badge", 1), "diagnosis badges")
    best = driver.execute_script(
        "return Array.from(document.querySelectorAll('.ag-row [col-id=best]'))"
        ".map(e => e.textContent)")
    assert any(b.strip() for b in best)  # the grid's value formatter ran
    assert refused(driver) == []


def test_run_page_renders_under_the_policy(driver, served):
    driver.get(url(served, f"/run?id={quote('sweep/lr_0.01', safe='')}"))
    wait_for(driver, count("#run-charts .js-plotly-plot"), "its charts")
    wait_for(driver, count("#run-charts .js-plotly-plot .scatterlayer .trace"), "curves drawn")
    assert refused(driver) == []


def test_zoom_sync_and_every_tag_chart_run_under_the_policy(driver, served):
    driver.get(url(served, f"/run?id={quote('sweep/lr_0.01', safe='')}"))
    wait_for(driver, count(".cd-run-chart .js-plotly-plot"), "its chart")
    driver.execute_script("Plotly.relayout(document.querySelector('.cd-run-chart "
                          ".js-plotly-plot'), {'xaxis.range': [5, 40]})")
    wait_for(driver, lambda d: d.execute_script(
        "return Array.from(document.querySelectorAll('.cd-run-chart .js-plotly-plot'))"
        ".every(g => g.layout.xaxis.range && g.layout.xaxis.range[0] === 5)"), "zoomed")
    query = "&".join(f"runs={quote(r, safe='')}" for r in ("sweep/lr_0.001", "sweep/lr_0.01"))
    driver.get(url(served, f"/compare?{query}"))
    wait_for(driver, count("#compare-tag-grid .js-plotly-plot", 2), "a chart per tag")
    assert refused(driver) == []


def test_compare_page_with_webgl_charts_renders_under_the_policy(driver, served):
    query = "&".join(f"runs={quote(r, safe='')}" for r in LONG) + "&metric=train_loss"
    driver.get(url(served, f"/compare?{query}"))
    wait_for(driver, count("#compare-overlay .legendtext", len(LONG)), "four runs overlaid")
    wait_for(driver, count("#compare-overlay canvas.gl-canvas"), "the WebGL layer")
    wait_for(driver, lambda d: "smooth=" in d.current_url, "URL rewritten by the page's script")
    assert refused(driver) == []


def test_groups_page_renders_under_the_policy(driver, served):
    driver.get(url(served, "/groups"))
    wait_for(driver, count(".cd-groups tbody tr", 2), "one row per group")
    wait_for(driver, count("#groups-curves .js-plotly-plot"), "group curves")
    assert refused(driver) == []


def test_a_folder_without_runs_says_so_on_the_page(driver, tmp_path):
    site = ServedAsServe(create_app(str(tmp_path), poll_s=0))
    try:
        driver.get(url(site, "/"))
        wait_for(driver, count(".cd-no-runs"), "the no-runs notice")
        from selenium.webdriver.common.by import By

        notice = driver.find_element(By.CSS_SELECTOR, ".cd-no-runs")
        assert notice.is_displayed() and f"No runs found under {tmp_path}" in notice.text
        assert "TensorBoard event files" in notice.text and "MLflow" in notice.text
        assert notice.rect["y"] < 300  # at the top of the page, not below the fold
        assert refused(driver) == []
    finally:
        site.close()
