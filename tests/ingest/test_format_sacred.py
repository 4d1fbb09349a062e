"""Sacred FileStorageObserver runs, as sacred 0.8.7 wrote them (tests/ingest/fixtures/sacred)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from curvedoc.ingest import discover, open_root, read_run
from curvedoc.ingest.formats.sacred import FORMAT

FIXTURE = Path(__file__).parent / "fixtures" / "sacred" / "sacred_runs"


@pytest.fixture
def base(tmp_path, monkeypatch):
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "_cache"))
    shutil.copytree(FIXTURE, tmp_path / "sacred_runs")
    return tmp_path / "sacred_runs"


def test_each_run_folder_is_a_run_of_the_experiment_folder(base):
    with open_root(str(base.parent)) as catalog:
        runs = catalog.runs
    assert list(runs) == ["sacred_runs/1", "sacred_runs/2"]
    one, two = runs.values()
    assert (one.name, one.group, one.format) == ("mnist_mlp 1", "sacred_runs", "sacred")
    assert one.hparams["lr"] == 0.01 and two.hparams["lr"] == 0.1
    assert one.hparams["optimizer/name"] == "sgd"
    assert one.roles == {"train_loss": "train.loss", "val_loss": "val.loss",
                         "val_acc": "val.accuracy"}
    loss = one.series("train.loss")
    assert loss["step"].tolist() == list(range(6))
    assert loss["value"].tolist() == pytest.approx([2.0 / (e + 1) for e in range(6)])
    assert (loss["wall_time"] > 1.7e9).all()
    assert one.errors == [] and one.warnings == []


def test_a_failed_run_says_so(base):
    info = json.loads((base / "1" / "run.json").read_text())
    info["status"] = "FAILED"
    (base / "1" / "run.json").write_text(json.dumps(info))
    run = read_run(discover(str(base / "1"))[0])
    assert any("FAILED" in w for w in run.warnings)
    assert len(run.scalars) == 18


def test_a_rewritten_metrics_file_replaces_what_was_read(base):
    path = base / "1" / "metrics.json"
    (source,) = discover(str(base / "1"))
    first = FORMAT.read(source, str(path), None)
    doc = json.loads(path.read_text())
    doc["train.loss"] = {"steps": [0, 1], "values": [9.0, 8.0],
                         "timestamps": ["2026-12-01T09:00:00", "2026-12-01T09:00:01"]}
    path.write_text(json.dumps(doc) + " ")
    again = FORMAT.read(source, str(path), first.state)
    assert again.reset
    assert sorted(again.scalars[again.scalars["tag"] == "train.loss"]["value"]) == [8.0, 9.0]


def test_a_broken_metrics_file_is_an_error_naming_it(base):
    (base / "1" / "metrics.json").write_text('{"train.loss": {"steps": [0, 1')
    run = read_run(discover(str(base / "1"))[0])
    assert run.errors and "metrics.json" in run.errors[0]


def test_a_run_that_logged_no_metric_is_listed_with_a_warning(base):
    (base / "2" / "metrics.json").unlink()
    (source,) = discover(str(base / "2"))
    run = read_run(source)
    assert run.errors == [] and any("no metrics" in w for w in run.warnings)


def test_a_run_committed_without_its_run_json_is_still_read(base):
    # repositories commit metrics.json and config.json, and leave out run.json (its host)
    (base / "1" / "run.json").unlink()
    with open_root(str(base.parent)) as catalog:
        runs = catalog.runs
    assert "sacred_runs/1" in runs
    one = runs["sacred_runs/1"]
    assert one.format == "sacred" and one.hparams["lr"] == 0.01
    assert one.series("train.loss")["step"].tolist() == list(range(6))


def test_a_metrics_json_of_another_shape_is_no_sacred_run(tmp_path):
    run = tmp_path / "exp"
    run.mkdir()
    (run / "metrics.json").write_text(json.dumps({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}))
    assert all(s.format != "sacred" for s in discover(str(tmp_path)))
