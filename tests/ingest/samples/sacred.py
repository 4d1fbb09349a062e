"""A Sacred FileStorageObserver run as sacred 0.8.7 wrote it (tests/ingest/fixtures/sacred)."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURE = Path(__file__).parent.parent / "fixtures" / "sacred" / "sacred_runs"


def write_sample(folder: Path) -> dict:
    base = folder / "sacred_runs"
    base.mkdir()
    shutil.copytree(FIXTURE / "1", base / "1")
    shutil.copytree(FIXTURE / "_sources", base / "_sources")
    tags = {"train.loss": 6, "val.loss": 6, "val.accuracy": 6}
    return {"path": base / "1", "tags": tags, "n": sum(tags.values())}
