"""A DVCLive project folder as dvclive 3.49.1 wrote it (tests/ingest/fixtures/dvclive)."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURE = Path(__file__).parent.parent / "fixtures" / "dvclive" / "project"


def write_sample(folder: Path) -> dict:
    shutil.copytree(FIXTURE, folder / "exp1")
    tags = {"train/loss": 5, "val/loss": 5, "val/acc": 5, "lr": 5}
    return {"path": folder / "exp1", "tags": tags, "n": sum(tags.values())}
