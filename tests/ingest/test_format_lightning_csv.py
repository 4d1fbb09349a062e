"""PyTorch Lightning CSVLogger reader: sparse rows, incremental reads, rewrites, bad input."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import format_calls
import numpy as np

from curvedoc.ingest.formats.lightning_csv import FORMAT

find = partial(format_calls.find, FORMAT)
read = partial(format_calls.read, FORMAT)
series = format_calls.series

HEADER = "epoch,lr-SGD,step,train_loss_epoch,train_loss_step,val_loss\n"
ROWS = "0,0.1,0,,2.0,\n0,,1,,1.5,\n0,,1,1.75,,1.6\n"


def version_folder(tmp_path: Path, text: str) -> Path:
    run = tmp_path / "logs" / "version_3"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text(text)
    return run


def test_the_version_folder_is_the_run(tmp_path):
    run = version_folder(tmp_path, HEADER + ROWS)
    (run / "hparams.yaml").write_text("lr: 0.1\n")
    found = find(run, tmp_path)
    assert [s.id for s in found.runs] == ["logs/version_3"]
    assert found.runs[0].name == "version_3"
    assert found.runs[0].files == (str(run / "hparams.yaml"), str(run / "metrics.csv"))
    assert {"metrics.csv", "hparams.yaml"} <= found.consumed_files
    assert find(tmp_path / "logs", tmp_path) is None


def test_a_metrics_csv_outside_a_lightning_folder_is_not_claimed(tmp_path):
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "metrics.csv").write_text(HEADER + ROWS)
    assert find(tmp_path / "exp", tmp_path) is None


def test_sparse_rows_keep_each_metric_at_its_own_steps(tmp_path):
    run = version_folder(tmp_path, HEADER + ROWS)
    result = read(run / "metrics.csv")
    frame = result.scalars
    assert not result.errors and not result.warnings
    assert series(frame, "train_loss_step") == {0: 2.0, 1: 1.5}
    assert series(frame, "train_loss_epoch") == {1: 1.75}
    assert series(frame, "val_loss") == {1: 1.6}
    assert series(frame, "lr-SGD") == {0: 0.1}
    assert "epoch" not in set(frame["tag"]) and "step" not in set(frame["tag"])
    assert frame["step"].dtype == np.int64 and frame["value"].dtype == np.float64
    assert frame["wall_time"].isna().all()


def test_logged_nan_and_inf_are_kept(tmp_path):
    run = version_folder(tmp_path, HEADER + "0,0.1,0,,nan,\n0,0.1,1,,inf,-inf\n")
    frame = read(run / "metrics.csv").scalars
    losses = series(frame, "train_loss_step")
    assert np.isnan(losses[0]) and losses[1] == np.inf
    assert series(frame, "val_loss") == {1: -np.inf}


def test_a_second_read_returns_only_appended_rows(tmp_path):
    run = version_folder(tmp_path, HEADER + ROWS)
    path = run / "metrics.csv"
    first = read(path)
    assert len(read(path, first.state).scalars) == 0
    with path.open("a") as fh:
        fh.write("1,,2,,1.2,\n")
    second = read(path, first.state)
    assert series(second.scalars, "train_loss_step") == {2: 1.2}
    assert len(second.scalars) == 1 and not second.reset


def test_a_rewrite_with_a_new_header_is_read_from_the_start(tmp_path):
    run = version_folder(tmp_path, HEADER + ROWS)
    path = run / "metrics.csv"
    first = read(path)
    path.write_text(HEADER.replace("\n", ",val_acc\n") + ROWS.replace("\n", ",\n")
                    + "1,,3,,1.1,,0.7\n")
    second = read(path, first.state)
    assert second.reset is True
    assert series(second.scalars, "train_loss_step") == {0: 2.0, 1: 1.5, 3: 1.1}
    assert series(second.scalars, "val_acc") == {3: 0.7}


def test_short_rows_are_skipped_and_wide_rows_widen_the_header_with_line_numbers(tmp_path):
    rows = "0,0.1,0,,2.0,\n0,0.1,1,,1.5,,9,9\n0,,2,,1.2,\n0,0.1\n"
    run = version_folder(tmp_path, HEADER + rows)
    result = read(run / "metrics.csv")
    assert series(result.scalars, "train_loss_step") == {0: 2.0, 1: 1.5, 2: 1.2}
    assert series(result.scalars, "column_7") == {1: 9.0}
    assert any("line 3" in w and "widened" in w and "metrics.csv" in w for w in result.warnings)
    assert any("line 5" in w and "ragged" in w and "metrics.csv" in w for w in result.warnings)


def test_header_only_and_empty_files_are_errors_naming_the_file(tmp_path):
    run = version_folder(tmp_path, HEADER)
    result = read(run / "metrics.csv")
    assert len(result.scalars) == 0
    assert result.errors and "metrics.csv" in result.errors[0] and "header" in result.errors[0]
    (run / "metrics.csv").write_text("")
    assert "empty" in read(run / "metrics.csv").errors[0]
