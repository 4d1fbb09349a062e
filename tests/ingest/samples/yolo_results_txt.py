"""YOLOv5's results.txt of three epochs, as train.py appended it before results.csv."""

from __future__ import annotations

from pathlib import Path

LINES = (
    "     0/299     3.41G   0.09811   0.03042   0.02818    0.1567        97       640"
    "    0.1101   0.05432   0.02111  0.005011   0.07938   0.02951   0.02687\n"
    "     1/299     3.41G   0.07622   0.02901   0.02233    0.1276        84       640"
    "    0.3542    0.2201    0.1433   0.05012   0.06631   0.02802   0.02011\n"
    "     2/299     3.41G   0.06803   0.02844   0.01902    0.1155       101       640"
    "    0.4822    0.3411    0.2871    0.1122   0.05917   0.02733   0.01655\n"
)


def write_sample(folder: Path) -> dict:
    run = folder / "exp3"
    run.mkdir(parents=True)
    (run / "results.txt").write_text(LINES)
    tags = ["train/box_loss", "train/obj_loss", "train/cls_loss", "metrics/precision",
            "metrics/recall", "metrics/mAP_0.5", "metrics/mAP_0.5:0.95", "val/box_loss",
            "val/obj_loss", "val/cls_loss"]
    return {"path": run, "tags": {t: 3 for t in tags}, "n": 3 * len(tags)}
