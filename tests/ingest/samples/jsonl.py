"""A small JSON-lines run: metrics.jsonl with nested objects and a timestamp."""

from __future__ import annotations

import json
from pathlib import Path

RECORDS = [
    {"step": 0, "time": 1_700_000_000.0, "train": {"loss": 2.3}, "lr": 0.1},
    {"step": 10, "time": 1_700_000_010.0, "train": {"loss": 1.7}, "lr": 0.1},
    {"step": 10, "time": 1_700_000_011.0, "val": {"loss": 1.8, "acc": 0.41}},
    {"step": 20, "time": 1_700_000_020.0, "train": {"loss": 1.2}, "lr": 0.05, "note": "ok"},
]


def write_sample(folder: Path) -> dict:
    run = folder / "jsonl_run"
    run.mkdir(parents=True)
    text = "".join(json.dumps(record) + "\n" for record in RECORDS)
    (run / "metrics.jsonl").write_text(text)
    tags = {"train/loss": 3, "lr": 3, "val/loss": 1, "val/acc": 1}
    return {"path": run, "tags": tags, "n": sum(tags.values())}
