"""Roles are inferred from tag names across the conventions of common trainers."""

from __future__ import annotations

import pytest

from curvedoc.ingest import infer_roles
from curvedoc.ingest.roles import (
    LossComponent,
    classify,
    eval_sets,
    loss_components,
    missing_loss_warning,
)


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
            # lr/pg0 is the biases' rate, warmed up down from 0.1: the weights' is pg1
            {"train_loss": "train/box_loss", "val_loss": "val/box_loss",
             "val_acc": "metrics/mAP50(B)", "lr": "lr/pg1"},
        ),
        # YOLOv5 results.csv
        (["train/box_loss", "train/obj_loss", "metrics/mAP_0.5", "val/box_loss", "x/lr0",
          "x/lr1", "x/lr2"],
         {"train_loss": "train/box_loss", "val_loss": "val/box_loss",
          "val_acc": "metrics/mAP_0.5", "lr": "x/lr1"}),
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


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        # free text, prefixes and suffixes, camelCase
        (["Training loss", "Validation loss (avg over batches)"],
         {"train_loss": "Training loss", "val_loss": "Validation loss (avg over batches)"}),
        (["loss/train", "loss/val"], {"train_loss": "loss/train", "val_loss": "loss/val"}),
        # a printed table's two-letter phases: tr(ain), va(lidation), te(st)
        (["tr_loss", "tr_acc", "va_loss", "va_acc", "te_loss", "te_acc"],
         {"train_loss": "tr_loss", "train_acc": "tr_acc", "val_loss": "va_loss",
          "val_acc": "va_acc"}),
        (["Loss/Train", "Loss/Validation"], {"train_loss": "Loss/Train",
                                             "val_loss": "Loss/Validation"}),
        (["trainLoss", "valLoss", "valAccuracy"], {"train_loss": "trainLoss",
                                                   "val_loss": "valLoss",
                                                   "val_acc": "valAccuracy"}),
        (["train_loss_epoch", "val_loss_epoch", "val_acc_epoch"],
         {"train_loss": "train_loss_epoch", "val_loss": "val_loss_epoch",
          "val_acc": "val_acc_epoch"}),
        (["dev/loss", "dev/acc", "train/loss"], {"train_loss": "train/loss",
                                                 "val_loss": "dev/loss", "val_acc": "dev/acc"}),
        # test stands in for validation only where no validation exists
        (["train_loss", "test_loss", "test_acc"], {"train_loss": "train_loss",
                                                   "val_loss": "test_loss",
                                                   "val_acc": "test_acc"}),
        (["train_loss", "val_loss", "test_loss"], {"train_loss": "train_loss",
                                                   "val_loss": "val_loss"}),
        # per-class metrics, running bests, timers and top-5 are no learning curves
        (["loss", "val_loss", "class_0_acc", "class_1_acc", "val_acc_best", "epoch_time",
          "val_top5", "val_top1"],
         {"train_loss": "loss", "val_loss": "val_loss", "val_acc": "val_top1"}),
        # Ignite, detectron2, mmengine, Ultralytics
        (["training/loss", "validation/accuracy"], {"train_loss": "training/loss",
                                                    "val_acc": "validation/accuracy"}),
        (["total_loss", "loss_cls", "loss_box_reg", "lr", "bbox/AP"],
         {"train_loss": "total_loss", "lr": "lr", "val_acc": "bbox/AP"}),
        (["loss", "accuracy/top1", "lr"], {"train_loss": "loss", "val_acc": "accuracy/top1",
                                           "lr": "lr"}),
        # several evaluation sets: the one without a set name is the main one
        (["loss", "eval_loss", "eval_g0_loss", "eval_g1_loss"],
         {"train_loss": "loss", "val_loss": "eval_loss"}),
        # scores other than accuracy, of any range
        (["train/reward", "eval/reward"], {"train_acc": "train/reward",
                                           "val_acc": "eval/reward"}),
        (["train_loss", "val_bleu"], {"train_loss": "train_loss", "val_acc": "val_bleu"}),
    ],
)
def test_spellings_of_every_convention(tags, expected):
    assert infer_roles(tags) == expected


