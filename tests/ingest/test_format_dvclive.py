"""DVCLive runs, as dvclive 3.49.1 wrote them (tests/ingest/fixtures/dvclive)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from curvedoc.ingest import discover, read_run
from curvedoc.ingest.formats.dvclive import FORMAT

FIXTURE = Path(__file__).parent / "fixtures" / "dvclive" / "project"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "_cache"))


def test_the_project_folder_is_the_run_with_metric_paths_as_tags(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "exp1")
    (source,) = discover(str(tmp_path))
    assert (source.id, source.name, source.format) == ("exp1", "exp1", "dvclive")
    run = read_run(source)
    assert run.errors == [] and run.warnings == []
    assert run.hparams == {"lr": 0.01, "batch_size": 32, "optimizer/name": "sgd"}
    loss = run.series("train/loss")
    assert loss["step"].tolist() == [0, 1, 2, 3, 4]
    assert loss["value"].tolist() == pytest.approx([2.0 / (e + 1) for e in range(5)])
    assert run.roles == {"train_loss": "train/loss", "val_loss": "val/loss",
                         "val_acc": "val/acc", "lr": "lr"}


def test_a_live_folder_with_its_own_name_is_the_run(tmp_path):
    shutil.copytree(FIXTURE / "dvclive", tmp_path / "results")
    (source,) = discover(str(tmp_path))
    assert source.id == "results"
    assert len(read_run(source).scalars) == 20


def test_older_files_with_a_timestamp_column_give_the_wall_time(tmp_path):
    plots = tmp_path / "dvclive" / "plots" / "metrics"
    plots.mkdir(parents=True)
    (plots / "loss.tsv").write_text("timestamp\tstep\tloss\n1700000000000\t0\t1.5\n")
    run = read_run(discover(str(tmp_path))[0])
    assert run.series("loss")["wall_time"].tolist() == [1700000000.0]


def test_rows_appended_since_are_read_on_their_own(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "exp1")
    path = tmp_path / "exp1" / "dvclive" / "plots" / "metrics" / "lr.tsv"
    (source,) = discover(str(tmp_path))
    first = FORMAT.read(source, str(path), None)
    with open(path, "a") as fh:
        fh.write("5\t0.005\n")
    more = FORMAT.read(source, str(path), first.state)
    assert more.scalars["step"].tolist() == [5] and set(more.scalars["tag"]) == {"lr"}
