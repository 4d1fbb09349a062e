"""Dashboard logic without a browser: the functions behind every page and command."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from dash_fixtures import XSS, memory_run, sweep_curves, write_tb_run

from curvedoc.dashboard.app import create_app, poll, selection_nav
from curvedoc.dashboard.commands.report import report
from curvedoc.dashboard.commands.serve import browse_url, is_loopback, serve
from curvedoc.dashboard.downsample import downsample_indices
from curvedoc.dashboard.grouping import aggregate_curves, group_runs, suggest_next_range
from curvedoc.dashboard.pages import compare, groups, run, runs
from curvedoc.dashboard.smoothing import debiased_ema
from curvedoc.dashboard.state import UnknownRun


def tensorboard_smooth(values, weight):
    """TensorBoard's own smoothing loop (vz_line_chart), point by point."""
    out, last, n = [], 0.0, 0
    for v in values:
        if not np.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        n += 1
        out.append(last / (1 - weight**n))
    return np.array(out)


@pytest.fixture(scope="module")
def app(sample_root):
    return create_app(str(sample_root), poll_s=0)


@pytest.fixture(scope="module")
def state(app):
    return app.server.config["CURVEDOC_STATE"]


# --------------------------------------------------------------------------- building blocks
def test_smoothing_matches_tensorboard_and_passes_nan_through():
    rng = np.random.default_rng(1)
    y = rng.standard_normal(500).cumsum()
    y[[10, 200]] = [np.nan, np.inf]
    for w in (0.0, 0.6, 0.95):
        np.testing.assert_allclose(debiased_ema(y, w), tensorboard_smooth(y, w), rtol=1e-12)
    assert np.isnan(debiased_ema(y, 0.6)[10]) and np.isinf(debiased_ema(y, 0.6)[200])
    assert debiased_ema(y, 0.6)[0] == y[0]  # debiased: starts at the first value, not 0


def test_a_constant_series_smooths_to_itself():
    # top-5 accuracy at 1.0 every epoch: the chart's axis must not read 0.99999999999999989
    for w in (0.6, 0.9, 0.99):
        assert (debiased_ema(np.ones(60), w) == 1.0).all()


def test_downsample_keeps_extremes_and_every_nonfinite_point():
    x = np.arange(100_000)
    y = np.sin(x / 500.0)
    y[31_337], y[77_777] = 50.0, -50.0
    y[[5, 60_001]] = [np.nan, np.inf]
    idx = downsample_indices(x, y, 2000)
    assert len(idx) <= 2000 + 2
    assert {31_337, 77_777, 5, 60_001} <= set(idx.tolist())
    assert np.all(np.diff(idx) > 0)
    assert len(downsample_indices(x[:100], y[:100], 2000)) == 100


def test_suggested_next_range_is_around_the_best_value_on_a_log_scale():
    inner = suggest_next_range([1e-4, 1e-3, 1e-2, 1e-1], [0.9, 0.3, 0.5, 2.0], False)
    assert inner["best"] == pytest.approx(1e-3)
    assert inner["low"] == pytest.approx(1e-4) and inner["high"] == pytest.approx(1e-2)
    assert inner["log"] and not inner["edge"]
    edge = suggest_next_range([1e-4, 1e-3, 1e-2], [0.9, 0.95, 0.97], True)  # accuracy
    assert edge["edge"] and edge["best"] == pytest.approx(1e-2)
    assert edge["high"] == pytest.approx(1e-1)  # extends past the edge of the grid
    assert suggest_next_range([1e-3, 1e-3], [1.0, 2.0], False) is None


def test_group_mean_and_band_follow_the_members():
    a, b = memory_run("g/a"), memory_run("g/b")
    b.scalars["value"] = b.scalars["value"] + 1.0
    agg = aggregate_curves([a, b], "val_loss", n_grid=1000)  # grid = the steps
    va = a.series("val_loss")["value"].to_numpy()
    np.testing.assert_allclose(agg["mean"].to_numpy(), va + 0.5)
    np.testing.assert_allclose(agg["std"].to_numpy(), 0.5)
    assert (agg["n"] == 2).all()


# --------------------------------------------------------------------------- pages
def test_runs_page_lists_every_run_with_its_diagnosis(state):
    rows, message, summary = runs.rows_view(state, None, None, None)
    assert {r["id"] for r in rows} == set(state.runs) and message == ""
    by_id = {r["id"]: r for r in rows}
    for rid, diagnosis in state.diagnoses.items():
        assert by_id[rid]["labels"] == (diagnosis.labels or ["healthy"])
    assert by_id["sweep/lr_0.1"]["group"] == "sweep" and by_id["sweep/lr_0.1"]["steps"] == 199
    assert f"{len(rows)} of {len(rows)} runs" in summary
    json.dumps(rows)  # JSON-safe, NaN included


