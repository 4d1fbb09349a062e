"""An accuracy that never changes: the model predicts the same class for every input.

What it detects
    The validation accuracy (else the training accuracy) has exactly the same value at
    every one of at least five evaluations, a value short of perfect: not one prediction
    changed between them. A classifier that outputs one class whatever its input scores
    the share of that class (the majority rate, or 1/C on balanced data), epoch after
    epoch, while its loss may still move as it calibrates that one answer. A score of
    exactly 0 at every evaluation counts only where a validation loss was computed at
    those evaluations (they ran, and not one prediction was right: a detector that never
    found a box); without one, a 0 is a metric that was never filled in.

Why it matters
    Nothing the model learned reaches its decisions: it is too weak, starved by
    regularisation, or stuck (dead units, a learning rate far too low, features that
    carry no signal). More epochs of the same will not change it; a model that cannot
    beat predicting the majority class has not fit its task at all.

Evidence
    The frozen value, the number of evaluations, the steps they span.

Advice
    Check that the inputs carry the signal and the labels are right; balance the
    classes or weight the loss; use a bigger model, a higher learning rate, less
    regularisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import Skip, finding, step, what

LABEL = "underfitting"
NAME = "frozen-accuracy"
SUMMARY = "an accuracy exactly the same at every evaluation: one class predicted for all"


@dataclass(frozen=True)
class Thresholds:
    #: Need this many evaluations, every one at the same value.
    min_points: int = 5
    #: A frozen accuracy at or above this fraction is a solved task, not a stuck model
    #: (a small validation set scored perfectly from the first epoch).
    max_accuracy: float = 0.99


def check(c: Curves, th: Thresholds):
    a = c.get("val_acc") or c.get("train_acc")
    if a is None or a.kind != "error" or a.error_rate:
        raise Skip("no accuracy logged")  # (a word error rate frozen says no class was given)
    values = a.raw[a.finite]
    if len(values) < th.min_points:
        raise Skip(f"only {len(values)} accuracy points")
    if not np.all(values == values[0]):
        return []
    acc = float(values[0]) / a.acc_scale
    if acc >= th.max_accuracy or acc < 0:
        return []  # near 1: the task is solved
    steps = a.steps[a.finite]
    if acc == 0 and not _evaluated(c, steps):
        return []  # a 0 at steps where no validation ran: a metric never filled in
    why = ("not one prediction was right" if acc == 0
           else "not one prediction changed, the model gives every input the same class")
    return [finding(
        "warning", 0.9,
        f"{what(a)} was exactly {float(values[0]):.6g} at all {len(values)} evaluations "
        f"from step {step(steps[0])} to {step(steps[-1])}: {why}",
        [
            "check that the inputs carry the signal and the labels are right",
            "check the labels' format against what the model expects (class ids, box "
            "coordinates, image size)" if acc == 0 else
            "balance the classes, or weight the loss by class",
            "use a bigger model or a higher learning rate; reduce regularisation",
        ],
        {"tags": [a.tag], "start_step": int(steps[0]), "end_step": int(steps[-1]),
         "accuracy": acc, "evaluations": len(values)},
    )]


def _evaluated(c: Curves, steps: np.ndarray) -> bool:
    """Whether a finite validation loss was logged at every one of these steps."""
    v = c.val
    if v is None or v.kind != "loss":
        return False
    return bool(np.isin(steps, v.steps[v.finite]).all())
