"""Every scenario really trains a few steps and logs what the dashboard needs."""

from __future__ import annotations

import csv

import pytest
import yaml
from trainer_events import hparams_plugin_tags, read_events

from curvedoc.trainer import SCENARIOS

pytest.importorskip("torch", reason="needs the trainer extra: pip install 'curvedoc[trainer]'")
pytestmark = pytest.mark.torch

# one run of each group is enough: the others differ only in lr or seed
NAMES = [n for n in SCENARIOS if not n.startswith(("lr_sweep/", "seed_group/"))]
NAMES += [next(n for n in SCENARIOS if n.startswith(g)) for g in ("lr_sweep/", "seed_group/")]


@pytest.mark.parametrize("name", NAMES)
def test_scenario_trains_a_few_steps(name, tmp_path):
    from curvedoc.trainer.runner import effective_spec, run_one

    scenario = SCENARIOS[name]
    spec = effective_spec(scenario, epochs=3)  # >= 12 steps everywhere
    summary = run_one(spec, str(tmp_path), max_steps=12)
    assert summary.steps == 12

    if spec.logger == "lightning_csv":
        folder = tmp_path / "version_0"
        with open(folder / "metrics.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert {"epoch", "step", "train_loss_step", "val_loss", "val_acc"} <= set(rows[0])
        assert any(r["train_loss_step"] == "" for r in rows)  # sparse rows, as Lightning
        train_steps = [int(r["step"]) for r in rows if r["train_loss_step"]]
        assert train_steps[0] == 0 and train_steps == sorted(train_steps)
    else:
        folder = tmp_path
        scalars = read_events(tmp_path)
        expected = {"train/loss", "val/loss", "lr", "grad_norm"}
        if spec.dataset != "diabetes":
            expected |= {"train/acc", "val/acc"}
        assert expected <= set(scalars)
        steps = [s for s, _ in scalars["train/loss"]]
        assert steps[0] == 0 and steps == sorted(steps) and steps[-1] < 12
        assert scalars["val/loss"][0][0] == 0  # validated before training
        assert "_hparams_/session_start_info" in hparams_plugin_tags(tmp_path)

    hparams = yaml.safe_load((folder / "hparams.yaml").read_text())
    assert hparams["lr"] == spec.lr and hparams["seed"] == spec.seed
    if spec.dataset == "diabetes":
        assert "num_classes" not in hparams
    else:
        assert hparams["num_classes"] >= 2


def test_rerun_replaces_old_logs_instead_of_adding_a_second_event_file(tmp_path):
    from curvedoc.trainer.runner import run_one

    spec = SCENARIOS["healthy/breast_cancer_mlp"].spec.with_(epochs=1)
    run_one(spec, str(tmp_path), max_steps=3)
    run_one(spec, str(tmp_path), max_steps=3)
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 1