def test_runs_page_filters_by_regex_label_and_group(state):
    rows, _, _ = runs.rows_view(state, r"lr_0\.0+1$", None, None)
    assert [r["id"] for r in rows] == ["sweep/lr_0.0001", "sweep/lr_0.001", "sweep/lr_0.01"]
    label = state.diagnoses["sweep/lr_0.1"].labels[0]
    rows, _, _ = runs.rows_view(state, None, [label], None)
    assert rows and all(label in r["labels"] for r in rows)
    rows, _, _ = runs.rows_view(state, None, None, ["seeds"])
    assert {r["id"] for r in rows} == {"seeds/seed_0", "seeds/seed_1"}
    rows, message, _ = runs.rows_view(state, "(", None, None)
    assert len(rows) == len(state.runs) and "regular expression" in message


def test_selection_keeps_hidden_runs_and_drops_unknown_ids(state):
    visible = [{"id": "seeds/seed_0"}, {"id": "seeds/seed_1"}]
    merged = runs.merge_selection(state, ["sweep/lr_0.1", "/etc/passwd", "seeds/seed_0"],
                                  visible, [{"id": "seeds/seed_1"}])
    assert merged == ["sweep/lr_0.1", "seeds/seed_1"]
    count, href = selection_nav(state, [*merged, "../../secret"])
    assert count == "2 selected" and href == "/compare?runs=sweep%2Flr_0.1&runs=seeds%2Fseed_1"


def test_run_page_draws_evidence_and_gives_advice(state):
    rid = next(r for r, d in state.diagnoses.items() if "overfitting" in d.labels)
    _header, charts, advice, hparams = run.run_view(state, rid)
    finding = next(f for f in state.diagnoses[rid].findings if f.label == "overfitting")
    text = str(advice)
    assert finding.message in text and finding.advice[0] in text
    loss = charts[0].figure
    shapes = [s for s in loss.layout.shapes]
    best = finding.evidence.best_step
    assert any(s.type == "line" and s.x0 == best for s in shapes)  # best step marked
    assert any(s.type == "rect" for s in shapes)  # the span shaded
    assert "lr" in str(hparams) and len(charts) == 2  # loss + learning rate panels


def test_run_page_rejects_ids_it_does_not_know(state):
    with pytest.raises(UnknownRun):
        state.run("../../etc/passwd")
    header, charts, advice, _ = run.run_view(state, "/etc/passwd")
    assert "No such run" in str(header) and charts is None and advice is None


def test_compare_smooths_full_data_and_the_url_carries_the_choice(state):
    ids = ["sweep/lr_0.001", "sweep/lr_0.01"]
    overlay, multiples, _note, query = compare.compare_view(state, ids, "train_loss", "step",
                                                            0.6, True)
    smoothed = [t for t in overlay["data"] if t["showlegend"]]
    assert [t["name"] for t in smoothed] == ["lr_0.001", "lr_0.01"]
    raw = [t for t in overlay["data"] if t.get("opacity") == 0.25]  # raw, drawn faintly
    assert len(raw) == 2
    full = state.run(ids[0]).series("train_loss")["value"].to_numpy()
    assert smoothed[0]["y"][-1] == pytest.approx(debiased_ema(full, 0.6)[-1])
    assert overlay["layout"]["yaxis"]["type"] == "log"
    assert len(multiples["data"]) == len(overlay["data"])
    assert {t["xaxis"] for t in multiples["data"]} == {"x", "x2"}  # one chart per run
    assert query.startswith("?runs=sweep%2Flr_0.001&runs=sweep%2Flr_0.01&metric=train_loss")
    opts = compare.metric_options(state, ids)
    assert opts[0]["value"] == "train_loss" and {"lr", "val/loss"} <= {o["value"] for o in opts}


def test_compare_by_relative_time_and_missing_epoch(state):
    overlay, _, note, _ = compare.compare_view(state, ["seeds/seed_0"], "val_loss", "epoch",
                                               0.0, False)
    assert "drawn by step" in note  # no epoch tag logged
    overlay, _, _, _ = compare.compare_view(state, ["seeds/seed_0"], "val_loss", "time",
                                            0.0, False)
    assert overlay["data"][0]["x"][0] == 0
    assert "relative time" in overlay["layout"]["xaxis"]["title"]["text"]


def test_groups_page_counts_labels_and_suggests_the_next_search(state):
    figs, table, _note = groups.groups_view(state, "folder", "val_loss", "std")
    fig = figs[0]
    assert {t.name.split(" (")[0] for t in fig.data if t.name} == {"seeds", "sweep"}
    assert "4 runs" in str(table) or "of 4" in str(table)
    by_lr = group_runs(list(state.runs.values()), "hparam:lr")
    assert list(by_lr) == ["lr=0.0001", "lr=0.001", "lr=0.01", "lr=0.1"]
    sweep, note = groups.sweep_view(state, "lr", "val_loss")
    assert sweep.layout.xaxis.type == "log" and "search" in str(note)
    assert any(s.type == "rect" for s in sweep.layout.shapes)


