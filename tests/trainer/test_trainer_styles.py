"""The trainer logs the way real trainers do: each logging style writes its own files."""

from __future__ import annotations

import csv
import json
import math

import pytest
from trainer_events import read_events

from curvedoc.trainer import RunSpec
from curvedoc.trainer.styles import STYLES, style_of

pytest.importorskip("torch", reason="needs the trainer extra: pip install 'curvedoc[trainer]'")
pytestmark = pytest.mark.torch

# iris: 105 training examples, 16 a batch -> 7 steps an epoch
IRIS = RunSpec(dataset="iris", hidden=(8,), optimizer="adam", lr=1e-2, batch_size=16,
               epochs=3, log_every=2)
STEPS_PER_EPOCH = 7


def _train(tmp_path, **changes):
    from curvedoc.trainer.loop import train

    return train(IRIS.with_(**changes), tmp_path)


def test_hf_style_writes_trainer_state_with_train_eval_and_summary_entries(tmp_path):
    summary = _train(tmp_path, log_style="hf_steps", eval_every=5)
    state = json.loads((tmp_path / "trainer_state.json").read_text())
    history = state["log_history"]
    train = [e for e in history if "loss" in e]
    evals = [e for e in history if "eval_loss" in e]
    assert [e["step"] for e in train] == list(range(2, 22, 2))  # logging_steps=2, 1-based
    assert {"learning_rate", "grad_norm", "epoch"} <= set(train[0])
    assert train[0]["epoch"] == pytest.approx(2 / STEPS_PER_EPOCH, abs=1e-4)
    assert [e["step"] for e in evals] == [5, 10, 15, 20]
    assert "eval_accuracy" in evals[0]
    assert "train_runtime" in history[-1] and state["global_step"] == 21
    assert [v for _, v in summary.history["val_loss"]] == [e["eval_loss"] for e in evals]


def test_keras_style_writes_one_row_per_epoch_from_epoch_zero(tmp_path):
    summary = _train(tmp_path, log_style="keras")
    with open(tmp_path / "training.log", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["epoch", "accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    logged = [float(r[2]) for r in rows[1:]]
    assert logged == [v for _, v in summary.history["train_epoch"]]
    assert not summary.history["train_step"]  # the epoch mean is the only training point


def test_epoch_axis_puts_the_first_point_after_a_whole_epoch(tmp_path):
    _train(tmp_path, log_style="tb_epoch1")
    scalars = read_events(tmp_path)
    assert {"loss/train", "loss/val", "acc/train", "acc/val", "lr"} <= set(scalars)
    assert [s for s, _ in scalars["loss/train"]] == [1, 2, 3]
    assert [s for s, _ in scalars["loss/val"]] == [1, 2, 3]  # no validation before training


def test_lightning_tensorboard_style_logs_step_and_epoch_series(tmp_path):
    _train(tmp_path, log_style="tb_lightning")
    scalars = read_events(tmp_path)
    assert {"train_loss_step", "train_loss_epoch", "val_loss_epoch", "val_acc_epoch",
            "lr-Adam", "epoch"} <= set(scalars)
    assert [s for s, _ in scalars["train_loss_epoch"]] == [7, 14, 21]
    assert len(scalars["train_loss_step"]) == 10


def test_lightning_csv_style_has_step_and_epoch_columns(tmp_path):
    _train(tmp_path, log_style="lightning_csv")
    with open(tmp_path / "version_0" / "metrics.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {"epoch", "step", "train_loss_step", "train_loss_epoch", "val_loss",
            "lr-Adam"} <= set(rows[0])
    assert sum(bool(r["train_loss_epoch"]) for r in rows) == 3


def test_test_set_style_logs_no_validation_tags(tmp_path):
    _train(tmp_path, log_style="tb_test")
    tags = set(read_events(tmp_path))
    assert {"train_loss", "test_loss", "test_acc"} <= tags
    assert not any("val" in t for t in tags)


def test_eval_every_n_steps_validates_mid_epoch(tmp_path):
    summary = _train(tmp_path, log_style="tb_freetext", eval_every=4)
    scalars = read_events(tmp_path)
    assert [s for s, _ in scalars["Validation loss (avg)"]] == [4, 8, 12, 16, 20]
    assert len(summary.history["val_loss"]) == 5


def test_every_style_preset_is_valid_and_unknown_names_say_which_exist():
    for name in STYLES:
        assert style_of(name).format
    with pytest.raises(ValueError, match="keras"):
        style_of("no_such_style")


def test_default_spec_keeps_its_historical_hparams():
    assert not {"warmup", "log_style", "eval_every"} & set(RunSpec().hparams())
    assert RunSpec(log_style="keras").hparams()["log_style"] == "keras"


def test_one_cycle_and_warmup_schedules_rise_then_fall():
    from curvedoc.trainer.loop import lr_at

    total = 100
    one = RunSpec(lr=1.0, schedule="onecycle")
    lrs = [lr_at(one, s, 0, total) for s in range(total)]
    peak = max(range(total), key=lrs.__getitem__)
    assert 25 <= peak <= 31 and lrs[0] == pytest.approx(1 / 25)
    assert lrs[-1] < 1e-3
    warm = RunSpec(lr=1.0, schedule="warmup_cosine", warmup=0.1)
    lrs = [lr_at(warm, s, 0, total) for s in range(total)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0) and lrs[-1] < 0.01


def test_sequence_and_many_class_data_sets():
    from curvedoc.trainer import data

    seq = data.load("sequences")
    assert seq.input_shape == (data.SEQ_LENGTH, data.SEQ_VOCAB) and seq.num_classes == 8
    many = data.load("synth_c100")
    assert many.num_classes == 100 and int(many.y_train.max()) == 99


@pytest.mark.parametrize("model", ["rnn", "transformer"])
def test_sequence_models_train(tmp_path, model):
    from curvedoc.trainer.loop import train

    spec = RunSpec(dataset="sequences", model=model, hidden=(8,), optimizer="adam", lr=1e-2,
                   batch_size=256, epochs=1)
    summary = train(spec, tmp_path, max_steps=3)
    assert summary.steps == 3 and math.isfinite(summary.metrics["val_loss"])


def test_wrong_output_bias_makes_a_huge_initial_loss(tmp_path):
    summary = _train(tmp_path, init="output_bias", init_std=20.0, epochs=1)
    first_val = summary.history["val_loss"][0]
    assert first_val[0] == 0 and first_val[1] > 10 * math.log(3)
