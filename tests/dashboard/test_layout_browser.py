"""What only a browser shows (issue 9): overlaps, cut cells, legends, colours, URL state.

Every check reads element bounding boxes or live plotly state in the system Chromium
(one per test session, see conftest.py).
"""

from __future__ import annotations

from urllib.parse import quote

import numpy as np
import pytest
from browser import Served, boxes, choose, console_errors, css, overlap, wait_for
from dash_fixtures import memory_run

from curvedoc.dashboard.app import create_app
from curvedoc.dashboard.runstyle import run_style
from curvedoc.diagnostics.findings import Diagnosis, Evidence, Finding

pytestmark = pytest.mark.browser

SEEDS = ["sweeps/lr/lr_0.01/seed_0", "sweeps/lr/lr_0.1/seed_0", "sweeps/lr/lr_1/seed_0"]


def _evidence_run():
    run = memory_run("exp/overfit", n=400, nan_at=390)
    lr = run.scalars[run.scalars["tag"] == "train/loss"].copy()
    lr["tag"] = "lr"
    lr["value"] = np.where(lr["step"] < 150, 0.1, np.where(lr["step"] < 300, 0.01, 0.001))
    import pandas as pd

    run.scalars = pd.concat([run.scalars, lr], ignore_index=True)
    run.scalars["tag"] = run.scalars["tag"].astype("category")
    run.roles["lr"] = "lr"
    findings = [
        Finding("CD501", "overfitting", "warning", 0.95, "validation loss rose",
                ["stop at step 200"], Evidence(tags=["val/loss"], start_step=200,
                                               end_step=399, best_step=200)),
        Finding("CD301", "decayed_too_early", "warning", 0.4, "cut too early", ["later"],
                Evidence(tags=["lr"], lr_cut_step=150)),
        Finding("CD902", None, "info", 0.9, "noisy", ["log a mean"],
                Evidence(tags=["train/loss"], start_step=0, end_step=399)),
    ]
    return run, findings


@pytest.fixture(scope="module")
def evidence_site():
    run, findings = _evidence_run()
    others = {r: memory_run(r) for r in SEEDS}

    def diagnose(r, _config):
        return Diagnosis(r.id, findings if r.id == run.id else [])

    site = Served(create_app({run.id: run, **others}, poll_s=0, diagnose=diagnose))
    yield site
    site.close()


def test_evidence_labels_never_cover_each_other_or_the_curves(driver, evidence_site):
    driver.get(f"{evidence_site.url}/run?id={quote('exp/overfit', safe='')}")
    wait_for(driver, css(".cd-run-chart .js-plotly-plot", 2), "loss and LR charts")
    wait_for(driver, css(".cd-run-chart g.annotation", 3), "the evidence labels")
    charts = driver.find_elements("css selector", ".cd-run-chart .js-plotly-plot")
    seen = 0
    for i in range(len(charts)):
        root = f"document.querySelectorAll('.cd-run-chart .js-plotly-plot')[{i}]"
        labels = boxes(driver, "g.annotation", root)
        plot = boxes(driver, ".nsewdrag", root)[0]  # the plot area
        seen += len(labels)
        for legend in boxes(driver, "g.legend", root):
            for title in boxes(driver, "g.g-xtitle", root):
                assert not overlap(legend, title), "the legend covers the x axis title"
        for j, a in enumerate(labels):
            assert not overlap(a, plot), f"label {a['text']!r} covers the plot"
            for b in labels[j + 1:]:
                assert not overlap(a, b), f"{a['text']!r} overprints {b['text']!r}"
    texts = driver.execute_script(
        "return Array.from(document.querySelectorAll('.cd-run-chart g.annotation'))"
        ".map(e => e.textContent)")
    assert "overfitting" in texts and not any(t.startswith("CD") for t in texts)
    assert seen >= 3
    assert console_errors(driver) == []


def test_zooming_one_run_chart_zooms_them_all(driver, evidence_site):
    driver.get(f"{evidence_site.url}/run?id={quote('exp/overfit', safe='')}")
    wait_for(driver, css(".cd-run-chart .js-plotly-plot", 2), "the charts")
    driver.execute_script(
        "Plotly.relayout(document.querySelector('.cd-run-chart .js-plotly-plot'),"
        " {'xaxis.range': [50, 120]})")
    wait_for(driver, lambda d: d.execute_script(
        "return Array.from(document.querySelectorAll('.cd-run-chart .js-plotly-plot'))"
        ".every(g => g.layout.xaxis.range && Math.abs(g.layout.xaxis.range[0] - 50) < 1e-6"
        " && Math.abs(g.layout.xaxis.range[1] - 120) < 1e-6)"), "every chart at 50–120")
    assert console_errors(driver) == []


