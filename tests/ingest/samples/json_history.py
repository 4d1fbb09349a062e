"""A small JSON history: Keras' history.history dumped with json.dump, with a setting."""

from __future__ import annotations

import json
from pathlib import Path

HISTORY = {"lr": 0.001, "history": {"loss": [2.3, 1.7, 1.2], "accuracy": [0.2, 0.5, 0.6],
                                    "val_loss": [2.1, 1.8, 1.6]}}


def write_sample(folder: Path) -> dict:
    run = folder / "keras_run"
    run.mkdir(parents=True)
    (run / "history.json").write_text(json.dumps(HISTORY, indent=2))
    tags = {"history/loss": 3, "history/accuracy": 3, "history/val_loss": 3}
    return {"path": run, "tags": tags, "n": sum(tags.values())}
