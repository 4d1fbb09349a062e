"""The training loop: a :class:`RunSpec` in, a folder of logs and a summary out.

Deterministic given the spec: one CPU thread, deterministic algorithms, the
seed drives initialisation and batch order. Logged every ``log_every`` steps:
``train/loss`` (the mean over the steps since the last log; at step 0 the loss
at initialisation), ``lr`` and ``grad_norm`` at that step. After every epoch
(and once before the first step): ``val/loss``, ``val/acc`` and the epoch's
``train/acc``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import data as datasets
from . import models
from .reporting import Reporter
from .spec import RunSpec
from .styles import LogStyle, style_of
from .writers import (
    HFTrainerStateWriter,
    KerasCSVWriter,
    LightningCSVWriter,
    TensorBoardWriter,
    clear_run_dir,
)


@dataclass
class Summary:
    """What a finished run reports: where it wrote, how far it got, its last numbers."""

    path: str
    steps: int
    epochs: int
    stopped: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    #: every logged value by role (see :mod:`curvedoc.trainer.reporting`)
    history: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    steps_per_epoch: int = 0
    num_classes: int = 0


def lr_at(spec: RunSpec, step: int, epoch: int, total_steps: int) -> float:
    """The learning rate at optimiser step ``step`` (in epoch ``epoch``, 0-based)."""
    if spec.schedule == "constant":
        return spec.lr
    if spec.schedule == "step":
        return spec.lr * spec.gamma ** sum(epoch >= m for m in spec.milestones)
    if spec.schedule == "exponential":
        return spec.lr * spec.gamma ** epoch
    if spec.schedule == "cosine":
        return spec.lr * 0.5 * (1 + math.cos(math.pi * step / max(total_steps, 1)))
    if spec.schedule == "range_test":
        frac = step / max(total_steps - 1, 1)
        return spec.lr * (spec.lr_end / spec.lr) ** frac
    warm = max(int(spec.warmup * total_steps), 1)
    if spec.schedule == "warmup":
        return spec.lr * min(1.0, (step + 1) / warm)
    if spec.schedule == "warmup_cosine":
        if step < warm:
            return spec.lr * (step + 1) / warm
        frac = (step - warm) / max(total_steps - warm, 1)
        return spec.lr * 0.5 * (1 + math.cos(math.pi * frac))
    if spec.schedule == "onecycle":
        # torch.optim.lr_scheduler.OneCycleLR's cosine shape: lr/25 -> lr -> lr/1e4
        warm = max(int((spec.warmup or 0.3) * total_steps), 1)
        low, floor = spec.lr / 25, spec.lr / 1e4
        if step < warm:
            return low + (spec.lr - low) * 0.5 * (1 - math.cos(math.pi * step / warm))
        frac = (step - warm) / max(total_steps - warm, 1)
        return floor + (spec.lr - floor) * 0.5 * (1 + math.cos(math.pi * frac))
    raise ValueError(f"unknown schedule {spec.schedule!r}")


def _optimizer(spec: RunSpec, params) -> torch.optim.Optimizer:
    if spec.optimizer == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum,
                               weight_decay=spec.weight_decay)
    if spec.optimizer == "adam":
        return torch.optim.Adam(params, lr=spec.lr, weight_decay=spec.weight_decay)
    if spec.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=spec.lr, weight_decay=spec.weight_decay)
    raise ValueError(f"unknown optimizer {spec.optimizer!r}")


def _loss_fn(num_classes: int):
    if num_classes:
        return nn.CrossEntropyLoss()
    mse = nn.MSELoss()
    return lambda out, y: mse(out.squeeze(-1), y)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int
             ) -> dict[str, float]:
    """Loss (and accuracy for classification) on a whole split, in eval mode."""
    model.eval()
    out = model(x)
    metrics = {"loss": float(_loss_fn(num_classes)(out, y))}
    if num_classes:
        metrics["acc"] = float((out.argmax(-1) == y).float().mean())
    model.train()
    return metrics


@contextmanager
def deterministic(seed: int) -> Iterator[torch.Generator]:
    """One thread, deterministic kernels, seeded RNGs; the process settings come back after."""
    threads = torch.get_num_threads()
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    try:
        yield torch.Generator().manual_seed(seed)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(was_deterministic)


def train(spec: RunSpec, out_dir: str | Path, *, max_steps: int | None = None) -> Summary:
    """Train the run ``spec`` describes and write its logs into ``out_dir``.

    Log files an earlier run left in ``out_dir`` are replaced. ``max_steps``
    stops early (for smoke tests); the logs then simply end sooner.
    """
    with deterministic(spec.seed) as generator:
        return _train(spec, Path(out_dir), generator, max_steps)


def _make_writer(spec: RunSpec, style: LogStyle, out: Path, optimizer_name: str,
                 steps_per_epoch: int, eval_every: int) -> Any:
    if style.format == "lightning_csv":
        return LightningCSVWriter(out, optimizer_name=optimizer_name)
    if style.format == "hf_trainer_state":
        return HFTrainerStateWriter(out, batch_size=spec.batch_size, epochs=spec.epochs,
                                    logging_steps=style.train_every or spec.log_every,
                                    eval_steps=eval_every or steps_per_epoch)
    if style.format == "keras_csv":
        return KerasCSVWriter(out)
    return TensorBoardWriter(out)


def _train(spec: RunSpec, out: Path, generator: torch.Generator,
           max_steps: int | None) -> Summary:
    started = time.perf_counter()
    clear_run_dir(out)
    clear_run_dir(out / "version_0")
    style = style_of(spec.log_style, spec.logger)
    data = datasets.load(spec.dataset, spec.train_size)
    model = models.build(spec, data.input_shape, data.num_classes)
    optimizer = _optimizer(spec, model.parameters())
    loss_fn = _loss_fn(data.num_classes)
    classify = bool(data.num_classes)

    n = len(data.x_train)
    steps_per_epoch = math.ceil(n / spec.batch_size)
    total_steps = steps_per_epoch * spec.epochs
    optimizer_name = type(optimizer).__name__
    writer = _make_writer(spec, style, out, optimizer_name, steps_per_epoch, spec.eval_every)
    report = Reporter(style, writer, log_every=spec.log_every, eval_every=spec.eval_every,
                      steps_per_epoch=steps_per_epoch, optimizer_name=optimizer_name,
                      classify=classify, default_layout=spec.log_style == "default")

    def log_val(done: int, epoch: int) -> dict[str, float]:
        val = evaluate(model, data.x_val, data.y_val, data.num_classes)
        report.validation(done, epoch, val)
        return val

    step, epoch, bad_steps, stopped, lr = 0, 0, 0, "", spec.lr
    best_smooth, smooth = math.inf, 0.0
    if report.wants_eval_at_start():
        log_val(0, 0)
    try:
        for epoch in range(spec.epochs):
            order = torch.randperm(n, generator=generator)
            correct = seen = 0
            for start in range(0, n, spec.batch_size):
                idx = order[start:start + spec.batch_size]
                xb, yb = data.x_train[idx], data.y_train[idx]
                lr = lr_at(spec, step, epoch, total_steps)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                outputs = model(xb)
                loss = loss_fn(outputs, yb)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                grad_norm = float(nn.utils.clip_grad_norm_(model.parameters(), math.inf))
                optimizer.step()
                value = float(loss.detach())
                if classify:
                    correct += int((outputs.argmax(-1) == yb).sum())
                    seen += len(yb)
                report.step(step, epoch, value, lr, grad_norm)
                step += 1
                bad_steps = 0 if math.isfinite(value) else bad_steps + 1
                if bad_steps >= spec.nan_patience:
                    stopped = f"loss not finite for {bad_steps} steps"
                elif spec.stop_factor and math.isfinite(value):
                    smooth = 0.9 * smooth + 0.1 * value
                    unbiased = smooth / (1 - 0.9 ** step)
                    best_smooth = min(best_smooth, unbiased)
                    if step > 10 and unbiased > spec.stop_factor * best_smooth:
                        stopped = f"smoothed loss above {spec.stop_factor}x its minimum"
                if max_steps is not None and step >= max_steps:
                    stopped = stopped or f"max_steps={max_steps}"
                if stopped:
                    break
                if report.eval_every and report.wants_eval_after(step, False):
                    log_val(step, epoch)
            report.epoch_end(step, epoch, correct / seen if classify and seen else None, lr)
            if not report.eval_every:
                log_val(step, epoch)
            if stopped:
                break
        report.finish(step)
        val = evaluate(model, data.x_val, data.y_val, data.num_classes)
        metrics = {f"hparam/val_{k}": v for k, v in val.items()}
        hparams = spec.hparams()
        if classify:
            hparams["num_classes"] = data.num_classes
        writer.hparams(hparams, metrics)
    finally:
        writer.close()
    return Summary(path=str(out), steps=step, epochs=epoch + 1, stopped=stopped,
                   metrics={k.removeprefix("hparam/"): v for k, v in metrics.items()},
                   seconds=time.perf_counter() - started, history=report.history,
                   steps_per_epoch=steps_per_epoch, num_classes=data.num_classes)
