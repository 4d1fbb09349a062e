"""One Ray Tune trial as ray 2.60.0 wrote it (tests/ingest/fixtures/ray_tune), in its experiment."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURE = Path(__file__).parent.parent / "fixtures" / "ray_tune" / "lr_sweep"
TRIAL = "trainable_ffd68_00000_0_lr=0.0100_2026-12-01_09-31-34"


def write_sample(folder: Path) -> dict:
    experiment = folder / "lr_sweep"
    shutil.copytree(FIXTURE, experiment, ignore=shutil.ignore_patterns("trainable_ffd68_00001*"))
    tags = {"train_loss": 5, "val_loss": 5, "val_acc": 5}
    return {"path": experiment / TRIAL, "tags": tags, "n": sum(tags.values())}
