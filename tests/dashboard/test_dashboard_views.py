"""What each page shows, tested on its view functions without a browser (issue 9)."""

from __future__ import annotations

import base64
import gzip
import re

import numpy as np
import pandas as pd
import pytest
from dash_fixtures import memory_run

from curvedoc.dashboard.app import create_app
from curvedoc.dashboard.charts import (
    group_figure,
    log_ticks,
    lr_cuts,
    run_figure,
    run_sections,
    sweep_figure,
)
from curvedoc.dashboard.colors import distinct_colors
from curvedoc.dashboard.grouping import aggregate_curves
from curvedoc.dashboard.names import natural_sorted, short_names
from curvedoc.dashboard.pages import compare, groups, run, runs
from curvedoc.dashboard.runstyle import run_style
from curvedoc.diagnostics.findings import Diagnosis, Evidence, Finding
from curvedoc.ingest.model import Run

SEEDS = ["sweeps/lr/lr_0.01/seed_0", "sweeps/lr/lr_0.1/seed_0", "sweeps/lr/lr_1/seed_0"]


def frame_run(run_id: str, curves: dict[str, tuple], roles: dict[str, str] | None = None,
              hparams: dict | None = None, fmt: str = "memory") -> Run:
    """A run from {tag: (steps, values)}."""
    parts = []
    for tag, (steps, values) in curves.items():
        steps = np.asarray(steps, dtype=np.int64)
        parts.append(pd.DataFrame({"run": run_id, "tag": tag, "step": steps,
                                   "value": np.asarray(values, dtype=np.float64),
                                   "wall_time": 1.7e9 + steps.astype(np.float64)}))
    frame = pd.concat(parts, ignore_index=True)
    frame["run"] = frame["run"].astype("category")
    frame["tag"] = frame["tag"].astype("category")
    return Run(id=run_id, name=run_id.rsplit("/", 1)[-1], format=fmt, sources=[],
               hparams=dict(hparams or {}), roles=dict(roles or {}), scalars=frame)


def state_of(runs_: list[Run], findings: dict[str, list[Finding]] | None = None):
    findings = findings or {}

    def diagnose(r, _config):
        return Diagnosis(r.id, list(findings.get(r.id, [])))

    app = create_app({r.id: r for r in runs_}, poll_s=0, diagnose=diagnose)
    return app.server.config["CURVEDOC_STATE"]


def finding(label, severity="warning", confidence=0.9, **evidence) -> Finding:
    return Finding("CD501" if label else "CD902", label, severity, confidence,
                   f"{label or 'noise'} message", ["do this"], Evidence(**evidence))


# --------------------------------------------------------------------------- names, colours
def test_runs_are_named_by_the_shortest_unique_path_suffix_everywhere():
    assert short_names({r: "seed_0" for r in SEEDS}) == {
        SEEDS[0]: "lr_0.01/seed_0", SEEDS[1]: "lr_0.1/seed_0", SEEDS[2]: "lr_1/seed_0"}
    assert short_names({"a/b": "b", "x/a/b": "b", "c/d": "d"}) == {
        "a/b": "a/b", "x/a/b": "x/a/b", "c/d": "d"}
    state = state_of([memory_run(r) for r in SEEDS])
    rows, _, _ = runs.rows_view(state, None, None, None)
    assert [r["name"] for r in rows] == ["lr_0.01/seed_0", "lr_0.1/seed_0", "lr_1/seed_0"]
    overlay, multiples, _, _ = compare.compare_view(state, SEEDS, "val_loss", "step", 0.6, False)
    legend = [t["name"] for t in overlay["data"] if t.get("showlegend")]
    assert legend == ["lr_0.01/seed_0", "lr_0.1/seed_0", "lr_1/seed_0"]
    assert [a["text"] for a in multiples["layout"]["annotations"]] == legend
    shown = [t for t in overlay["data"] if t.get("showlegend")]
    assert all(rid in t["hovertemplate"] for t, rid in zip(shown, SEEDS, strict=True))
    header, *_ = run.run_view(state, SEEDS[1])
    assert header.children[0].children[-1] == "lr_0.1/seed_0"
    assert header.children[0].title == SEEDS[1]  # the full id on hover


