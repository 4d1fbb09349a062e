"""One root holding every non-TensorBoard format: each run is found once, by its format."""

from __future__ import annotations

import json
import sqlite3

from curvedoc.ingest import discover, read_run


def build_root(root):
    lightning = root / "lightning_logs" / "version_0"
    lightning.mkdir(parents=True)
    (lightning / "metrics.csv").write_text(
        "epoch,step,train_loss_step,val_loss\n0,0,2.0,\n0,1,,1.5\n"
    )
    (lightning / "hparams.yaml").write_text("lr: 0.1\n")
    keras = root / "keras"
    keras.mkdir()
    (keras / "training.log").write_text("epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n")
    hf = root / "hf" / "checkpoint-2"
    hf.mkdir(parents=True)
    (hf / "trainer_state.json").write_text(json.dumps(
        {"log_history": [{"loss": 1.0, "step": 1}, {"eval_loss": 1.2, "step": 2}]}))
    (hf / "config.json").write_text('{"model_type": "bert"}')
    mlrun = root / "mlruns" / "0" / "r1"
    (mlrun / "metrics").mkdir(parents=True)
    (mlrun / "meta.yaml").write_text("run_id: r1\n")
    (mlrun / "metrics" / "loss").write_text("1700000000000 1.0 0\n")
    conn = sqlite3.connect(root / "mlflow.db")
    with conn:
        conn.executescript(
            "CREATE TABLE experiments (experiment_id INTEGER);"
            "CREATE TABLE runs (run_uuid TEXT, name TEXT);"
            "CREATE TABLE params (key TEXT, value TEXT, run_uuid TEXT);"
            "CREATE TABLE metrics (key TEXT, value FLOAT, timestamp INTEGER, run_uuid TEXT,"
            " step INTEGER, is_nan BOOLEAN);"
            "INSERT INTO runs VALUES ('u1', 'db-run');"
            "INSERT INTO metrics VALUES ('loss', 1.0, 1700000000000, 'u1', 0, 0);"
        )
    conn.close()
    (root / "sweep").mkdir()
    (root / "sweep" / "a.jsonl").write_text('{"step": 0, "loss": 1.0}\n')
    (root / "sweep" / "b.csv").write_text("step,loss\n0,2.0\n")
    (root / "notes.txt").write_text("nothing to see here\n")
    (root / "tb").mkdir()
    (root / "tb" / "events.out.tfevents.1700000000.host").write_bytes(b"")
    (root / "tb" / "training.log").write_text("epoch,loss\n0,1.0\n")


def test_every_run_is_found_once_with_its_format(tmp_path):
    build_root(tmp_path)
    found = {s.id: s.format for s in discover(str(tmp_path))}
    assert found == {
        "lightning_logs/version_0": "lightning_csv",
        "keras": "csv_table",
        "hf": "hf_trainer_state",
        "mlruns/0/r1": "mlflow_file",
        "mlflow.db#u1": "mlflow_sqlite",
        "sweep/a.jsonl": "jsonl",
        "sweep/b.csv": "csv_table",
        "tb": "tensorboard+csv_table",  # one folder, one training: both read as one run
    }


def test_every_run_reads_without_problems(tmp_path):
    build_root(tmp_path)
    for source in discover(str(tmp_path)):
        if source.format.startswith("tensorboard"):
            continue  # the empty event file is only there to share a folder
        run = read_run(source)
        assert not run.errors, (source.id, run.errors)
        assert len(run.scalars) > 0
        assert "loss" in " ".join(run.roles.get(r, "") for r in ("train_loss", "val_loss"))