@pytest.mark.parametrize(("tag", "way"), [
    ("val_loss", "lower"), ("eval/perplexity", "lower"), ("val_wer", "lower"),
    ("train/mse", "lower"), ("val_error", "lower"), ("val_acc", "higher"),
    ("eval_f1", "higher"), ("metrics/mAP50-95(B)", "higher"), ("val/dice", "higher"),
    ("episode_reward", "higher"), ("val_bleu", "higher"), ("eval/auroc", "higher"),
    ("val/log_likelihood", "higher"), ("epoch", None), ("throughput", None),
    ("pesq_epoch", "higher"), ("val/stoi", "higher"), ("val/si_sdr", "higher"),
    # a loss named after the score it optimises is a loss
    ("val_dice_loss", "lower"), ("train/iou_loss", "lower"), ("top1_err", "lower"),
    # torchmetrics class names, as Lightning logs a metric collection
    ("val_multiclassjaccardindex", "higher"), ("train_binaryaccuracy", "higher"),
    ("val_MulticlassF1Score", "higher"),
])
def test_every_metric_has_one_direction(tag, way):
    from curvedoc.ingest.roles import direction

    assert direction(tag) == way


def test_other_evaluation_sets_are_listed_beside_the_main_one():
    tags = ["loss", "eval_loss", "eval_accuracy", "eval_g0_loss", "eval_g0_accuracy",
            "eval_g1_loss", "val/cls_loss"]
    roles = infer_roles(tags)
    sets = eval_sets(tags, roles)
    assert [(s.name, s.loss, s.score) for s in sets] == [
        ("g0", "eval_g0_loss", "eval_g0_accuracy"), ("g1", "eval_g1_loss", None)]
    # a loss component is no evaluation set of its own
    ultra = ["train/box_loss", "val/box_loss", "val/cls_loss", "val/dfl_loss"]
    assert eval_sets(ultra, infer_roles(ultra)) == []


@pytest.mark.parametrize("components", [
    # Ultralytics OBB and pose
    ["val/box_loss", "val/cls_loss", "val/dfl_loss", "val/angle_loss"],
    ["val/box_loss", "val/pose_loss", "val/kobj_loss", "val/rle_loss"],
    # segmentation and detection losses summed from parts
    ["val_loss", "val_dice_loss", "val_bce_loss", "val_iou_loss"],
    # semi-supervised and VQ-VAE objectives
    ["val_loss", "val_sup_loss", "val_unsup_loss", "val_consistency_loss"],
    ["val_loss", "val_commitment_loss", "val_perceptual_loss"],
])
def test_the_parts_of_one_loss_are_no_evaluation_sets(components):
    """A validation loss logged in parts is one evaluation set: no finding names
    "evaluation set angle" or "evaluation set dice"."""
    tags = ["train_loss", *components]
    assert eval_sets(tags, infer_roles(tags)) == []


def test_a_real_second_evaluation_set_beside_loss_parts_is_still_listed():
    tags = ["train_loss", "val_loss", "val_dice_loss", "val_ood_loss"]
    assert [s.name for s in eval_sets(tags, infer_roles(tags))] == ["ood"]


def test_the_loss_components_logged_for_training_and_validation_are_paired():
    # Ultralytics: the box loss is what the roles judge; its class and distribution-focal
    # parts are paired by name; a part logged for validation alone pairs with nothing
    tags = ["train/box_loss", "train/cls_loss", "train/dfl_loss", "val/box_loss",
            "val/cls_loss", "val/dfl_loss", "val/seg_loss", "metrics/mAP50(B)"]
    assert loss_components(tags, infer_roles(tags)) == [
        LossComponent("cls", "train/cls_loss", "val/cls_loss"),
        LossComponent("dfl", "train/dfl_loss", "val/dfl_loss")]
    # a total loss and its parts (Lightning): the parts are paired beside the total
    tags = ["train_loss", "val_loss", "train_dice_loss", "val_dice_loss"]
    assert loss_components(tags, infer_roles(tags)) == [
        LossComponent("dice", "train_dice_loss", "val_dice_loss")]
    # a second evaluation set is no component
    tags = ["train_loss", "val_loss", "val_ood_loss"]
    assert loss_components(tags, infer_roles(tags)) == []


def test_torchmetrics_class_names_play_the_accuracy_roles():
    # Lightning Flash segmentation: the IoU is logged by its torchmetrics class name
    tags = ["train_cross_entropy_epoch", "train_cross_entropy_step", "val_cross_entropy",
            "train_multiclassjaccardindex_epoch", "val_multiclassjaccardindex"]
    roles = infer_roles(tags)
    assert roles["val_acc"] == "val_multiclassjaccardindex"
    assert roles["train_acc"] == "train_multiclassjaccardindex_epoch"
