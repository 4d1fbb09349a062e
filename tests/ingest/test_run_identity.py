"""One folder, one training: folders shaped like the real ones are one run, ids never clash.

Event files are written by tensorboardX's SummaryWriter (what Ultralytics, Lightning and
the HF Trainer write through); the CSV, JSON and MLflow files as those libraries lay them out.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from tensorboardX import SummaryWriter

from curvedoc.ingest import discover, open_root, read_run

EPOCHS = range(1, 6)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "_cache"))


def tb(folder: Path, points: dict[str, list[tuple[int, float]]], suffix: str = "") -> None:
    writer = SummaryWriter(str(folder), filename_suffix=suffix)
    for tag, rows in points.items():
        for step, value in rows:
            writer.add_scalar(tag, value, step)
    writer.close()


def loss(epoch: int) -> float:
    return 2.0 / epoch


def only(root: Path):
    (source,) = discover(str(root))
    return source


def test_an_ultralytics_folder_is_one_run_with_the_csv_only_tags_kept(tmp_path):
    run = tmp_path / "runs" / "detect" / "train"
    tb(run, {"train/box_loss": [(e, loss(e)) for e in EPOCHS],
             "val/box_loss": [(e, loss(e) + 0.1) for e in EPOCHS]})
    rows = "".join(f"{e:>23},{loss(e):>23.5g},{loss(e) + 0.1:>23.5g},{0.1 * e:>23.5g}\n"
                   for e in EPOCHS)
    header = f"{'epoch':>23},{'train/box_loss':>23},{'val/box_loss':>23},{'metrics/mAP50(B)':>23}\n"
    (run / "results.csv").write_text(header + rows)
    (run / "args.yaml").write_text("epochs: 5\n")

    source = only(tmp_path)
    assert (source.id, source.format) == ("runs/detect/train", "tensorboard+csv_table")
    read = read_run(source)
    assert read.errors == [] and read.warnings == []
    per_tag = read.scalars.groupby("tag", observed=True).size().to_dict()
    assert per_tag == {"train/box_loss": 5, "val/box_loss": 5, "metrics/mAP50(B)": 5}
    assert read.roles["train_loss"] == "train/box_loss"


def test_two_sources_that_disagree_on_a_tag_say_so_and_keep_the_fuller(tmp_path):
    run = tmp_path / "train"
    tb(run, {"train/box_loss": [(e, loss(e)) for e in EPOCHS]})
    rows = "".join(f"{e},{9.0}\n" for e in range(1, 4))
    (run / "results.csv").write_text("epoch,train/box_loss\n" + rows)
    read = read_run(only(tmp_path))
    (warning,) = read.warnings
    assert "train/box_loss" in warning and "results.csv" in warning
    assert "restart" not in warning  # not the restart rule's business
    values = read.series("train/box_loss")["value"].tolist()
    assert values == pytest.approx([loss(e) for e in EPOCHS])  # the event file: more points


def lightning_version(folder: Path) -> Path:
    """Lightning with a TensorBoard and a CSV logger sharing version_0, then trainer.test()."""
    run = folder / "lightning_logs" / "version_0"
    tb(run, {"hp_metric": [(0, -1.0)],
             "train_loss_step": [(s, loss(s + 1)) for s in range(6)],
             "val_loss": [(5, 0.5)]}, suffix=".0")
    # the test phase opens an event file of its own
    tb(run, {"hp_metric": [(0, -1.0)], "test_loss": [(6, 0.55)]}, suffix=".1")
    (run / "metrics.csv").write_text(
        "epoch,step,train_loss_step,val_loss\n"
        + "".join(f"0,{s},{loss(s + 1)},\n" for s in range(6)) + "0,5,,0.5\n"
    )
    (run / "hparams.yaml").write_text("lr: 0.01\nbatch_size: 32\n"
                                      "optimizer: !!python/name:torch.optim.SGD ''\n")
    return run


def test_a_lightning_version_folder_with_csv_and_events_is_one_run(tmp_path):
    lightning_version(tmp_path)
    source = only(tmp_path)
    assert (source.id, source.format) == ("lightning_logs/version_0", "tensorboard+lightning_csv")
    read = read_run(source)
    assert read.errors == []
    assert read.warnings == []  # hp_metric at step 0 in every event file is no restart
    assert read.hparams["lr"] == 0.01 and read.hparams["batch_size"] == 32
    assert "optimizer" in read.hparams
    assert read.series("train_loss_step")["step"].tolist() == list(range(6))
    assert read.series("test_loss")["value"].tolist() == [pytest.approx(0.55)]


def test_a_real_restart_in_a_lightning_folder_still_warns(tmp_path):
    run = tmp_path / "version_1"
    tb(run, {"hp_metric": [(0, -1.0)], "train_loss": [(s, 1.0) for s in range(4)]}, ".0")
    tb(run, {"hp_metric": [(0, -1.0)], "train_loss": [(s, 0.9) for s in range(2, 8)]}, ".1")
    read = read_run(only(tmp_path))
    assert any("restart" in w and "re-logs steps" in w for w in read.warnings), read.warnings


def test_hparams_yaml_beside_event_files_alone_joins_the_tensorboard_run(tmp_path):
    run = tmp_path / "lightning_logs" / "version_0"
    tb(run, {"train_loss": [(s, 1.0 / (s + 1)) for s in range(3)]})
    (run / "hparams.yaml").write_text("lr: 0.1\n")
    source = only(tmp_path)
    assert source.format == "tensorboard"
    assert read_run(source).hparams["lr"] == 0.1


def test_a_broken_hparams_yaml_is_a_warning_naming_it(tmp_path):
    run = tmp_path / "version_0"
    tb(run, {"train_loss": [(s, 1.0 / (s + 1)) for s in range(3)]})
    (run / "hparams.yaml").write_text("lr: [0.01\n")
    read = read_run(only(tmp_path))
    assert len(read.scalars) == 3
    assert any("hparams.yaml" in w for w in read.warnings)


def test_an_hf_output_folder_with_event_files_is_one_run(tmp_path):
    out = tmp_path / "out"
    tb(out, {"train/loss": [(10, 2.0), (20, 1.5)], "eval/loss": [(20, 1.7)]})
    history = [{"loss": 2.0, "step": 10, "epoch": 0.5}, {"loss": 1.5, "step": 20, "epoch": 1.0},
               {"eval_loss": 1.7, "step": 20, "epoch": 1.0}]
    (out / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    source = only(tmp_path)
    assert (source.id, source.format) == ("out", "tensorboard+hf_trainer_state")
    tags = set(read_run(source).scalars["tag"])
    assert {"train/loss", "eval/loss", "loss", "eval_loss"} <= tags


def test_an_hf_output_folder_with_its_default_logging_dir_is_one_run(tmp_path):
    out = tmp_path / "out"
    tb(out / "runs" / "Dec01_09-00-00_host", {"train/loss": [(10, 2.0), (20, 1.5)]})
    (out / "checkpoint-20").mkdir()
    history = [{"loss": 2.0, "step": 10}, {"loss": 1.5, "step": 20}]
    (out / "checkpoint-20" / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    source = only(tmp_path)
    assert (source.id, source.format) == ("out", "hf_trainer_state+tensorboard")
    assert {"train/loss", "loss"} <= set(read_run(source).scalars["tag"])


def mlflow_run(root: Path) -> Path:
    run = root / "mlruns" / "1" / "abc123"
    (run / "metrics").mkdir(parents=True)
    (run / "tags").mkdir()
    (run / "meta.yaml").write_text("run_id: abc123\nlifecycle_stage: active\n")
    (run / "metrics" / "val_loss").write_text("1700000000000 1.5 0\n1700000001000 1.2 1\n")
    (run / "tags" / "mlflow.runName").write_text("bold-fox")
    return run


def test_tensorboard_logs_under_an_mlflow_runs_artifacts_join_the_run(tmp_path):
    run = mlflow_run(tmp_path)
    tb(run / "artifacts" / "tensorboard", {"train_loss": [(s, 1.0 / (s + 1)) for s in range(4)]})
    source = only(tmp_path)
    assert (source.id, source.name) == ("mlruns/1/abc123", "bold-fox")
    assert source.format == "mlflow_file+tensorboard"
    read = read_run(source)
    assert read.errors == []
    assert set(read.scalars["tag"]) == {"val_loss", "train_loss"}


def test_event_files_in_an_mlflow_run_folder_join_the_run(tmp_path):
    run = mlflow_run(tmp_path)
    tb(run, {"train_loss": [(0, 1.0), (1, 0.5)]})
    source = only(tmp_path)
    assert source.id == "mlruns/1/abc123"
    assert set(read_run(source).scalars["tag"]) == {"val_loss", "train_loss"}


def mlflow_store(path: Path, uuid: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(
            "CREATE TABLE experiments (experiment_id INTEGER);"
            "CREATE TABLE runs (run_uuid TEXT, name TEXT);"
            "CREATE TABLE params (key TEXT, value TEXT, run_uuid TEXT);"
            "CREATE TABLE metrics (key TEXT, value FLOAT, timestamp INTEGER, run_uuid TEXT,"
            " step INTEGER, is_nan BOOLEAN);"
            f"INSERT INTO runs VALUES ('{uuid}', 'db-run');"
            f"INSERT INTO metrics VALUES ('loss', 1.0, 1700000000000, '{uuid}', 0, 0);"
        )
    conn.close()


def test_a_folder_named_like_an_mlflow_store_run_does_not_hide_it(tmp_path):
    mlflow_store(tmp_path / "mlflow.db", "u1")
    tb(tmp_path / "mlflow.db#u1", {"loss": [(0, 3.0), (1, 2.0)]})
    with open_root(str(tmp_path)) as catalog:
        runs = catalog.runs
    assert set(runs) == {"mlflow.db#u1", "mlflow.db#u1 (tensorboard)"}
    assert runs["mlflow.db#u1"].format == "mlflow_sqlite"
    assert len(runs["mlflow.db#u1"].scalars) == 1
    renamed = runs["mlflow.db#u1 (tensorboard)"]
    assert len(renamed.scalars) == 2 and renamed.errors == []
    assert any("already has the id" in w for w in renamed.warnings)


def test_a_keras_run_with_its_csv_logger_is_one_run(tmp_path):
    run = tmp_path / "keras"
    tb(run / "train", {"epoch_loss": [(e, loss(e)) for e in EPOCHS]})
    tb(run / "validation", {"epoch_loss": [(e, loss(e) + 0.1) for e in EPOCHS]})
    (run / "training.log").write_text(
        "epoch,loss,val_loss\n" + "".join(f"{e},{loss(e)},{loss(e) + 0.1}\n" for e in EPOCHS))
    source = only(tmp_path)
    assert source.format == "tensorboard+csv_table"
    read = read_run(source)
    assert read.warnings == []
    assert read.roles["val_loss"] in ("validation/epoch_loss", "val_loss")


def test_every_log_file_is_on_exactly_one_run_and_ids_are_unique(tmp_path):
    lightning_version(tmp_path / "a")
    mlflow_run(tmp_path / "b")
    mlflow_store(tmp_path / "mlflow.db", "u1")
    tb(tmp_path / "mlflow.db#u1", {"loss": [(0, 1.0)]})
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "x.csv").write_text("step,loss\n0,1\n")
    (tmp_path / "sweep" / "y.csv").write_text("step,loss\n0,2\n")
    sources = discover(str(tmp_path))
    ids = [s.id for s in sources]
    assert len(ids) == len(set(ids))
    owned = [f for s in sources for f in s.files]
    assert len(owned) == len(set(owned))
    logs = {str(p) for p in tmp_path.rglob("*") if p.is_file() and "_cache" not in p.parts}
    assert logs - set(owned) == {str(tmp_path / "b" / "mlruns" / "1" / "abc123" / "meta.yaml"),
                                 str(tmp_path / "b" / "mlruns" / "1" / "abc123" / "tags"
                                     / "mlflow.runName")}


def test_binary_junk_named_like_a_log_in_a_merged_run_is_named_as_such(tmp_path):
    run = tmp_path / "train"
    tb(run, {"train/box_loss": [(e, loss(e)) for e in EPOCHS]})
    (run / "results.csv").write_text("epoch,train/box_loss\n1,2.0\n")
    (run / "junk.csv").write_bytes(b"\x00\x01\x02" * 100)
    read = read_run(only(tmp_path))
    assert len(read.scalars) == 5
    (error,) = read.errors
    assert "junk.csv" in error and "holds binary bytes" in error


def ultralytics(run: Path) -> None:
    tb(run, {"train/box_loss": [(e, loss(e)) for e in EPOCHS]})
    (run / "results.csv").write_text(
        "epoch,train/box_loss,metrics/mAP50(B)\n"
        + "".join(f"{e},{loss(e):.5g},{0.1 * e:.5g}\n" for e in EPOCHS))


def test_a_merged_run_opens_warm_from_the_cache_and_refreshes_what_grew(tmp_path, monkeypatch):
    from curvedoc.ingest.formats.base import formats

    ultralytics(tmp_path / "train")
    with open_root(str(tmp_path)) as cold:
        first = cold.scalars()
        with open(tmp_path / "train" / "results.csv", "a") as fh:
            fh.write("6,0.33333,0.6\n")
        assert cold.refresh() == {"train"}
        grown = cold.runs["train"]
        assert grown.series("metrics/mAP50(B)")["step"].tolist() == [1, 2, 3, 4, 5, 6]
        # the CSV now has more points of box_loss than the event file: it is the fuller one
        assert grown.series("train/box_loss")["step"].tolist() == [1, 2, 3, 4, 5, 6]
        assert grown.warnings == []

    def no_parsing(*args, **kwargs):
        raise AssertionError("a warm open parsed a file")

    for name in ("tensorboard", "csv_table"):
        monkeypatch.setattr(formats()[name], "read", no_parsing)
    with open_root(str(tmp_path)) as warm:
        assert len(warm.scalars()) == len(first) + 2
        assert warm.runs["train"].errors == []


def mmengine_rows(n: int) -> str:
    return "".join(json.dumps({"lr": 0.02, "loss": 2.0 / (i + 1), "epoch": 1 + i // 10,
                               "iter": 10 * (i + 1), "step": 10 * (i + 1)}) + "\n"
                   for i in range(n))


def test_mmengine_writes_each_row_twice_in_vis_data_and_it_is_one_run(tmp_path):
    vis = tmp_path / "work_dirs" / "rtm" / "20230101_000000" / "vis_data"
    vis.mkdir(parents=True)
    (vis / "20230101_000000.json").write_text(mmengine_rows(60))
    (vis / "scalars.json").write_text(mmengine_rows(60))
    (vis / "config.py").write_text("model = dict()\n")
    source = only(tmp_path)
    assert (source.id, source.format) == ("work_dirs/rtm/20230101_000000/vis_data", "jsonl")
    read = read_run(source)
    assert read.warnings == [] and read.errors == []
    assert len(read.series("loss")) == 60


def test_two_runs_of_a_sweep_that_start_alike_stay_two_runs(tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "lr_0.1.csv").write_text("step,loss\n0,2.3026\n")
    (sweep / "lr_0.01.csv").write_text("step,loss\n0,2.3026\n")
    assert sorted(s.id for s in discover(str(tmp_path))) == ["sweep/lr_0.01.csv",
                                                             "sweep/lr_0.1.csv"]
