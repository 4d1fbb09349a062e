"""Where a run's numbers go: TensorBoard event files or a Lightning-style metrics.csv.

Both writers take ``scalar(tag, value, step)`` calls and ``hparams(...)`` once,
and both leave an ``hparams.yaml`` beside the logs, as PyTorch Lightning does.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, ClassVar

import yaml

#: files a previous run of the trainer may have left in a run folder
OWN_FILES = ("events.out.tfevents.*", "hparams.yaml", "metrics.csv")


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

    def hparams(self, hparams: dict[str, Any], metrics: dict[str, float]) -> None:
        write_hparams_yaml(self.path, hparams)

    def close(self) -> None:
        columns = ["epoch", "step", *self._columns]
        with open(self.path / "metrics.csv", "w", newline="", encoding="utf-8") as fh:
            out = csv.DictWriter(fh, fieldnames=columns)
            out.writeheader()
            for (step, epoch), row in self._rows.items():
                out.writerow({"epoch": epoch, "step": step, **row})
