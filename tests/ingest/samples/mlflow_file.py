"""A small MLflow file-store run: mlruns/0/<run_id>/ with nested metric keys and params."""

from __future__ import annotations

from pathlib import Path

RUN_ID = "5f2c0a9d3b1e4f6a8c7d9e0f1a2b3c4d"


def write_sample(folder: Path) -> dict:
    experiment = folder / "mlruns" / "0"
    run = experiment / RUN_ID
    for sub in ("metrics/train", "metrics/val", "params", "tags", "artifacts"):
        (run / sub).mkdir(parents=True)
    (experiment / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")
    (run / "meta.yaml").write_text(
        f"run_id: {RUN_ID}\nrun_uuid: {RUN_ID}\nexperiment_id: '0'\nlifecycle_stage: active\n"
    )
    (run / "metrics" / "train" / "loss").write_text(
        "1700000000000 2.3 0\n1700000001000 1.6 1\n1700000002000 1.1 2\n"
    )
    (run / "metrics" / "val" / "loss").write_text("1700000001500 1.8 1\n1700000002500 1.4 2\n")
    (run / "metrics" / "lr").write_text("1700000000000 0.1 0\n1700000002000 0.01 2\n")
    (run / "params" / "lr").write_text("0.1")
    (run / "params" / "optimizer").write_text("sgd")
    (run / "tags" / "mlflow.runName").write_text("brave-fox-12")
    tags = {"train/loss": 3, "val/loss": 2, "lr": 2}
    return {"path": run, "tags": tags, "n": sum(tags.values())}
