"""From training events to logged rows: what a :class:`LogStyle` logs, and when.

The loop reports every optimiser step, every epoch end and every evaluation; the
:class:`Reporter` decides what of it is logged, under which tag, at which x, and
passes rows to the writer. It also keeps a copy of every logged value under its
role (``history``), so code that judges the curves (the benchmark corpus) reads
exactly the numbers in the files without parsing them. Torch-free.
"""

from __future__ import annotations

from typing import Any

from .styles import LogStyle

#: the roles under which ``Reporter.history`` keeps what was logged
ROLES = ("train_step", "train_epoch", "train_acc", "val_loss", "val_acc", "lr", "grad_norm")


class Reporter:
    """Turns loop events into the style's rows; ``history[role]`` = [(step, value), ...]
    with ``step`` always the number of optimiser steps done (whatever the x axis)."""

    def __init__(self, style: LogStyle, writer: Any, *, log_every: int, eval_every: int,
                 steps_per_epoch: int, optimizer_name: str, classify: bool,
                 default_layout: bool) -> None:
        self.style = style
        self.writer = writer
        self.train_every = style.train_every or log_every
        self.eval_every = eval_every or style.eval_every
        self.steps_per_epoch = steps_per_epoch
        self.classify = classify
        self.lr_tag = style.lr.replace("{opt}", optimizer_name)
        #: the trainer's own historical layout: train x is the step's 0-based index
        self.default_layout = default_layout
        self.history: dict[str, list[tuple[int, float]]] = {role: [] for role in ROLES}
        self._window: list[float] = []
        self._epoch_losses: list[float] = []

    # -- what the loop calls ---------------------------------------------------------------

    def step(self, index: int, epoch: int, loss: float, lr: float, grad_norm: float) -> None:
        """After optimiser step ``index`` (0-based) of epoch ``epoch``."""
        style = self.style
        self._window.append(loss)
        self._epoch_losses.append(loss)
        if not style.train_step:
            return
        done = index + 1
        due = index % self.train_every == 0 if self.default_layout else (
            done % self.train_every == 0)
        if not due:
            return
        value = loss if style.step_value == "last" else sum(self._window) / len(self._window)
        self._window.clear()
        x = index if self.default_layout else done
        values = {style.train_step: value}
        self._keep("train_step", done, value)
        if self.lr_tag:
            values[self.lr_tag] = lr
            self._keep("lr", done, lr)
        if style.grad_norm:
            values[style.grad_norm] = grad_norm
            self._keep("grad_norm", done, grad_norm)
        if style.epoch_tag:
            values[style.epoch_tag] = self._epoch_value(done, epoch)
        self._row(values, x, done, epoch)

    def epoch_end(self, done: int, epoch: int, train_acc: float | None, lr: float) -> None:
        """After the last step of epoch ``epoch`` (0-based); ``done`` steps so far."""
        style = self.style
        values: dict[str, float] = {}
        if style.train_epoch and self._epoch_losses:
            mean = sum(self._epoch_losses) / len(self._epoch_losses)
            values[style.train_epoch] = mean
            self._keep("train_epoch", done, mean)
        if style.train_acc and self.classify and train_acc is not None:
            values[style.train_acc] = train_acc
            self._keep("train_acc", done, train_acc)
        if self.lr_tag and not style.train_step:
            values[self.lr_tag] = lr
            self._keep("lr", done, lr)
        self._epoch_losses.clear()
        if values:
            if style.epoch_tag:
                values[style.epoch_tag] = self._epoch_value(done, epoch)
            self._row(values, self._x(done, epoch), done, epoch)

    def wants_eval_at_start(self) -> bool:
        return self.style.eval_at_start

    def wants_eval_after(self, done: int, epoch_ended: bool) -> bool:
        """Validate now? After every epoch, or every ``eval_every`` steps."""
        if self.eval_every:
            return done % self.eval_every == 0
        return epoch_ended

    def validation(self, done: int, epoch: int, metrics: dict[str, float]) -> None:
        """The validation ``metrics`` ("loss", maybe "acc") after ``done`` steps."""
        style = self.style
        values: dict[str, float] = {}
        if style.val_loss:
            values[style.val_loss] = metrics["loss"]
            self._keep("val_loss", done, metrics["loss"])
        if style.val_acc and "acc" in metrics:
            values[style.val_acc] = metrics["acc"]
            self._keep("val_acc", done, metrics["acc"])
        if not values:
            return
        if style.epoch_tag and style.format == "tensorboard" and not self.default_layout:
            values[style.epoch_tag] = self._epoch_value(done, epoch)
        x = done if self.eval_every or done == 0 else self._x(done, epoch)
        self._row(values, x, done, epoch)

    def finish(self, done: int) -> None:
        """Training is over after ``done`` steps (the HF state records its global step)."""
        if hasattr(self.writer, "end"):
            self.writer.end(done, done / self.steps_per_epoch)

    # -- helpers ---------------------------------------------------------------------------

    def _x(self, done: int, epoch: int) -> int:
        if self.style.axis == "epoch1":
            return epoch + 1
        if self.style.axis == "epoch0":
            return epoch
        return done

    def _epoch_value(self, done: int, epoch: int) -> float:
        if self.style.epoch_tag == "epoch":
            return float(epoch)  # Lightning logs the integer epoch
        return round(done / self.steps_per_epoch, 4)

    def _keep(self, role: str, done: int, value: float) -> None:
        self.history[role].append((done, value))

    def _row(self, values: dict[str, float], x: int, done: int, epoch: int) -> None:
        if self.style.format == "hf_trainer_state":
            self.writer.row(values, x, done / self.steps_per_epoch)
        else:
            self.writer.row(values, x, epoch)
