"""A W&B offline run as wandb 0.31.0 wrote it (tests/ingest/fixtures/wandb), laid out as
``wandb/`` is on disk: the run folder, and ``latest-run`` and ``debug.log`` links to it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

FIXTURE = Path(__file__).parent.parent / "fixtures" / "wandb"
RUN = "offline-run-20261201_092754-znliv50t"


def write_sample(folder: Path) -> dict:
    top = folder / "wandb"
    run = top / RUN
    (run / "files").mkdir(parents=True)
    (run / "logs").mkdir()
    shutil.copy(FIXTURE / RUN / "run-znliv50t.wandb", run)
    (run / "files" / "wandb-summary.json").write_text('{"_step": 7, "train/loss": 0.25}')
    (run / "logs" / "debug.log").write_text("2026-12-01 09:27:54,000 INFO setup\n")
    os.symlink(RUN, top / "latest-run")
    os.symlink(f"{RUN}/logs/debug.log", top / "debug.log")
    tags = {"train/loss": 8, "lr": 8, "val/loss": 4, "val/acc": 4}
    return {"path": run, "tags": tags, "n": sum(tags.values())}
