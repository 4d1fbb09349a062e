"""Ray Tune trial folders, as ray 2.60.0 wrote them (tests/ingest/fixtures/ray_tune)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from curvedoc.ingest import discover, open_root, read_run
from curvedoc.ingest.formats.ray_tune import FORMAT

FIXTURE = Path(__file__).parent / "fixtures" / "ray_tune" / "lr_sweep"
TRIAL = "trainable_ffd68_00000_0_lr=0.0100_2026-12-01_09-31-34"


@pytest.fixture
def experiment(tmp_path, monkeypatch):
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "_cache"))
    shutil.copytree(FIXTURE, tmp_path / "lr_sweep")
    return tmp_path / "lr_sweep"


def test_each_trial_is_a_run_of_the_experiment_group_with_its_params(experiment):
    with open_root(str(experiment.parent)) as catalog:
        runs = list(catalog.runs.values())
        assert catalog.warnings == []
    assert [r.group for r in runs] == ["lr_sweep", "lr_sweep"]
    assert [r.hparams["lr"] for r in runs] == [0.01, 0.1]
    first = runs[0]
    assert first.format == "ray_tune" and first.errors == [] and first.warnings == []
    assert set(first.scalars["tag"]) == {"train_loss", "val_loss", "val_acc"}  # no ray/tune/*
    loss = first.series("train_loss")
    assert loss["step"].tolist() == [1, 2, 3, 4, 5]  # training_iteration
    assert loss["value"].tolist() == pytest.approx([0.2 / i for i in range(1, 6)])
    assert (loss["wall_time"] > 1.7e9).all()
    assert first.roles == {"train_loss": "train_loss", "val_loss": "val_loss", "val_acc": "val_acc"}


def test_progress_csv_is_read_when_there_is_no_result_json(experiment):
    trial = experiment / TRIAL
    (trial / "result.json").unlink()
    (source,) = discover(str(trial))
    assert source.files == (str(trial / "progress.csv"),)
    run = read_run(source)
    assert run.errors == []
    assert run.series("val_acc")["value"].tolist() == pytest.approx([0.5, 0.55, 0.6, 0.65, 0.7])
    assert "done" not in set(run.scalars["tag"]) and "pid" not in set(run.scalars["tag"])


def test_a_trial_still_running_is_read_from_where_the_last_read_stopped(experiment):
    path = experiment / TRIAL / "result.json"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:3]))
    (source,) = discover(str(experiment / TRIAL))
    first = FORMAT.read(source, str(path), None)
    row = json.loads(lines[-1])
    with open(path, "a") as fh:
        fh.write("".join(lines[3:]) + json.dumps({**row, "training_iteration": 6}) + "\n")
    more = FORMAT.read(source, str(path), first.state)
    assert len(first.scalars) == 9 and len(more.scalars) == 9
    assert sorted(set(more.scalars["step"])) == [4, 5, 6]
