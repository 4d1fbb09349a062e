"""Hugging Face trainer_state.json reader: log_history, checkpoints, truncation, appends."""

from __future__ import annotations

import json
from functools import partial

import format_calls

from curvedoc.ingest.formats.hf_trainer_state import FORMAT

find = partial(format_calls.find, FORMAT)
read = partial(format_calls.read, FORMAT)
series = format_calls.series

TRAIN = [
    {"epoch": 0.5, "grad_norm": 2.0, "learning_rate": 5e-05, "loss": 2.0, "step": 10},
    {"epoch": 1.0, "grad_norm": 1.5, "learning_rate": 4e-05, "loss": 1.5, "step": 20},
]
EVAL = {"epoch": 1.0, "eval_loss": 1.6, "eval_accuracy": 0.5, "step": 20}
SUMMARY = {"epoch": 1.0, "step": 20, "total_flos": 1e12, "train_loss": 1.75,
           "train_runtime": 30.0, "train_samples_per_second": 10.0}


def state_text(history, **extra) -> str:
    return json.dumps({"global_step": 20, "train_batch_size": 16, "log_history": history,
                       **extra}, indent=2)


def test_training_and_eval_entries_keep_hf_keys_and_the_summary_is_no_point(tmp_path):
    path = tmp_path / "trainer_state.json"
    path.write_text(state_text([*TRAIN, EVAL, SUMMARY]))
    result = read(path)
    frame = result.scalars
    assert set(frame["tag"]) == {"loss", "grad_norm", "learning_rate", "eval_loss",
                                 "eval_accuracy"}
    assert series(frame, "loss") == {10: 2.0, 20: 1.5}
    assert series(frame, "eval_loss") == {20: 1.6}
    assert result.hparams["train_batch_size"] == 16
    assert "global_step" not in result.hparams and "log_history" not in result.hparams


def test_the_output_folder_is_the_run_and_the_fullest_checkpoint_wins(tmp_path):
    out = tmp_path / "out"
    for step, history in ((10, TRAIN[:1]), (20, [*TRAIN, EVAL])):
        (out / f"checkpoint-{step}").mkdir(parents=True)
        (out / f"checkpoint-{step}" / "trainer_state.json").write_text(state_text(history))
    (out / "runs").mkdir()
    found = find(out, tmp_path)
    assert [(s.id, s.name) for s in found.runs] == [("out", "out")]
    assert found.runs[0].files == (str(out / "checkpoint-20" / "trainer_state.json"),)
    assert found.consumed_dirs == {"checkpoint-10", "checkpoint-20"}
    assert find(tmp_path, tmp_path) is None


def test_a_state_file_in_the_output_folder_counts_too(tmp_path):
    (tmp_path / "checkpoint-10").mkdir()
    (tmp_path / "checkpoint-10" / "trainer_state.json").write_text(state_text(TRAIN[:1]))
    (tmp_path / "trainer_state.json").write_text(state_text([*TRAIN, EVAL, SUMMARY]))
    found = find(tmp_path, tmp_path)
    assert [s.id for s in found.runs] == ["."]
    assert found.runs[0].files == (str(tmp_path / "trainer_state.json"),)
    assert "trainer_state.json" in found.consumed_files


def test_a_file_cut_in_half_is_an_error_naming_it(tmp_path):
    text = state_text([*TRAIN, EVAL])
    path = tmp_path / "trainer_state.json"
    path.write_text(text[: len(text) // 2])
    result = read(path)
    assert len(result.scalars) == 0
    assert result.errors and "trainer_state.json" in result.errors[0]
    assert "not valid JSON" in result.errors[0]


def test_json_without_log_history_is_an_error(tmp_path):
    path = tmp_path / "trainer_state.json"
    path.write_text('{"global_step": 3}')
    assert "log_history" in read(path).errors[0]


def test_a_rewritten_state_returns_only_the_new_entries(tmp_path):
    path = tmp_path / "trainer_state.json"
    path.write_text(state_text(TRAIN[:1]))
    first = read(path)
    assert len(read(path, first.state).scalars) == 0
    path.write_text(state_text([*TRAIN, EVAL]))
    second = read(path, first.state)
    assert series(second.scalars, "loss") == {20: 1.5}
    assert series(second.scalars, "eval_loss") == {20: 1.6}
    assert second.reset is False
