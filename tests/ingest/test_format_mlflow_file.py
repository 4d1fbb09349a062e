"""MLflow file-store reader: run folders, nested keys, params, deleted runs, bad lines."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import format_calls
import numpy as np

from curvedoc.ingest.formats.mlflow_file import FORMAT

find = partial(format_calls.find, FORMAT)
series = format_calls.series


def make_run(experiment: Path, run_id: str, metrics: dict[str, str], stage="active") -> Path:
    run = experiment / run_id
    for sub in ("metrics", "params", "tags", "artifacts"):
        (run / sub).mkdir(parents=True)
    (run / "meta.yaml").write_text(f"run_id: {run_id}\nlifecycle_stage: {stage}\n")
    for key, text in metrics.items():
        (run / "metrics" / key).parent.mkdir(parents=True, exist_ok=True)
        (run / "metrics" / key).write_text(text)
    return run


def read_all(source):
    return [FORMAT.read(source, path, None) for path in source.files]


def test_a_run_folder_with_nested_keys_params_and_name(tmp_path):
    run = make_run(tmp_path / "mlruns" / "1", "abc123", {
        "train/loss": "1700000000000 1.0 0\n1700000001000 0.5 1\n",
        "lr": "1700000000000 0.1\n",
    })
    (run / "params" / "lr").write_text("0.1")
    (run / "params" / "model").mkdir()
    (run / "params" / "model" / "depth").write_text("12")
    (run / "params" / "optimizer").write_text("adam")
    (run / "tags" / "mlflow.runName").write_text("silent-bee-7\n")
    found = find(run, tmp_path)
    [source] = found.runs
    assert (source.id, source.name) == ("mlruns/1/abc123", "silent-bee-7")
    assert {"metrics", "params", "tags"} <= found.consumed_dirs
    assert found.attached_dirs == {"artifacts"}  # walked, its logs join the run
    reads = read_all(source)
    by_tag = {r.scalars["tag"].iloc[0]: r.scalars for r in reads}
    assert series(by_tag["train/loss"], "train/loss") == {0: 1.0, 1: 0.5}
    assert series(by_tag["lr"], "lr") == {0: 0.1}  # no step column: step 0
    assert by_tag["train/loss"]["wall_time"].tolist() == [1700000000.0, 1700000001.0]
    assert reads[0].hparams == {"lr": 0.1, "model/depth": 12, "optimizer": "adam"}


def test_nan_and_inf_values_are_kept(tmp_path):
    run = make_run(tmp_path, "r1", {"loss": "1700000000000 nan 0\n1700000000001 inf 1\n"})
    [source] = find(run, tmp_path).runs
    values = read_all(source)[0].scalars["value"].to_numpy()
    assert np.isnan(values[0]) and values[1] == np.inf


def test_deleted_runs_and_logged_models_are_skipped(tmp_path):
    experiment = tmp_path / "mlruns" / "0"
    deleted = make_run(experiment, "gone", {"loss": "1700000000000 1.0 0\n"}, stage="deleted")
    model = make_run(experiment / "models", "m-1", {"loss": "1700000000000 1.0 0\n"})
    (experiment / "meta.yaml").write_text("experiment_id: '0'\n")
    assert find(deleted, tmp_path).runs == []
    assert find(model, tmp_path).runs == []
    assert "models" in find(experiment, tmp_path).consumed_dirs
    assert find(tmp_path / "mlruns", tmp_path) is None


def test_a_line_that_does_not_parse_is_skipped_with_its_line_number(tmp_path):
    text = "1700000000000 1.0 0\n17000 oops\n1700000002000 0.5 2\n1700000003000\n"
    run = make_run(tmp_path, "r1", {"loss": text})
    [source] = find(run, tmp_path).runs
    [result] = read_all(source)
    assert series(result.scalars, "loss") == {0: 1.0, 2: 0.5}
    assert any("line 2, 4" in w and "loss" in w for w in result.warnings)


def test_a_metric_file_of_garbage_is_an_error(tmp_path):
    run = make_run(tmp_path, "r1", {"loss": "this is not a metric\n"})
    [source] = find(run, tmp_path).runs
    [result] = read_all(source)
    assert len(result.scalars) == 0 and result.errors and "loss" in result.errors[0]


def test_appended_points_are_read_from_where_the_last_read_stopped(tmp_path):
    run = make_run(tmp_path, "r1", {"loss": "1700000000000 1.0 0\n"})
    [source] = find(run, tmp_path).runs
    path = source.files[0]
    first = FORMAT.read(source, path, None)
    assert len(FORMAT.read(source, path, first.state).scalars) == 0
    with open(path, "a") as fh:
        fh.write("1700000001000 0.8 1\n")
    second = FORMAT.read(source, path, first.state)
    assert series(second.scalars, "loss") == {1: 0.8}


def test_a_run_without_metrics_says_so(tmp_path):
    run = make_run(tmp_path, "r1", {})
    [source] = find(run, tmp_path).runs
    [result] = read_all(source)
    assert len(result.scalars) == 0 and "no metrics" in result.warnings[0]
