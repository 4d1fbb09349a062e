"""JSON-lines reader: flattening, NaN/inf, bad lines, appended reads, sniffing."""

from __future__ import annotations

import json
from functools import partial

import format_calls
import numpy as np

from curvedoc.ingest import discover
from curvedoc.ingest.formats.jsonl import FORMAT

read = partial(format_calls.read, FORMAT)
series = format_calls.series


def lines(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def test_nested_objects_flatten_and_text_fields_are_ignored(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(lines(
        {"step": 1, "train": {"loss": 0.9, "acc": 0.5}, "tag": "warmup", "flag": True},
        {"step": 2, "train": {"loss": 0.7}, "val": {"loss": 0.8}},
    ))
    frame = read(path).scalars
    assert set(frame["tag"]) == {"train/loss", "train/acc", "val/loss"}
    assert series(frame, "train/loss") == {1: 0.9, 2: 0.7}
    assert frame["step"].dtype == np.int64 and frame["wall_time"].isna().all()


def test_nan_and_infinity_are_kept_as_logged(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"step": 0, "loss": NaN, "gn": Infinity}\n{"step": 1, "loss": "-inf"}\n')
    frame = read(path).scalars
    loss = series(frame, "loss")
    assert np.isnan(loss[0]) and loss[1] == -np.inf
    assert series(frame, "gn") == {0: np.inf}


def test_epoch_is_the_step_when_nothing_better_and_timestamps_are_wall_time(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(lines({"epoch": 3, "timestamp": 1700000000123, "val_loss": 0.4}))
    frame = read(path).scalars
    assert series(frame, "val_loss") == {3: 0.4}
    assert frame["wall_time"].tolist() == [1700000000.123]


def test_a_line_that_is_not_json_is_skipped_with_its_line_number(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(lines({"step": 0, "loss": 1.0}, '{"step": 1, "loss": 0.', {"step": 2,
                                                                             "loss": 0.5}))
    result = read(path)
    assert series(result.scalars, "loss") == {0: 1.0, 2: 0.5}
    assert len(result.warnings) == 1
    assert "log.jsonl" in result.warnings[0] and "line 2" in result.warnings[0]
    assert not result.errors


def test_nothing_usable_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text("not json at all\n[1, 2, 3]\n")
    result = read(path)
    assert len(result.scalars) == 0
    assert result.errors and "log.jsonl" in result.errors[0]


def test_appended_lines_and_a_half_written_line(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(lines({"step": 0, "loss": 1.0}) + '{"step": 1, "lo')
    first = read(path)
    assert series(first.scalars, "loss") == {0: 1.0}
    # the unfinished line is named only as the file's tail (it holds until the next read)
    assert first.warnings == [first.tail_warning] and "line 2" in first.tail_warning
    assert len(read(path, first.state).scalars) == 0
    with path.open("a") as fh:
        fh.write('ss": 0.8}\n' + lines({"step": 2, "loss": 0.6}))
    second = read(path, first.state)
    assert series(second.scalars, "loss") == {1: 0.8, 2: 0.6}
    assert not second.warnings


def test_sniff_accepts_json_lines_and_rejects_other_json(tmp_path):
    good = tmp_path / "metrics.json"
    good.write_text(lines({"iteration": 5, "loss": 1.0}))
    pretty = tmp_path / "config.json"
    pretty.write_text(json.dumps({"step": 1, "loss": 2}, indent=2))
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"global_step": 3, "log_history": [{"loss": 1, "step": 1}]}))
    no_metric = tmp_path / "events.jsonl"
    no_metric.write_text(lines({"step": 1, "event": "start"}))
    assert FORMAT.sniff(str(good), good.read_bytes())
    for path in (pretty, state, no_metric):
        assert not FORMAT.sniff(str(path), path.read_bytes())


def test_one_log_in_a_folder_is_the_folder_run(tmp_path):
    run = tmp_path / "exp"
    run.mkdir()
    (run / "metrics.jsonl").write_text(lines({"step": 1, "loss": 1.0}))
    found = FORMAT.find_runs(str(run), ["metrics.jsonl"], [], str(tmp_path))
    assert found.loose and found.consumed_files == {"metrics.jsonl"}
    assert [(s.id, s.name) for s in discover(str(tmp_path))] == [("exp", "exp")]


def test_a_logged_nan_is_kept_and_an_absent_key_is_not_a_point(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"step": 0, "loss": NaN}\n{"step": 1, "acc": 0.5}\n{"step": 2, "loss": 1}\n')
    frame = read(path).scalars
    loss = series(frame, "loss")
    assert sorted(loss) == [0, 2] and np.isnan(loss[0]) and loss[2] == 1.0
    assert series(frame, "acc") == {1: 0.5}


def test_a_first_line_of_metadata_is_allowed_quietly(tmp_path):
    path = tmp_path / "20240101_120000.log.json"
    path.write_text(lines({"env_info": "CUDA 12", "seed": 0},
                          {"mode": "train", "epoch": 1, "iter": 50, "lr": 0.02, "loss": 1.4},
                          {"mode": "train", "epoch": 1, "iter": 100, "lr": 0.02, "loss": 1.1},
                          {"note": "no step here", "value": 3}))
    assert FORMAT.sniff(str(path), path.read_bytes())
    result = read(path)
    assert series(result.scalars, "loss") == {50: 1.4, 100: 1.1}
    assert len(result.warnings) == 1 and "line 4" in result.warnings[0]
