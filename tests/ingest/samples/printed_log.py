"""A training loop's printed log, with a logger's prefix and a settings line first."""

from __future__ import annotations

from pathlib import Path

TEXT = """2025-06-04 17:36:55,374 - INFO - num_epochs: 3
2025-06-04 17:39:02,341 - INFO - Epoch 1/3, Train Loss: 1.6279, Test Acc: 59.86%
2025-06-04 17:41:24,241 - INFO - Epoch 2/3, Train Loss: 1.2434, Test Acc: 69.33%
2025-06-04 17:44:04,911 - INFO - Epoch 3/3, Train Loss: 1.1221, Test Acc: 72.48%
"""


def write_sample(folder: Path) -> dict:
    run = folder / "printed_run"
    run.mkdir(parents=True)
    (run / "training.log").write_text(TEXT)
    tags = {"Train Loss": 3, "Test Acc": 3}
    return {"path": run, "tags": tags, "n": 6}
