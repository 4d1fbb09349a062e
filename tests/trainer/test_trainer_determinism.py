"""The same scenario and seed give the same steps and values; another seed does not."""

from __future__ import annotations

import time

import pytest
from trainer_events import read_events

from curvedoc.trainer import SCENARIOS

pytest.importorskip("torch", reason="needs the trainer extra: pip install 'curvedoc[trainer]'")
pytestmark = pytest.mark.torch


def _train(tmp_path, name, *, seed=None, max_steps=60):
    from curvedoc.trainer.runner import effective_spec, run_one

    spec = effective_spec(SCENARIOS[name], seed=seed, epochs=3)
    run_one(spec, str(tmp_path), max_steps=max_steps)
    return read_events(tmp_path)


@pytest.mark.parametrize("name", ["decayed_too_early/step_decay", "healthy/digits_cnn"])
def test_same_seed_same_values(tmp_path, name):
    first = _train(tmp_path / "a", name)
    second = _train(tmp_path / "b", name)
    assert first.keys() == second.keys()
    for tag in first:
        assert first[tag] == second[tag], tag  # exact: steps and float values


def test_another_seed_changes_the_values(tmp_path):
    name = "decayed_too_early/step_decay"
    base = _train(tmp_path / "a", name)
    other = _train(tmp_path / "b", name, seed=1)
    assert [s for s, _ in base["train/loss"]] == [s for s, _ in other["train/loss"]]
    assert base["train/loss"] != other["train/loss"]


def test_wall_times_are_real_clock_times(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    before = time.time()
    _train(tmp_path, "healthy/breast_cancer_mlp", max_steps=10)
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    times = [e.wall_time for e in acc.Scalars("train/loss")]
    assert before - 1 <= times[0] <= times[-1] <= time.time() + 1


@pytest.mark.slow  # two spawned workers each import torch: 5-25 s depending on load
def test_worker_processes_give_the_same_values_as_one_process(tmp_path):
    from curvedoc.trainer.runner import run_many

    chosen = [SCENARIOS["underfitting/moons_linear"], SCENARIOS["healthy/breast_cancer_mlp"]]
    serial = list(run_many(chosen, tmp_path / "serial", jobs=1, epochs=1, max_steps=8))
    pooled = list(run_many(chosen, tmp_path / "pooled", jobs=2, epochs=1, max_steps=8))
    assert {s.name for s, _ in pooled} == {s.name for s, _ in serial}
    for scenario in chosen:
        assert (read_events(tmp_path / "serial" / scenario.path)
                == read_events(tmp_path / "pooled" / scenario.path)), scenario.name


def test_training_leaves_the_process_torch_settings_alone(tmp_path):
    import torch

    from curvedoc.trainer.runner import run_one

    threads = torch.get_num_threads()
    run_one(SCENARIOS["underfitting/moons_linear"].spec, str(tmp_path), max_steps=3)
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()