def test_each_run_keeps_one_colour_on_every_page_for_the_session():
    state = state_of([memory_run(r) for r in SEEDS])
    style = run_style(state)
    before = {rid: style.color(rid) for rid in SEEDS}
    assert len(set(before.values())) == 3
    rows, _, _ = runs.rows_view(state, None, None, None)
    assert {r["id"]: r["color"] for r in rows} == before  # the grid's swatch
    overlay, _, _, _ = compare.compare_view(state, SEEDS[::-1], "val_loss", "step", 0.0, False)
    drawn = {t["legendgroup"]: t["line"]["color"] for t in overlay["data"] if t["showlegend"]}
    assert drawn == before  # the order picked on the compare page changes nothing
    state.catalog.runs["aaa/new"] = memory_run("aaa/new")  # a run appears later
    assert {rid: run_style(state).color(rid) for rid in SEEDS} == before


def test_more_than_ten_groups_never_repeat_a_colour():
    assert len(set(distinct_colors(12))) == 12
    assert len(set(distinct_colors(80))) == 80
    bands = {f"g{i}": aggregate_curves([memory_run(f"g{i}/a", n=50)], "val_loss")
             for i in range(12)}
    fig = group_figure(bands, "val_loss")
    colours = [t.line.color for t in fig.data if t.mode == "lines"]
    assert len(colours) == 12 and len(set(colours)) == 12


# --------------------------------------------------------------------------- compare
def test_compare_tooltip_shows_run_smoothed_raw_step_and_wall_time():
    state = state_of([memory_run(r) for r in SEEDS[:2]])
    overlay, _, _, _ = compare.compare_view(state, SEEDS[:2], "train_loss", "step", 0.6, False)
    trace = next(t for t in overlay["data"] if t["showlegend"])
    template = trace["hovertemplate"]
    for part in ("lr_0.01/seed_0", SEEDS[0], "%{y:.4g} smoothed", "%{customdata[1]:.4g} raw",
                 "step %{customdata[0]}", "%{text}"):
        assert part in template
    (step, raw), wall = trace["customdata"][3], trace["text"][3]
    assert step == 3 and raw == pytest.approx(trace["y"][3], rel=0.2)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", wall)


def test_compare_shows_badges_and_every_tag_in_sections_by_prefix():
    a = frame_run("exp/a", {"train/loss": (range(20), np.linspace(2, 1, 20)),
                            "val/loss": (range(0, 20, 5), [2, 1.8, 1.6, 1.5]),
                            "lr": (range(20), [0.1] * 20)}, roles={"train_loss": "train/loss"})
    b = frame_run("exp/b", {"train/loss": (range(20), np.linspace(3, 1, 20)),
                            "train/acc": (range(20), np.linspace(0.1, 0.9, 20))},
                  roles={"train_loss": "train/loss"})
    state = state_of([a, b], {"exp/a": [finding("overfitting"),
                                         finding("keep_training", confidence=0.3)]})
    badges = str(compare.run_badges(state, ["exp/a", "exp/b"]))
    assert "overfitting" in badges and "possible keep_training" in badges
    assert "healthy" in badges  # exp/b
    grid = compare.tag_grid(state, ["exp/a", "exp/b"], "", "step", 0.0, False)
    sections = [g.children[0].children for g in grid]
    assert sections == ["train/ (2)", "val/ (1)", "other tags (1)"]
    charts = grid[0].children[1].children
    assert [c.figure["layout"]["title"]["text"] for c in charts] == ["train/acc", "train/loss"]
    filtered = compare.tag_grid(state, ["exp/a", "exp/b"], "^val", "step", 0.0, False)
    assert [g.children[0].children for g in filtered] == ["val/ (1)"]


# --------------------------------------------------------------------------- runs grid
def test_runs_grid_has_hparam_columns_top_sentence_natural_order_and_nan():
    made = [frame_run(f"lightning/version_{v}",
                      {"loss": (range(5), [1, 0.8, 0.6, 0.5, np.nan if v == 2 else 0.4]),
                       "val_loss": (range(5), [1.1, 0.9, 0.7, 0.6, 0.5])},
                      roles={"train_loss": "loss", "val_loss": "val_loss"},
                      hparams={"lr": 0.1 * (v + 1), "opt": "adam"}) for v in (16, 2, 1)]
    train_only = frame_run("other/train_only", {"loss": (range(5), [1, 0.8, 0.6, 0.5, 0.4])},
                           roles={"train_loss": "loss"})
    nan_val = frame_run("other/nan_val", {"val_loss": (range(3), [1.0, 0.5, np.inf])},
                        roles={"val_loss": "val_loss"})
    state = state_of([*made, train_only, nan_val],
                     {"lightning/version_2": [finding("overfitting")]})
    rows, _, _ = runs.rows_view(state, None, None, None, ["lr", "opt"])
    assert [r["name"] for r in rows][:3] == ["version_1", "version_2", "version_16"]
    by = {r["id"]: r for r in rows}
    assert by["lightning/version_16"]["hp0"] == pytest.approx(1.7)
    assert by["lightning/version_16"]["hp1"] == "adam"
    assert by["lightning/version_2"]["top"] == "overfitting message"
    assert by["other/train_only"]["metric"] == ""  # never a training tag
    assert by["other/train_only"]["best"] is None
    assert by["other/nan_val"]["last"] is None and by["other/nan_val"]["last_note"] == "+inf"
    cols = runs.columns(rows, ["lr", "opt"])
    assert [c["headerName"] for c in cols if c["field"].startswith("hp")] == ["lr", "opt"]
    assert "numeric: true" in next(c for c in cols if c["field"] == "name")["comparator"][
        "function"]
    assert "_note" in next(c for c in cols if c["field"] == "last")["valueFormatter"]["function"]
    assert natural_sorted(["version_16", "version_2"]) == ["version_2", "version_16"]
    group = next(c for c in cols if c["field"] == "group")
    assert group["width"] >= len("lightning") * runs.CHAR_PX  # sized to its content