def test_compare_legend_tells_seed_runs_apart_in_their_grid_colours(driver, evidence_site):
    style = run_style(evidence_site.state)
    query = "&".join(f"runs={quote(r, safe='')}" for r in SEEDS)
    driver.get(f"{evidence_site.url}/compare?{query}&metric=val_loss&smooth=0")
    legend = wait_for(driver, css("#compare-overlay .legendtext", 3), "three runs")
    assert [t.text for t in legend] == ["lr_0.01/seed_0", "lr_0.1/seed_0", "lr_1/seed_0"]
    drawn = driver.execute_script(
        "return document.getElementById('compare-overlay').querySelector('.js-plotly-plot')"
        ".data.filter(t => t.showlegend).map(t => t.line.color)")
    assert drawn == [style.color(r) for r in SEEDS]
    chips = wait_for(driver, css(".cd-compare-run .cd-badge", 3), "each run's badge")
    assert {c.text for c in chips} == {"healthy"}
    driver.get(evidence_site.url + "/")
    wait_for(driver, css(".ag-row .cd-swatch", 4), "the swatches")
    swatches = driver.execute_script(
        "const out = {}; document.querySelectorAll('.ag-row').forEach(r => {"
        " const s = r.querySelector('.cd-swatch'); if (s) {"
        " out[r.getAttribute('row-id')] = getComputedStyle(s).backgroundColor; } });"
        "return out;")

    def rgb(hex_colour: str) -> str:
        h = hex_colour.lstrip("#")
        return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))

    assert {r: swatches[r] for r in SEEDS} == {r: rgb(style.color(r)) for r in SEEDS}
    assert console_errors(driver) == []


def test_runs_grid_cuts_no_cell_at_1440(driver):
    from curvedoc.dashboard.commands.serve import default_root

    app = create_app(default_root(), poll_s=0)
    if not app.server.config["CURVEDOC_STATE"].runs:
        pytest.skip("the bundled sample_runs holds no runs")
    site = Served(app)
    try:
        driver.set_window_size(1440, 1600)
        driver.get(site.url + "/")
        wait_for(driver, css(".ag-row .cd-run-name", 10), "the grid")
        cut = driver.execute_script(
            "const out = [];"
            "document.querySelectorAll('.ag-row .ag-cell').forEach(c => {"
            " const col = c.getAttribute('col-id');"
            " if (['name', 'group', 'format', 'metric', 'steps', 'best', 'last', 'labels']"
            "     .includes(col)) {"
            "  const v = c.querySelector('.ag-cell-value') || c;"
            "  if (v.scrollWidth > v.clientWidth + 1) { out.push(col + ': ' + c.textContent); }"
            " } }); return out;")
        assert cut == []
        assert console_errors(driver) == []
    finally:
        site.close()


def test_choosing_a_group_by_puts_it_in_the_url(driver, served_groups):
    driver.get(served_groups.url + "/groups")
    wait_for(driver, css(".cd-groups tbody tr", 2), "the groups")
    picker = driver.find_element("id", "groups-by")
    wait_for(driver, choose(picker, "hparam lr"), "the hparam lr option")
    wait_for(driver, lambda d: "by=hparam%3Alr" in d.current_url, "the URL")
    assert "scope=sweep" in driver.current_url  # grouped within the sweep's folder
    driver.get(driver.current_url)  # the URL alone restores the choice
    wait_for(driver, lambda d: "runs under sweep/" in d.find_element("id", "groups-note").text,
             "the grouping from the URL")
    assert console_errors(driver) == []


@pytest.fixture(scope="module")
def served_groups(sample_root):
    site = Served(create_app(str(sample_root), poll_s=0))
    yield site
    site.close()


@pytest.mark.parametrize("width", [760, 1440])
def test_report_charts_never_overlap(driver, sample_root, tmp_path, width):
    from click.testing import CliRunner

    from curvedoc.dashboard.commands.report import report

    out = tmp_path / "report.html"
    assert CliRunner().invoke(report, [str(sample_root), "-o", str(out)]).exit_code == 0
    driver.set_window_size(width, 1000)
    driver.get(out.as_uri())
    n = driver.execute_script("return document.querySelectorAll('.chart').length")
    assert n >= 6
    drawn_first = driver.execute_script(
        "return document.querySelectorAll('.chart[data-drawn]').length")
    assert drawn_first < n  # charts below the fold wait: the report opens at once
    for i in range(n):  # scroll each chart into view: it draws when it gets near
        driver.execute_script("document.querySelectorAll('.chart')[arguments[0]]"
                              ".scrollIntoView()", i)
        wait_for(driver, lambda d, i=i: d.execute_script(
            "return !!document.querySelectorAll('.chart')[arguments[0]].dataset.drawn", i),
            f"chart {i} drawn once on screen")
    wait_for(driver, lambda d: d.execute_script(
        "return document.querySelectorAll('.chart.js-plotly-plot .svg-container').length")
        == n, "every chart drawn")
    for k in range(driver.execute_script("return document.querySelectorAll('.charts').length")):
        root = f"document.querySelectorAll('.charts')[{k}]"
        cells = boxes(driver, ":scope > .chart", root)
        svgs = boxes(driver, ":scope > .chart .svg-container", root)
        for a, cell in zip(svgs, cells, strict=True):
            assert a["right"] <= cell["right"] + 1 and a["left"] >= cell["left"] - 1
        for i, a in enumerate(svgs):
            for b in svgs[i + 1:]:
                assert not overlap(a, b), "two report charts overlap"
    assert console_errors(driver) == []
