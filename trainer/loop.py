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
from .spec import RunSpec
from .writers import LightningCSVWriter, TensorBoardWriter, clear_run_dir


@dataclass
class Summary:
    """What a finished run reports: where it wrote, how far it got, its last numbers."""

    path: str
    steps: int
    epochs: int
    stopped: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


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


def _train(spec: RunSpec, out: Path, generator: torch.Generator,
           max_steps: int | None) -> Summary:
    started = time.perf_counter()
    clear_run_dir(out)
    clear_run_dir(out / "version_0")
    data = datasets.load(spec.dataset, spec.train_size)
    model = models.build(spec, data.input_shape, data.num_classes)
    optimizer = _optimizer(spec, model.parameters())
    loss_fn = _loss_fn(data.num_classes)
    classify = bool(data.num_classes)

    n = len(data.x_train)
    steps_per_epoch = math.ceil(n / spec.batch_size)
    total_steps = steps_per_epoch * spec.epochs
    if spec.logger == "lightning_csv":
        writer: Any = LightningCSVWriter(out, optimizer_name=type(optimizer).__name__)
    else:
        writer = TensorBoardWriter(out)

    def log_val(step: int) -> dict[str, float]:
        val = evaluate(model, data.x_val, data.y_val, data.num_classes)
        for name, value in val.items():
            writer.scalar(f"val/{name}", value, step)
        return val

    step, epoch, bad_steps, stopped = 0, 0, 0, ""
    window: list[float] = []
    best_smooth, smooth = math.inf, 0.0
    val = log_val(0)
    try:
        for epoch in range(spec.epochs):
            if hasattr(writer, "epoch"):
                writer.epoch = epoch
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
                window.append(value)
                if step % spec.log_every == 0:
                    # the mean since the last log, as the HF Trainer logs it
                    writer.scalar("train/loss", sum(window) / len(window), step)
                    window.clear()
                    writer.scalar("lr", lr, step)
                    writer.scalar("grad_norm", grad_norm, step)
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
            if classify and seen:
                writer.scalar("train/acc", correct / seen, step)
            val = log_val(step)
            if stopped:
                break
        metrics = {f"hparam/val_{k}": v for k, v in val.items()}
        hparams = spec.hparams()
        if classify:
            hparams["num_classes"] = data.num_classes
        writer.hparams(hparams, metrics)
    finally:
        writer.close()
    return Summary(path=str(out), steps=step, epochs=epoch + 1, stopped=stopped,
                   metrics={k.removeprefix("hparam/"): v for k, v in metrics.items()},
                   seconds=time.perf_counter() - started)