def test_download_is_the_selected_runs_scalars_as_csv(state):
    payload = runs.selection_download(state, ["seeds/seed_0", "nope"])
    lines = payload["content"].splitlines()
    assert lines[0] == "run,tag,step,value,wall_time"
    assert len(lines) - 1 == len(state.run("seeds/seed_0").scalars)
    assert all(line.startswith("seeds/seed_0,") for line in lines[1:])


def test_live_poll_shows_new_runs_and_new_points(tmp_path):
    write_tb_run(tmp_path / "a", sweep_curves(1e-3, n=50), every={"val/loss": 10})
    app = create_app(str(tmp_path), poll_s=1)
    state = app.server.config["CURVEDOC_STATE"]
    version, _status = poll(state)
    assert version is not None and list(state.runs) == ["a"]
    write_tb_run(tmp_path / "b", sweep_curves(1e-2, n=50), every={"val/loss": 10})
    version, status = poll(state)
    assert version == state.version and "b" in state.runs
    assert {r["id"] for r in runs.rows_view(state, None, None, None)[0]} == {"a", "b"}
    assert state.is_live("b") and "live" in status
    shutil.rmtree(tmp_path / "b")


def test_names_from_logs_never_become_html(tmp_path):
    evil = memory_run(f"x/{XSS}", name=XSS, nan_at=5)
    app = create_app({evil.id: evil, "ok": memory_run("ok")}, poll_s=0)
    state = app.server.config["CURVEDOC_STATE"]
    rows, _, _ = runs.rows_view(state, None, None, None)
    assert XSS in {r["name"] for r in rows}  # a plain string; the grid renders it as text
    header, charts, _, _ = run.run_view(state, evil.id)
    assert header.children[0].children[-1] == XSS  # a text child of html.H1
    overlay, _, _, _ = compare.compare_view(state, [evil.id], "train_loss", "step", 0.5, False)
    assert all("<script>" not in t["name"] for t in overlay["data"])
    assert any(t.marker.symbol == "x" for t in charts[0].figure.data)  # NaN marked


def test_report_is_self_contained_and_escapes_names(tmp_path, sample_root):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(report, [str(sample_root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "sweep/lr_0.01" in text and "Plotly.newPlot" in text
    assert "<script src=" not in text and '<script charset="utf-8" src=' not in text
    assert 'id="cd-plotly"' in text  # plotly.js inlined (packed): no server, no network
    from curvedoc.dashboard.export import report_html

    evil = memory_run(f"x/{XSS}", name=XSS)
    html_text = report_html(create_app({evil.id: evil}, poll_s=0).server.config[
        "CURVEDOC_STATE"])
    assert XSS not in html_text and "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text


def test_serve_refuses_a_missing_path_and_warns_when_public(tmp_path, sample_root):
    runner = CliRunner()
    assert runner.invoke(serve, [str(tmp_path / "missing")]).exit_code == 2
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(serve, [str(sample_root), "--host", "0.0.0.0", "--port",
                                       str(port), "--no-browser"])
    assert "anyone who can reach this machine" in result.output  # warned before listening
    assert result.exit_code == 1 and "try another --port" in result.output
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")
    assert browse_url("0.0.0.0", 8050) == "http://127.0.0.1:8050/"


def test_background_diagnosis_fills_the_badges_in(sample_root):
    app = create_app(str(sample_root), poll_s=1, background=True)
    state = app.server.config["CURVEDOC_STATE"]
    rows, _, _ = runs.rows_view(state, None, None, None)
    assert {r["id"] for r in rows} == set(state.runs)  # listed at once, pending or not
    assert state.wait_diagnosed(timeout=120)
    version, status = poll(state, seen=0)
    assert version == state.version and version >= 1 and "diagnosing" not in status
    rows, _, _ = runs.rows_view(state, None, None, None)
    assert all(r["labels"] == (state.diagnoses[r["id"]].labels or ["healthy"]) for r in rows)


def test_hparams_show_as_logged_though_tensorboard_stores_numbers_as_floats():
    assert run.hparam_text(16.0) == "16"
    assert run.hparam_text(0.003) == "0.003"
    assert run.hparam_text("adam") == "adam"
    assert run.hparam_text(True) == "True"


def test_downloaded_csv_never_carries_a_live_spreadsheet_formula():
    import csv
    import io

    formula = '=HYPERLINK("http://example.invalid","x")'
    evil = memory_run(formula, n=20)
    evil.scalars["tag"] = evil.scalars["tag"].cat.rename_categories(
        {"train/loss": "@SUM(A1)", "val/loss": "val/loss"})
    app = create_app({evil.id: evil}, poll_s=0)
    state = app.server.config["CURVEDOC_STATE"]
    payload = runs.selection_download(state, [evil.id])
    rows = list(csv.DictReader(io.StringIO(payload["content"])))
    assert len(rows) == 40
    assert {r["run"] for r in rows} == {"'" + formula}
    assert {r["tag"] for r in rows} == {"'@SUM(A1)", "val/loss"}
    assert all(float(r["value"]) > 0 for r in rows)  # numbers stay numbers
