"""Roles are inferred from tag names across the conventions of common trainers."""

from __future__ import annotations

import pytest

from curvedoc.ingest import infer_roles
from curvedoc.ingest.roles import classify, missing_loss_warning


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        # plain PyTorch / TensorBoard
        (["loss"], {"train_loss": "loss"}),
        (["train/loss", "val/loss"], {"train_loss": "train/loss", "val_loss": "val/loss"}),
        (["Loss/train", "Loss/val"], {"train_loss": "Loss/train", "val_loss": "Loss/val"}),
        (["Loss/train", "Loss/validation"], {"train_loss": "Loss/train",
                                             "val_loss": "Loss/validation"}),
        (["training_loss", "validation_loss"], {"train_loss": "training_loss",
                                                "val_loss": "validation_loss"}),
        (["train_loss", "valid_loss"], {"train_loss": "train_loss", "val_loss": "valid_loss"}),
        (["loss", "eval_loss"], {"train_loss": "loss", "val_loss": "eval_loss"}),
        (["validation/loss"], {"val_loss": "validation/loss"}),
        # Keras (tags prefixed by the train/ and validation/ folders)
        (
            ["train/epoch_loss", "validation/epoch_loss", "train/epoch_accuracy",
             "validation/epoch_accuracy", "train/epoch_learning_rate"],
            {"train_loss": "train/epoch_loss", "val_loss": "validation/epoch_loss",
             "train_acc": "train/epoch_accuracy", "val_acc": "validation/epoch_accuracy",
             "lr": "train/epoch_learning_rate"},
        ),
        # Keras CSVLogger / History
        (
            ["loss", "accuracy", "val_loss", "val_accuracy", "lr"],
            {"train_loss": "loss", "train_acc": "accuracy", "val_loss": "val_loss",
             "val_acc": "val_accuracy", "lr": "lr"},
        ),
        (["acc", "val_acc"], {"train_acc": "acc", "val_acc": "val_acc"}),
        (["epoch_accuracy", "epoch_loss"], {"train_acc": "epoch_accuracy",
                                            "train_loss": "epoch_loss"}),
        # Hugging Face Trainer
        (
            ["loss", "learning_rate", "grad_norm", "eval_loss", "eval_accuracy", "epoch"],
            {"train_loss": "loss", "lr": "learning_rate", "grad_norm": "grad_norm",
             "val_loss": "eval_loss", "val_acc": "eval_accuracy"},
        ),
        (["train/loss", "eval/loss", "train/learning_rate", "train/grad_norm"],
         {"train_loss": "train/loss", "val_loss": "eval/loss", "lr": "train/learning_rate",
          "grad_norm": "train/grad_norm"}),
        # Lightning
        (["lr-SGD", "train_loss_step", "val_loss"], {"lr": "lr-SGD",
                                                     "train_loss": "train_loss_step",
                                                     "val_loss": "val_loss"}),
        (["lr-Adam"], {"lr": "lr-Adam"}),
        (["lr-AdamW/pg0", "lr-AdamW/pg1"], {"lr": "lr-AdamW/pg0"}),
        (["grad_2.0_norm_total"], {"grad_norm": "grad_2.0_norm_total"}),
        # Ultralytics results.csv
        (
            ["train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/precision(B)",
             "metrics/mAP50(B)", "metrics/mAP50-95(B)", "val/box_loss", "val/cls_loss",
             "lr/pg0", "lr/pg1", "lr/pg2"],
            {"train_loss": "train/box_loss", "val_loss": "val/box_loss",
             "val_acc": "metrics/mAP50(B)", "lr": "lr/pg0"},
        ),
        # fastai history.csv: accuracy is measured on the validation set
        (["epoch", "train_loss", "valid_loss", "accuracy", "time"],
         {"train_loss": "train_loss", "val_loss": "valid_loss", "val_acc": "accuracy"}),
        # timm / torchvision
        (["train_loss", "eval_loss", "eval_top1", "eval_top5"],
         {"train_loss": "train_loss", "val_loss": "eval_loss", "val_acc": "eval_top1"}),
        (["top1", "train_loss"], {"val_acc": "top1", "train_loss": "train_loss"}),
        (["acc1", "loss"], {"val_acc": "acc1", "train_loss": "loss"}),
        # gradient norms
        (["gradient_norm"], {"grad_norm": "gradient_norm"}),
        (["grad/norm"], {"grad_norm": "grad/norm"}),
        (["train/lr"], {"lr": "train/lr"}),
    ],
)
def test_conventions(tags, expected):
    assert infer_roles(tags) == expected


def test_per_step_loss_beats_epoch_aggregate_when_it_has_more_points():
    tags = ["train_loss_epoch", "train_loss_step"]
    assert infer_roles(tags, counts={"train_loss_step": 500, "train_loss_epoch": 10}) == {
        "train_loss": "train_loss_step"
    }


def test_the_tag_with_more_points_wins_between_equal_names():
    counts = {"train_loss_step": 3, "train_loss_epoch": 40}
    roles = infer_roles(["train_loss_step", "train_loss_epoch"], counts=counts)
    assert roles["train_loss"] == "train_loss_epoch"


def test_a_one_point_summary_never_beats_a_curve():
    # Hugging Face logs a final summary entry "train_loss" beside the per-step "loss"
    roles = infer_roles(["loss", "train_loss"], counts={"loss": 120, "train_loss": 1})
    assert roles["train_loss"] == "loss"


def test_overrides_win_and_take_the_tag():
    tags = ["loss", "metrics/valid_nll", "val_loss"]
    roles = infer_roles(tags, {"val_loss": "metrics/valid_nll"})
    assert roles == {"train_loss": "loss", "val_loss": "metrics/valid_nll"}


def test_an_override_naming_a_missing_tag_falls_back_to_inference():
    roles = infer_roles(["loss", "val_loss"], {"val_loss": "not/there"})
    assert roles["val_loss"] == "val_loss"


def test_a_tag_plays_one_role_only():
    roles = infer_roles(["loss"])
    assert list(roles.values()).count("loss") == 1


def test_no_roles_for_unrelated_tags():
    assert infer_roles(["epoch", "time", "images/sample", "weights/hist"]) == {}


def test_classify_reports_the_rank():
    assert classify("val/box_loss")[0][0] == "val_loss"
    assert classify("epoch") == ()


def test_missing_loss_warning_lists_the_tags():
    note = missing_loss_warning({"lr": "lr"}, ["lr", "throughput"])
    assert note is not None and "lr" in note and "throughput" in note
    assert "[tool.curvedoc.roles]" in note
    assert missing_loss_warning({"val_loss": "v"}, ["v"]) is None
