"""A small Keras CSVLogger run: training.log (epoch first, sorted metric names, NA)."""

from __future__ import annotations

from pathlib import Path

TRAINING_LOG = """\
epoch,accuracy,loss,val_accuracy,val_loss
0,0.52,1.31,0.55,1.20
1,0.68,0.94,0.66,0.98
2,0.75,0.71,NA,NA
3,0.80,0.58,0.71,0.83
"""


def write_sample(folder: Path) -> dict:
    run = folder / "keras_run"
    run.mkdir(parents=True)
    (run / "training.log").write_text(TRAINING_LOG)
    tags = {"accuracy": 4, "loss": 4, "val_accuracy": 3, "val_loss": 3}
    return {"path": run, "tags": tags, "n": sum(tags.values())}
