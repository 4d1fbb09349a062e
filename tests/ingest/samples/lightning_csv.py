"""A small PyTorch Lightning CSVLogger run: version_0/metrics.csv + hparams.yaml."""

from __future__ import annotations

from pathlib import Path

# Sparse rows as Lightning writes them: step rows and epoch rows leave each other's cells empty.
METRICS = """\
epoch,lr-SGD,step,train_loss_epoch,train_loss_step,val_acc,val_loss
0,0.1,0,,2.30,,
0,,1,,1.90,,
0,,1,2.10,,0.40,1.80
1,0.05,2,,1.50,,
1,,3,,1.20,,
1,,3,1.35,,0.55,1.40
"""


def write_sample(folder: Path) -> dict:
    run = folder / "lightning_logs" / "version_0"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text(METRICS)
    (run / "hparams.yaml").write_text("lr: 0.1\nbatch_size: 32\n")
    tags = {
        "lr-SGD": 2, "train_loss_step": 4, "train_loss_epoch": 2, "val_acc": 2, "val_loss": 2
    }
    return {"path": run, "tags": tags, "n": sum(tags.values())}