def test_live_means_a_file_grew_since_the_server_started(tmp_path):
    from dash_fixtures import sweep_curves, write_tb_run

    from curvedoc.dashboard.app import poll

    write_tb_run(tmp_path / "copied", sweep_curves(1e-3, n=30), every={"val/loss": 10})
    state = create_app(str(tmp_path), poll_s=1).server.config["CURVEDOC_STATE"]
    assert not state.is_live("copied")  # just written, but before the server started
    poll(state)
    assert not state.is_live("copied")  # nothing grew during the poll
    write_tb_run(tmp_path / "training", sweep_curves(1e-3, n=30), every={"val/loss": 10})
    _version, status = poll(state)
    assert state.is_live("training") and not state.is_live("copied") and "1 live" in status


# --------------------------------------------------------------------------- run page
def keras_like() -> Run:
    return frame_run("keras/run", {
        "epoch_loss": (range(10), np.linspace(2, 0.5, 10)),
        "epoch_val_loss": (range(10), np.linspace(2.1, 0.7, 10)),
        "batch/loss": (range(0, 15000, 100), np.linspace(2.2, 0.4, 150)),
        "batch/accuracy": (range(0, 15000, 100), np.linspace(0.1, 0.9, 150)),
        "test/accuracy": ([9], [0.88]),
        "lr": (range(10), [0.1] * 4 + [0.01] * 3 + [0.001] * 3),
    }, roles={"train_loss": "epoch_loss", "val_loss": "epoch_val_loss", "lr": "lr"})


def test_every_scalar_is_drawable_role_charts_first_then_by_prefix():
    panels = run_sections(keras_like())
    assert [p.title for p in panels[:2]] == ["Loss", "Learning rate"]
    rest = [(p.section, p.title) for p in panels[2:]]
    assert rest == [("batch/", "batch/accuracy"), ("batch/", "batch/loss"),
                    ("test/", "test/accuracy")]
    state = state_of([keras_like()])
    _h, charts, _a, _hp = run.run_view(state, "keras/run")
    figs = [c.figure for c in charts if hasattr(c, "figure")]
    figs += [g.figure for d in charts if hasattr(d, "open")
             for g in d.children[1].children]
    assert max(max(t.x) for f in figs for t in f.data if t.x is not None) == 14900


def test_single_point_series_is_a_marker_and_lr_steps_are_drawn_as_steps():
    r = keras_like()
    test_fig = run_figure(r, "test/accuracy", ["test/accuracy"])
    assert test_fig.data[0].mode == "markers"
    lr_fig = run_figure(r, "Learning rate", ["lr"], is_lr=True)
    assert lr_fig.data[0].line.shape == "hv"
    cut = next(t for t in lr_fig.data if t.name == "LR cut")
    assert list(cut.x) == [4, 7]  # every cut marked
    assert lr_cuts(np.arange(50), 0.1 * 0.99 ** np.arange(50)) == []  # smooth decay: none


def test_a_constant_score_is_drawn_on_an_axis_that_fits_it():
    # a detector's mAP at exactly 0 for every epoch, a top-5 accuracy at 1.0 throughout:
    # neither sits in the middle of plotly's default -1..1 padding
    steps = range(1, 31)
    r = frame_run("r", {"metrics/mAP50(B)": (steps, np.zeros(30)),
                        "metrics/accuracy_top5": (steps, np.ones(30))})
    zero = run_figure(r, "metrics/mAP50(B)", ["metrics/mAP50(B)"])
    assert tuple(zero.layout.yaxis.range) == (-0.05, 1.05)
    one = run_figure(r, "metrics/accuracy_top5", ["metrics/accuracy_top5"])
    assert tuple(one.layout.yaxis.range) == (0.5, 1.5)


