"""The corpus truth: explicit curve criteria give each shape its label (numpy only)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "corpus_truth.py"
_SPEC = importlib.util.spec_from_file_location("corpus_truth", _PATH)
corpus_truth = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("corpus_truth", corpus_truth)  # dataclasses look their module up
_SPEC.loader.exec_module(corpus_truth)

EPOCHS, SPE = 30, 10
STEPS = np.arange(1, EPOCHS + 1) * SPE


def _facts(train, val, lr=None, init=None, ref=0.1, classes=10):
    history = {"train_epoch": list(zip(STEPS.tolist(), train, strict=True)),
               "val_loss": list(zip(STEPS.tolist(), val, strict=True))}
    if init is not None:
        history["val_loss"].insert(0, (0, init))
    if lr is not None:
        history["lr"] = list(zip(STEPS.tolist(), lr, strict=True))
    return corpus_truth.RunFacts(history, SPE, EPOCHS * SPE, classes, init is not None, ref,
                                 0.97)


def _decay(start, floor, rate):
    return (floor + (start - floor) * np.exp(-rate * np.arange(EPOCHS))).tolist()


def _labels(facts):
    t = corpus_truth.decide(facts)
    return t.labels, t.ambiguous


def test_a_converged_run_is_healthy():
    labels, ambiguous = _labels(_facts(_decay(2.3, 0.05, 0.4), _decay(2.3, 0.1, 0.4),
                                       init=2.3))
    assert labels == set() and not ambiguous


def test_a_non_finite_loss_is_lr_too_high_and_nothing_else():
    train = _decay(2.3, 0.05, 0.4)
    train[10:] = [math.nan] * 20
    labels, _ = _labels(_facts(train, _decay(2.3, 0.1, 0.4)))
    assert labels == {"lr_too_high"}


def test_a_huge_logged_initial_loss_is_bad_init():
    labels, _ = _labels(_facts(_decay(2.3, 0.05, 0.4), _decay(2.3, 0.1, 0.4), init=40.0))
    assert "bad_init" in labels


def test_validation_rising_from_an_early_minimum_is_overfitting():
    val = (0.3 + 0.02 * (np.arange(EPOCHS) - 6) ** 2 / 10).tolist()
    labels, _ = _labels(_facts(_decay(2.0, 0.001, 0.3), val))
    assert labels == {"overfitting"}


def test_both_curves_still_falling_steadily_is_keep_training():
    labels, _ = _labels(_facts(np.linspace(2.3, 1.0, EPOCHS).tolist(),
                               np.linspace(2.3, 1.05, EPOCHS).tolist()))
    assert labels == {"keep_training"}


def test_an_lr_cut_early_while_the_loss_still_falls_is_decayed_too_early():
    lr = [0.1 if e < 3 else 0.001 for e in range(EPOCHS)]
    train = _decay(2.3, 0.05, 0.4)[:4] + [_decay(2.3, 0.05, 0.4)[3]] * (EPOCHS - 4)
    labels, _ = _labels(_facts(train, [v + 0.05 for v in train], lr=lr, ref=0.1))
    assert labels == {"decayed_too_early"}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noise_around_a_low_floor_is_not_a_too_high_rate(seed):
    rng = np.random.default_rng(seed)
    train = (np.asarray(_decay(2.3, 0.02, 0.5)) * rng.uniform(0.6, 1.4, EPOCHS)).tolist()
    labels, _ = _labels(_facts(train, _decay(2.3, 0.08, 0.5)))
    assert "lr_too_high" not in labels


def test_flat_together_far_above_the_task_reference_is_underfitting():
    labels, _ = _labels(_facts(_decay(2.3, 1.2, 0.8), _decay(2.3, 1.25, 0.8), ref=0.1))
    assert labels == {"underfitting"}
