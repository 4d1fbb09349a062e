"""Where a run's numbers go: TensorBoard event files, a Lightning-style metrics.csv, a
Hugging Face ``trainer_state.json`` or a Keras CSVLogger ``training.log``.

Every writer takes ``row(values, step, epoch)`` calls (the values logged together at
one point) and ``hparams(...)`` once. The TensorBoard and Lightning writers leave an
``hparams.yaml`` beside the logs, as PyTorch Lightning does; the HF and Keras writers
write only what those libraries write.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, ClassVar

import yaml

#: files a previous run of the trainer may have left in a run folder
OWN_FILES = ("events.out.tfevents.*", "hparams.yaml", "metrics.csv", "trainer_state.json",
             "training.log")


def clear_run_dir(path: Path) -> None:
    """Remove the log files an earlier run left in ``path`` (nothing else)."""
    if path.is_dir():
        for pattern in OWN_FILES:
            for old in path.glob(pattern):
                if old.is_file():
                    old.unlink()


def write_hparams_yaml(path: Path, hparams: dict[str, Any]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    with open(path / "hparams.yaml", "w", encoding="utf-8") as fh:
        yaml.safe_dump(hparams, fh, sort_keys=True)


class TensorBoardWriter:
    """Scalars through ``torch.utils.tensorboard.SummaryWriter`` into one event file.

    The hparams go into the same event file (the hparams plugin's experiment,
    session-start and session-end summaries), not into a sub-run as
    ``SummaryWriter.add_hparams`` would do.
    """

    def __init__(self, path: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.path = path
        self._writer = SummaryWriter(log_dir=str(path), flush_secs=30)

    def scalar(self, tag: str, value: float, step: int) -> None:
        self._writer.add_scalar(tag, value, step)

    def row(self, values: dict[str, float], step: int, epoch: float) -> None:
        for tag, value in values.items():
            self._writer.add_scalar(tag, value, step)

    def hparams(self, hparams: dict[str, Any], metrics: dict[str, float]) -> None:
        from torch.utils.tensorboard.summary import hparams as hparams_summaries

        clean = {k: v for k, v in metrics.items() if math.isfinite(v)}
        for summary in hparams_summaries(hparams, clean):
            self._writer.file_writer.add_summary(summary)
        write_hparams_yaml(self.path, hparams)

    def close(self) -> None:
        self._writer.close()


class LightningCSVWriter:
    """A ``metrics.csv`` like Lightning's CSVLogger writes under ``version_0/``.

    Each row holds the metrics logged at one step (so rows are sparse), with an
    ``epoch`` and a ``step`` column; ``lr`` is logged as ``lr-SGD`` /
    ``lr-Adam`` the way Lightning's LearningRateMonitor names it.
    """

    RENAME: ClassVar[dict[str, str]] = {
        "train/loss": "train_loss_step", "train/acc": "train_acc_epoch",
        "val/loss": "val_loss", "val/acc": "val_acc", "grad_norm": "grad_norm",
    }

    def __init__(self, path: Path, optimizer_name: str = "SGD") -> None:
        self.path = path / "version_0"
        self.path.mkdir(parents=True, exist_ok=True)
        self._lr_name = f"lr-{optimizer_name}"
        self._rows: dict[tuple[int, int], dict[str, Any]] = {}
        self._columns: list[str] = []
        self.epoch = 0

    def scalar(self, tag: str, value: float, step: int) -> None:
        name = self._lr_name if tag == "lr" else self.RENAME.get(tag, tag.replace("/", "_"))
        if name not in self._columns:
            self._columns.append(name)
        self._rows.setdefault((step, self.epoch), {})[name] = value

    def row(self, values: dict[str, float], step: int, epoch: float) -> None:
        self.epoch = int(epoch)
        for tag, value in values.items():
            self.scalar(tag, value, step)

    def hparams(self, hparams: dict[str, Any], metrics: dict[str, float]) -> None:
        write_hparams_yaml(self.path, hparams)

    def close(self) -> None:
        columns = ["epoch", "step", *self._columns]
        with open(self.path / "metrics.csv", "w", newline="", encoding="utf-8") as fh:
            out = csv.DictWriter(fh, fieldnames=columns)
            out.writeheader()
            for (step, epoch), row in self._rows.items():
                out.writerow({"epoch": epoch, "step": step, **row})


class HFTrainerStateWriter:
    """``trainer_state.json`` as the Hugging Face ``Trainer`` saves it.

    Each row becomes one ``log_history`` entry with a fractional ``epoch`` and the
    ``step``; the end-of-training summary entry (``train_runtime``, ``train_loss``,
    ``total_flos``) closes the history, as HF writes it.
    """

    def __init__(self, path: Path, *, batch_size: int, epochs: int, logging_steps: int,
                 eval_steps: int) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self._history: list[dict[str, Any]] = []
        self._settings = {"train_batch_size": batch_size, "num_train_epochs": epochs,
                          "logging_steps": logging_steps, "eval_steps": eval_steps}
        self._last = (0, 0.0)
        self._train_losses: list[float] = []

    def row(self, values: dict[str, float], step: int, epoch: float) -> None:
        self._history.append({**values, "epoch": round(epoch, 4), "step": step})
        self._last = (step, epoch)
        if "loss" in values:
            self._train_losses.append(values["loss"])

    def end(self, step: int, epoch: float) -> None:
        """Training stopped after ``step`` steps (``epoch`` epochs, fractional)."""
        self._last = (step, epoch)

    def hparams(self, hparams: dict[str, Any], metrics: dict[str, float]) -> None:
        step, epoch = self._last
        losses = self._train_losses
        self._history.append({"epoch": round(epoch, 4), "step": step, "total_flos": 0.0,
                              "train_loss": sum(losses) / len(losses) if losses else 0.0,
                              "train_runtime": 1.0})

    def close(self) -> None:
        step, epoch = self._last
        state = {"best_metric": None, "best_model_checkpoint": None,
                 "epoch": round(epoch, 4), "global_step": step, "is_hyper_param_search": False,
                 "is_local_process_zero": True, "is_world_process_zero": True,
                 "log_history": self._history, "max_steps": step, **self._settings,
                 "total_flos": 0.0, "trial_name": None, "trial_params": None}
        (self.path / "trainer_state.json").write_text(json.dumps(state, indent=2),
                                                       encoding="utf-8")


class KerasCSVWriter:
    """``training.log`` as Keras' ``CSVLogger`` writes it: one row per epoch (0-based),
    an ``epoch`` column first, then the metric names sorted, ``NA`` where missing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self._rows: dict[int, dict[str, float]] = {}

    def row(self, values: dict[str, float], step: int, epoch: float) -> None:
        self._rows.setdefault(int(epoch), {}).update(values)

    def hparams(self, hparams: dict[str, Any], metrics: dict[str, float]) -> None:
        pass  # CSVLogger writes no hyper-parameters

    def close(self) -> None:
        columns = sorted({k for row in self._rows.values() for k in row})
        with open(self.path / "training.log", "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["epoch", *columns])
            for epoch, row in sorted(self._rows.items()):
                out.writerow([epoch, *(repr(float(row[c])) if c in row else "NA"
                                       for c in columns)])
