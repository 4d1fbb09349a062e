"""Weights & Biases run files (``run-*.wandb``), read without the wandb package or a network."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from curvedoc.ingest import discover, read_run
from curvedoc.ingest.formats import wandb_offline
from curvedoc.ingest.formats.wandb_offline import FORMAT

FIXTURE = Path(__file__).parent / "fixtures" / "wandb"
RUN = "offline-run-20261201_092754-znliv50t"
FILE = "run-znliv50t.wandb"


def copy_run(root: Path) -> Path:
    run = root / "wandb" / RUN
    run.mkdir(parents=True)
    shutil.copy(FIXTURE / RUN / FILE, run)
    return run / FILE


def test_history_config_and_name_of_an_offline_run(tmp_path):
    copy_run(tmp_path)
    (source,) = discover(str(tmp_path))
    assert (source.id, source.name, source.format) == (f"wandb/{RUN}", "bold-fox", "wandb")
    run = read_run(source)
    assert run.errors == [] and run.warnings == []
    assert run.hparams == {"lr": 0.01, "batch_size": 32, "optimizer/name": "sgd",
                           "optimizer/momentum": 0.9, "epochs": 4}
    loss = run.series("train/loss")
    assert loss["step"].tolist() == list(range(8))
    assert loss["value"].tolist() == pytest.approx([2.0 / (s + 1) for s in range(8)])
    assert run.series("val/acc")["step"].tolist() == [1, 3, 5, 7]
    assert (loss["wall_time"] > 1.7e9).all()
    assert run.roles == {"train_loss": "train/loss", "val_loss": "val/loss",
                         "val_acc": "val/acc", "lr": "lr"}


def test_a_run_still_being_written_reads_its_complete_records_then_the_rest(tmp_path):
    path = copy_run(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])  # cut inside a record
    first = FORMAT.read(None, str(path), None)
    assert first.errors == [] and first.warnings == []
    assert 0 < len(first.scalars) < 24
    path.write_bytes(data)
    rest = FORMAT.read(None, str(path), first.state)
    whole = FORMAT.read(None, str(path), None)
    assert len(first.scalars) + len(rest.scalars) == len(whole.scalars) == 24


def test_a_damaged_record_is_skipped_with_a_warning_and_the_others_are_read(tmp_path):
    path = copy_run(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"val/acc", b"val/acd"))  # checksums fail
    read = FORMAT.read(None, str(path), None)
    (warning,) = read.warnings
    assert str(path) in warning and "damaged" in warning
    loss = read.scalars[read.scalars["tag"] == "train/loss"]
    assert loss["step"].tolist() == [0, 2, 4, 6]  # the rows without val/acc are all there


def test_a_file_that_is_not_a_wandb_log_is_an_error_naming_it(tmp_path):
    run = tmp_path / "wandb" / "offline-run-x"
    run.mkdir(parents=True)
    (run / "run-x.wandb").write_bytes(b"not a record file at all")
    (source,) = discover(str(tmp_path))
    run = read_run(source)
    assert run.errors and "run-x.wandb" in run.errors[0]


def test_latest_run_is_not_a_second_run(tmp_path):
    copy_run(tmp_path)
    os.symlink(RUN, tmp_path / "wandb" / "latest-run")
    assert [s.id for s in discover(str(tmp_path))] == [f"wandb/{RUN}"]


WRITER = """
import os, sys
os.environ.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DISABLE_GIT="true",
                  WANDB_CONSOLE="off", WANDB_DIR=sys.argv[1], WANDB_DISABLE_CODE="true")
import wandb
run = wandb.init(project="p", name="wide", config={"lr": 0.1},
                 settings=wandb.Settings(x_disable_stats=True, x_disable_meta=True,
                                         x_disable_machine_info=True))
for s in range(3):
    wandb.log({**{f"m/{i:04d}": i * 0.5 + s for i in range(2500)}, "loss": float("nan")})
run.finish()
"""


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("wandb") is None, reason="needs wandb (dev extra)")
def test_rows_larger_than_a_block_from_the_real_library(tmp_path):
    """Rows of 2,500 metrics span several 32 KiB blocks (FIRST/MIDDLE/LAST pieces)."""
    subprocess.run([sys.executable, "-c", WRITER, str(tmp_path)], check=True, timeout=120,
                   env={**os.environ, "WANDB_API_KEY": "", "HOME": str(tmp_path)})
    (source,) = discover(str(tmp_path))
    run = read_run(source)
    assert run.name == "wide" and run.hparams == {"lr": 0.1} and run.errors == []
    assert len(run.scalars) == 3 * 2501
    m = run.series("m/2499")
    assert m["value"].tolist() == [1249.5, 1250.5, 1251.5]
    assert np.isnan(run.series("loss")["value"]).all()


def test_a_read_in_small_windows_gives_the_same_frame(tmp_path, monkeypatch):
    """Memory stays bounded: the file is read a window at a time, a record never cut."""
    path = copy_run(tmp_path)
    whole = FORMAT.read(None, str(path), None)
    monkeypatch.setattr(wandb_offline, "WINDOW", 300)  # smaller than some records
    pieces = FORMAT.read(None, str(path), None)
    assert pieces.errors == [] and pieces.warnings == []
    assert pieces.hparams == whole.hparams
    assert pieces.state["offset"] == whole.state["offset"] == path.stat().st_size
    cols = ["tag", "step", "value"]
    assert (sorted(pieces.scalars[cols].astype(str).values.tolist())
            == sorted(whole.scalars[cols].astype(str).values.tolist()))


def test_a_synced_run_folder_is_read_like_an_offline_one(tmp_path):
    run = tmp_path / "wandb" / "run-20261201_092754-znliv50t"
    run.mkdir(parents=True)
    shutil.copy(FIXTURE / RUN / FILE, run)
    (source,) = discover(str(tmp_path))
    assert (source.id, source.name) == ("wandb/run-20261201_092754-znliv50t", "bold-fox")
    assert len(read_run(source).scalars) == 24