def test_smoothing_and_x_by_epoch_on_the_run_page():
    r = frame_run("r", {"loss": (range(0, 100, 10), np.linspace(2, 1, 10) + [0, .3] * 5),
                        "epoch": (range(0, 100, 10), np.arange(10) / 2.0)},
                  roles={"train_loss": "loss"})
    fig = run_figure(r, "Loss", ["loss"], smoothing=0.6, x_mode="epoch")
    raw, smooth = fig.data[0], fig.data[1]
    assert raw.opacity == 0.3 and "smoothed" in smooth.hovertemplate
    assert list(smooth.x) == list(np.arange(10) / 2.0)
    assert fig.layout.xaxis.title.text == "epoch"


def test_evidence_labels_sit_in_rows_above_the_plot_in_words():
    r = keras_like()
    found = [finding("overfitting", start_step=2, end_step=9, best_step=2),
             finding("decayed_too_early", lr_cut_step=4),
             finding(None, severity="info", start_step=0, end_step=9)]
    fig = run_figure(r, "Loss", ["epoch_loss", "epoch_val_loss"], found, first_panel=True)
    marks = [a for a in fig.layout.annotations if a.name == "evidence"]
    assert {a.yref for a in marks} == {"paper"} and all(a.y == 1 for a in marks)
    assert len({a.yshift for a in marks}) == len(marks)  # one row each: never overprinted
    texts = [a.text for a in marks]
    assert "overfitting" in texts and not any(re.fullmatch(r"CD\d+", t) for t in texts)
    assert fig.layout.margin.t >= 40 + 18 * len(marks)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 1  # the info finding shades nothing


def test_log_axis_ticks_are_readable_in_one_format():
    _, texts = log_ticks(0.01, 0.5)
    assert texts == ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5"]  # 0.2, never a bare "2"
    _, texts = log_ticks(1e-6, 3)
    assert all(t.count("e") == 1 for t in texts)  # all scientific, not a mix
    _, texts = log_ticks(0.003 / 1.3, 0.003 * 1.3)
    assert texts == ["0.0025", "0.003", "0.0035"]
    lr_fig = run_figure(keras_like(), "Learning rate", ["lr"], is_lr=True)
    assert list(lr_fig.layout.yaxis.ticktext) == ["0.001", "0.01", "0.1"]


def test_rule_explanation_reads_as_paragraphs_and_top_label_comes_first():
    blocks = run.doc_blocks("Summary line.\n\nWhat it detects\n    A long line\n    broken "
                            "here.\n\nAdvice\n    Stop.")
    assert blocks == [(None, "Summary line."), ("What it detects", "A long line broken here."),
                      ("Advice", "Stop.")]
    noise, sure = finding(None, severity="info", confidence=0.99), finding("overfitting",
                                                                            confidence=0.6)
    state = state_of([memory_run("a")], {"a": [noise, sure]})
    _h, _c, advice, _hp = run.run_view(state, "a")
    cards = [c for c in advice if getattr(c, "className", "").startswith("mb-2 cd-finding")]
    assert "overfitting message" in str(cards[0])


def test_an_unknown_run_is_one_message_with_a_link_back():
    state = state_of([memory_run("a")])
    header, charts, advice, hparams = run.run_view(state, "../../etc/passwd")
    assert charts is None and advice is None and hparams is None
    text = str(header)
    assert "No such run" in text and "href='/'" in text
    page = run.layout(id="nope")
    assert "Diagnosis and advice" not in str(page)  # no empty headings: they come with a run


# --------------------------------------------------------------------------- groups
def test_group_means_stop_where_the_shortest_run_ends_and_count_runs():
    long, short = memory_run("g/long", n=400), memory_run("g/short", n=200)
    agg = aggregate_curves([long, short], "val_loss")
    assert agg["step"].max() == 199 and (agg["n"] == 2).all()
    raw = aggregate_curves([long, short], "val_loss", cut=False)
    assert raw["step"].max() == 399 and raw["n"].min() == 1
    fig = group_figure({"g": agg}, "val_loss")
    assert "of %{customdata[0]} runs" in fig.data[1].hovertemplate


