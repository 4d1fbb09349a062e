"""How a run logs: the logging styles of real trainers, as named presets.

A :class:`LogStyle` says which file format the numbers go into, what each
curve's tag is called, how often the training loss is logged (every N steps,
or once per epoch as its mean), when validation runs (after every epoch, or
every N steps) and what the x axis is (the optimiser step, or the epoch number:
then the first point comes after a whole epoch). Torch-free.

    RunSpec(log_style="keras")        # training.log, one row per epoch
    RunSpec(log_style="hf_steps")     # trainer_state.json, eval every N steps
"""

from __future__ import annotations

from dataclasses import dataclass

FORMATS = ("tensorboard", "lightning_csv", "hf_trainer_state", "keras_csv")
AXES = ("step", "epoch1", "epoch0")


@dataclass(frozen=True)
class LogStyle:
    """Tags and cadence of one trainer's logs; an empty tag is not logged."""

    format: str = "tensorboard"
    #: the training loss every ``train_every`` steps
    train_step: str = "train/loss"
    #: "mean": the mean since the last log (HF); "last": that step's own loss (Lightning)
    step_value: str = "mean"
    #: steps between training-loss logs; 0: the RunSpec's ``log_every``
    train_every: int = 0
    #: the epoch's mean training loss, logged at its end
    train_epoch: str = ""
    train_acc: str = "train/acc"
    val_loss: str = "val/loss"
    val_acc: str = "val/acc"
    #: "{opt}" is replaced by the optimiser's class name (Lightning's ``lr-Adam``)
    lr: str = "lr"
    grad_norm: str = "grad_norm"
    #: a scalar holding the epoch (Lightning's ``epoch``, HF's ``train/epoch``)
    epoch_tag: str = ""
    #: validate every this many steps (0: after every epoch; the RunSpec's
    #: ``eval_every`` overrides it when set)
    eval_every: int = 0
    #: validate once before the first step
    eval_at_start: bool = True
    #: the x axis: "step" (optimiser steps done), "epoch1" (epochs done: the first point
    #: is 1, after a whole epoch), "epoch0" (the epoch's index: 0 for the first epoch's end)
    axis: str = "step"
    #: the validation tags name a test set (no validation set is logged)
    val_is_test: bool = False

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown log format {self.format!r}: use one of {FORMATS}")
        if self.axis not in AXES:
            raise ValueError(f"unknown axis {self.axis!r}: use one of {AXES}")

    @property
    def per_epoch_only(self) -> bool:
        """Nothing is logged between epoch ends (the first point follows a whole epoch)."""
        return not self.train_step and not self.eval_every and not self.eval_at_start


STYLES: dict[str, LogStyle] = {
    # what the trainer always did: train/loss every log_every steps, val before training
    "default": LogStyle(),
    "tb_slash": LogStyle(train_step="Loss/train", train_acc="Accuracy/train",
                         val_loss="Loss/val", val_acc="Accuracy/val", lr="learning_rate",
                         grad_norm="", eval_at_start=False),
    "tb_per_step": LogStyle(train_step="loss", step_value="last", train_every=1,
                            train_acc="", val_loss="val_loss", val_acc="val_accuracy",
                            lr="lr", grad_norm="grad_norm", eval_at_start=False),
    "tb_epoch1": LogStyle(train_step="", train_epoch="loss/train", train_acc="acc/train",
                          val_loss="loss/val", val_acc="acc/val", lr="lr", grad_norm="",
                          eval_at_start=False, axis="epoch1"),
    "tb_epoch0": LogStyle(train_step="", train_epoch="train_loss", train_acc="train_acc",
                          val_loss="val_loss", val_acc="val_acc", lr="", grad_norm="",
                          eval_at_start=False, axis="epoch0"),
    "tb_lightning": LogStyle(train_step="train_loss_step", step_value="last",
                             train_epoch="train_loss_epoch", train_acc="train_acc_epoch",
                             val_loss="val_loss_epoch", val_acc="val_acc_epoch",
                             lr="lr-{opt}", grad_norm="", epoch_tag="epoch",
                             eval_at_start=False),
    "tb_freetext": LogStyle(train_step="Training loss", train_acc="",
                            val_loss="Validation loss (avg)", val_acc="Validation accuracy",
                            lr="Learning rate", grad_norm="", eval_every=25,
                            eval_at_start=False),
    "tb_hf": LogStyle(train_step="train/loss", train_acc="", val_loss="eval/loss",
                      val_acc="eval/accuracy", lr="train/learning_rate",
                      grad_norm="train/grad_norm", epoch_tag="train/epoch", eval_every=40,
                      eval_at_start=False),
    "tb_valid": LogStyle(train_step="train/loss", step_value="last", train_acc="",
                         val_loss="valid/loss", val_acc="valid/acc", lr="", grad_norm=""),
    "tb_eval_loss": LogStyle(train_step="loss", train_acc="", val_loss="eval_loss",
                             val_acc="eval_accuracy", lr="learning_rate", grad_norm="",
                             eval_every=30, eval_at_start=False),
    "tb_test": LogStyle(train_step="train_loss", train_acc="train_acc", val_loss="test_loss",
                        val_acc="test_acc", lr="lr", grad_norm="", eval_at_start=False,
                        val_is_test=True),
    "lightning_csv": LogStyle(format="lightning_csv", train_step="train_loss_step",
                              step_value="last", train_epoch="train_loss_epoch",
                              train_acc="train_acc_epoch", val_loss="val_loss",
                              val_acc="val_acc", lr="lr-{opt}", grad_norm="",
                              eval_at_start=False),
    "lightning_csv_epoch": LogStyle(format="lightning_csv", train_step="",
                                    train_epoch="train_loss", train_acc="train_acc",
                                    val_loss="val_loss", val_acc="val_acc", lr="",
                                    grad_norm="", eval_at_start=False),
    "hf_steps": LogStyle(format="hf_trainer_state", train_step="loss", train_acc="",
                         val_loss="eval_loss", val_acc="eval_accuracy", lr="learning_rate",
                         grad_norm="grad_norm", eval_every=50, eval_at_start=False),
    "hf_epoch": LogStyle(format="hf_trainer_state", train_step="loss", train_acc="",
                         val_loss="eval_loss", val_acc="eval_accuracy", lr="learning_rate",
                         grad_norm="grad_norm", eval_at_start=False),
    "keras": LogStyle(format="keras_csv", train_step="", train_epoch="loss",
                      train_acc="accuracy", val_loss="val_loss", val_acc="val_accuracy",
                      lr="lr", grad_norm="", eval_at_start=False, axis="epoch0"),
    "keras_nolr": LogStyle(format="keras_csv", train_step="", train_epoch="loss",
                           train_acc="accuracy", val_loss="val_loss",
                           val_acc="val_accuracy", lr="", grad_norm="", eval_at_start=False,
                           axis="epoch0"),
}


def style_of(name: str, logger: str = "tensorboard") -> LogStyle:
    """The preset ``name``; "default" keeps the RunSpec's ``logger`` (TensorBoard or
    Lightning's CSV with the trainer's historical tag names)."""
    if name not in STYLES:
        raise ValueError(f"unknown log style {name!r}: use one of {', '.join(STYLES)}")
    style = STYLES[name]
    if name == "default" and logger != "tensorboard":
        from dataclasses import replace

        style = replace(style, format=logger)
    return style
