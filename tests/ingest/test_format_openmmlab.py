"""detectron2 and OpenMMLab JSON logs through the JSON-lines reader: every row on one axis.

The files are built line by line in the shapes those libraries write (detectron2's
``JSONWriter``, mmcv 1.x ``TextLoggerHook``'s ``*.log.json``, mmengine's
``LocalVisBackend`` ``scalars.json``); none of them installs offline without OpenCV/CUDA.
"""

from __future__ import annotations

import json

import pytest

from curvedoc.ingest import discover, read_run
from curvedoc.ingest.formats.jsonl import FORMAT


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "_cache"))


def write(path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def steps(run, tag):
    return run.series(tag)["step"].tolist()


def test_detectron2_metrics_json_puts_eval_rows_at_their_iteration(tmp_path):
    rows = []
    for it in range(19, 100, 20):
        rows.append({"data_time": 0.01, "eta_seconds": 1000 - it, "iteration": it,
                     "loss_box_reg": 0.5, "loss_cls": 0.6, "lr": 0.0002, "time": 0.3,
                     "total_loss": 1.5 - it / 200})
        if it in (59, 99):
            rows.append({"bbox/AP": 30.1, "bbox/AP50": 50.2, "iteration": it})
    write(tmp_path / "output" / "metrics.json", rows)
    (source,) = discover(str(tmp_path))
    assert (source.id, source.format) == ("output", "jsonl")
    run = read_run(source)
    assert run.errors == []
    assert steps(run, "total_loss") == [19, 39, 59, 79, 99]
    assert steps(run, "bbox/AP") == [59, 99]
    assert run.roles["train_loss"] == "total_loss" and run.roles["val_acc"] == "bbox/AP"


def mmcv_rows():
    rows = [{"env_info": "sys.platform: linux", "config": "model = dict()", "seed": 0}]
    for epoch in (1, 2, 3):
        for it in (50, 100):
            rows.append({"mode": "train", "epoch": epoch, "iter": it, "lr": 0.02,
                         "memory": 3000, "data_time": 0.05, "loss": 1.5 / epoch, "time": 0.3})
        rows.append({"mode": "val", "epoch": epoch, "iter": 625, "lr": 0.02,
                     "loss": 1.7 / epoch, "bbox_mAP": 0.1 * epoch})
    return rows


def test_an_mmcv_log_json_counts_iterations_across_epochs_and_keeps_val_loss_apart(tmp_path):
    write(tmp_path / "work_dirs" / "faster_rcnn" / "20220101_000000.log.json", mmcv_rows())
    run = read_run(discover(str(tmp_path))[0])
    assert run.errors == [] and run.warnings == []  # no restart: iter restarts per epoch
    assert steps(run, "loss") == [50, 100, 150, 200, 250, 300]
    assert steps(run, "bbox_mAP") == [100, 200, 300]
    assert run.series("val/loss")["value"].tolist() == pytest.approx([1.7, 0.85, 1.7 / 3])
    assert steps(run, "lr") == [50, 100, 150, 200, 250, 300]  # val rows' lr is no point
    assert run.roles["train_loss"] == "loss" and run.roles["val_loss"] == "val/loss"


def test_an_mmcv_log_json_read_in_pieces_gives_the_same_steps(tmp_path):
    path = tmp_path / "20220101_000000.log.json"
    rows = mmcv_rows()
    write(path, rows[:5])
    (source,) = discover(str(tmp_path))
    first = FORMAT.read(source, str(path), None)
    with open(path, "a") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in rows[5:]))
    more = FORMAT.read(source, str(path), first.state)
    whole = FORMAT.read(source, str(path), None)
    got = sorted(zip(list(first.scalars["tag"]) + list(more.scalars["tag"]),
                     [*first.scalars["step"], *more.scalars["step"]], strict=True))
    assert got == sorted(zip(whole.scalars["tag"], whole.scalars["step"], strict=True))


def test_mmengine_scalars_json_puts_epoch_numbered_eval_rows_at_the_epochs_end(tmp_path):
    rows, step = [], 0
    for epoch in (1, 2):
        for _ in range(2):
            step += 50
            rows.append({"lr": 0.02, "data_time": 0.01, "loss": 1.5 / epoch, "time": 0.3,
                         "epoch": epoch, "iter": step, "memory": 3000, "step": step})
        rows.append({"coco/bbox_mAP": 0.1 * epoch, "data_time": 0.02, "time": 0.1,
                     "step": epoch})
    write(tmp_path / "work_dirs" / "rtm" / "20230101_000000" / "vis_data" / "scalars.json",
          rows)
    run = read_run(discover(str(tmp_path))[0])
    assert steps(run, "loss") == [50, 100, 150, 200]
    assert steps(run, "coco/bbox_mAP") == [100, 200]
    assert steps(run, "data_time") == [50, 100, 150, 200]  # eval bookkeeping does not mix in
    assert run.roles["train_loss"] == "loss" and run.roles["val_acc"] == "coco/bbox_mAP"


def test_mmpretrain_train_rows_without_iter_still_put_eval_rows_at_the_epochs_end(tmp_path):
    # mmpretrain's train rows carry epoch and step (the iteration) but no iter
    rows, step = [], 0
    for epoch in (1, 2, 3):
        step += 79
        rows.append({"lr": 0.01, "data_time": 0.8, "loss": 1.0 / epoch, "time": 1.6,
                     "epoch": epoch, "memory": 8629, "step": step})
        rows.append({"accuracy/top1": 60.0 + epoch, "data_time": 0.4, "time": 0.6,
                     "step": epoch})
    write(tmp_path / "work_dirs" / "resnet" / "20240101_000000" / "vis_data" / "scalars.json",
          rows)
    run = read_run(discover(str(tmp_path))[0])
    assert steps(run, "loss") == [79, 158, 237]
    assert steps(run, "accuracy/top1") == [79, 158, 237]
    assert run.roles["val_acc"] == "accuracy/top1"