def test_std_band_on_a_log_axis_is_drawn_in_log_space():
    a = frame_run("g/a", {"loss": (range(5), [1.0, 0.1, 0.01, 0.001, 0.001])},
                  roles={"val_loss": "loss"})
    b = frame_run("g/b", {"loss": (range(5), [10.0, 1.0, 0.1, 0.01, 0.01])},
                  roles={"val_loss": "loss"})
    agg = aggregate_curves([a, b], "val_loss", log=True)
    fig = group_figure({"g": agg}, "val_loss", log_y=True)
    band = fig.data[0]
    assert min(band.y) > 0  # the arithmetic mean - std would be negative here
    np.testing.assert_allclose(fig.data[1].y, np.sqrt([10.0, 0.1, 0.001, 1e-5, 1e-5]))


def test_groups_stay_in_a_scope_and_never_mix_step_and_epoch_axes():
    per_step = [frame_run(f"steps/lr_{lr}", {"loss": (range(0, 1000, 10),
                                                      np.linspace(2, 1, 100))},
                          roles={"val_loss": "loss"}, hparams={"lr": lr}) for lr in (0.1, 1)]
    per_epoch = [frame_run(f"epochs/lr_{lr}", {"epoch_loss": (range(10), np.linspace(2, 1, 10))},
                           roles={"val_loss": "epoch_loss"}, hparams={"lr": lr, "data": "x"})
                 for lr in (0.1, 1)]
    state = state_of(per_step + per_epoch)
    figs, _table, note = groups.groups_view(state, "hparam:lr", "val_loss", "std", True, "")
    assert [f.layout.xaxis.title.text for f in figs] == ["step", "epoch"]
    assert "separate charts" in note
    assert groups.default_scope(list(state.runs.values()), "hparam:lr") in ("steps", "epochs")
    figs, _table, note = groups.groups_view(state, "hparam:lr", "val_loss", "std", True, "steps")
    assert len(figs) == 1 and "2 runs under steps/" in note


def test_sweep_best_label_sits_at_its_line_and_dots_have_a_legend():
    points = pd.DataFrame({"id": ["a", "b", "c"], "name": ["a", "b", "c"],
                           "value": [0.001, 0.01, 0.1], "score": [0.9, 0.3, 2.0],
                           "labels": ["keep_training", "", "lr_too_high"]})
    suggestion = {"low": 0.001, "high": 0.1, "best": 0.01}
    fig = sweep_figure(points, "lr", "val_loss", suggestion, log_x=True)
    best = next(a for a in fig.layout.annotations if a.name == "best")
    assert best.x == pytest.approx(np.log10(0.01))  # log axes place annotations in log10
    assert {t.name for t in fig.data} == {"keep training", "healthy", "learning rate too high"}
    assert all(t.showlegend is not False for t in fig.data)


# --------------------------------------------------------------------------- report
def test_report_inlines_plotly_once_packed_and_draws_lazily(sample_root):
    from plotly.offline import get_plotlyjs

    from curvedoc.dashboard.export import report_html

    state = create_app(str(sample_root), poll_s=0).server.config["CURVEDOC_STATE"]
    text = report_html(state)
    packed = re.findall(r'<script type="application/octet-stream" id="cd-plotly">([^<]+)',
                        text)
    assert len(packed) == 1
    assert gzip.decompress(base64.b64decode(packed[0])).decode() == get_plotlyjs()
    assert text.count("Plotly.newPlot") == 1 and "IntersectionObserver" in text
    assert len(text) < len(get_plotlyjs()) / 2  # lighter than plotly.js alone
    assert '"template"' not in text.split('id="cd-template"')[0]  # the template once


def test_group_sentences_count_one_run_as_one_run():
    from curvedoc.dashboard.pages.groups import group_sentence

    assert group_sentence({"overfitting": 1}, 1) == "1 of 1 run overfitting"
    assert group_sentence({"overfitting": 2}, 3) == "2 of 3 runs overfitting"


def test_a_long_list_of_hyper_parameters_scrolls_in_a_box_with_its_count():
    # Ultralytics' args.yaml holds ~100 settings: the table must not push the page long
    curves = {"loss": ([1, 2, 3], [1.0, 0.8, 0.7])}
    many = frame_run("yolo", curves, {"train_loss": "loss"}, {f"k{i}": i for i in range(105)})
    few = frame_run("small", curves, {"train_loss": "loss"}, {"lr": 0.1, "batch": 32.0})
    state = state_of([many, few])
    *_, hparams = run.run_view(state, "yolo")
    assert hparams[0].children == "Hyper-parameters (105)"
    assert hparams[1].className == "cd-hparams-scroll" and hparams[1].style["overflowY"]
    *_, hparams = run.run_view(state, "small")
    assert hparams[0].children == "Hyper-parameters"
    assert hparams[1].className == "cd-hparams"
