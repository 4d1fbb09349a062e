"""Validation gets worse from its first evaluation on while training jumps back up.

What it detects
    The validation loss never improves on its first evaluation (its best, under a
    rolling median, is within a twentieth of it) and ends well above it, while the
    training loss, after learning, climbed back up a large part of what it had
    learned (its setback). The training loss has learned something, and lost it
    again; the validation loss says nothing it learned carried over.

Why it matters
    At a step size too large for the loss surface the weights are thrown far from
    where they were: each jump costs what was learned, and the model drifts to
    regions that generalise ever worse. This looks like overfitting on the
    validation curve alone (worse from the start, as a fine-tuned model that
    memorises from its first epoch), but a model that fits its training set too
    well has a training loss that falls smoothly; this one jumps back up.

Evidence
    The first and final validation values and their ratio, the training loss's
    setback.

Advice
    Lower the learning rate 3-10x; add a warm-up; clip the gradient norm; a
    larger batch averages out gradient noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import confidence, finding, num, pct, step, train_and_val_loss, what

LABEL = "lr_too_high"
NAME = "val-worse-from-start"
SUMMARY = "validation worse from its first evaluation on, beside a training loss that jumps back up"


@dataclass(frozen=True)
class Thresholds:
    #: Validation never improved more than this fraction on its first evaluation...
    max_improvement: float = 0.05
    #: ...and ends at least this fraction above it.
    min_rise: float = 0.1
    #: The training loss climbed back this fraction of its best so far (or of all it had
    #: learned, when that is more: ``Curve.setback``); a smooth one is a model that
    #: memorises from its first epoch (the overfitting rules' business).
    min_train_setback: float = 0.3
    #: Need this many validation points.
    min_points: int = 5


def check(c: Curves, th: Thresholds):
    t, v = train_and_val_loss(c, th.min_points, "needs")
    first = float(v.y[0])
    if first <= 0:
        return []
    best = float(np.min(v.ym))
    end = float(np.median(v.y[-max(2, len(v.y) // 5):]))
    rise = end / first - 1
    if best < (1 - th.max_improvement) * first or rise < th.min_rise:
        return []
    if t.setback < th.min_train_setback:
        return []
    margin = min(rise / th.min_rise, t.setback / th.min_train_setback) - 1
    return [finding(
        "warning", confidence(margin),
        f"{what(v)} never improved on its first evaluation ({num(v.value_of(first))} at step "
        f"{step(v.x[0])}) and ended {pct(rise)} above it ({num(v.value_of(end))}), while "
        f"{what(t)} climbed back {pct(t.setback)} above its best: the weights are thrown "
        "about, not fitted",
        [
            "lower the learning rate 3-10x",
            "add a learning-rate warm-up and clip the gradient norm",
            "a larger batch averages out gradient noise",
        ],
        {"tags": [v.tag, t.tag], "start_step": int(v.x[0]), "end_step": int(v.x[-1]),
         "first_value": v.value_of(first), "final_value": v.value_of(end), "rise": rise,
         "train_setback": t.setback},
    )]
