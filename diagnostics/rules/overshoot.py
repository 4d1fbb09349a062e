"""The training and the validation loss jump up together, far above their best so far.

What it detects
    Between two evaluations the training loss climbed well above its lowest level
    before them (by a quarter of that level and by ``min_train_rise_of_start`` of its
    starting level), and at the second evaluation the validation loss stood at twice
    its best so far or more (and by half its first value). The run may recover
    afterwards: a fine-tuned model whose first epoch is its best, thrown off by a
    warm-up that heats the rate up, climbs back only slowly.

Why it matters
    One loss rising alone has a story of its own: a validation loss that rises while
    training falls is memorisation, a training loss that jumps while validation holds
    is a noisy batch. Both rising at once means the weights themselves were thrown far
    from where they were: a step too large for the loss surface. Every epoch spent
    climbing back to where the run already was is wasted, and a pre-trained start
    may never be recovered.

Evidence
    The step of the jump, the training loss's lowest level before it and its peak,
    the validation loss's best so far and its value at the jump.

Advice
    Lower the learning rate 3-10x (its peak, when it warms up); warm up for longer or
    from lower; clip the gradient norm; fine-tune a pre-trained model at a tenth of
    the rate that trains one from scratch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import confidence, finding, num, step, train_and_val_loss, what

LABEL = "lr_too_high"
NAME = "overshoot"
SUMMARY = "the training and the validation loss jump up together, far above their best so far"


@dataclass(frozen=True)
class Thresholds:
    #: The validation loss at the jump is this multiple of its best so far...
    min_val_ratio: float = 2.0
    #: ...and above it by this fraction of its first value (a tiny loss doubling from
    #: 0.001 is no jump worth a label).
    min_val_rise_of_first: float = 0.5
    #: The training loss since the evaluation before rose to this multiple of its lowest
    #: level before it...
    min_train_ratio: float = 1.25
    #: ...and by this fraction of its starting level (the median of its first two points):
    #: a training loss near zero that doubles is noise, not weights thrown away.
    min_train_rise_of_start: float = 0.3
    #: Need this many validation points.
    min_points: int = 5


def check(c: Curves, th: Thresholds):
    t, v = train_and_val_loss(c, th.min_points, "a jump needs")
    t_start, v_first = float(np.median(t.y[:2])), float(v.y[0])
    if t_start <= 0 or v_first <= 0:
        return []
    best_before = np.minimum.accumulate(v.y)[:-1]  # the best so far, before each point
    jumped = ((best_before > 0) & (v.y[1:] >= th.min_val_ratio * best_before)
              & (v.y[1:] - best_before >= th.min_val_rise_of_first * v_first))
    for j in np.flatnonzero(jumped) + 1:  # the validation jumps: did training jump too?
        v_best, v_now = float(best_before[j - 1]), float(v.y[j])
        before = t.x <= v.x[j - 1]
        between = (t.x > v.x[j - 1]) & (t.x <= v.x[j])
        if not before.any() or not between.any():
            continue
        t_low = float(np.min(t.y[before]))
        k = int(np.flatnonzero(between)[np.argmax(t.y[between])])
        t_peak = float(t.y[k])
        if (t_low <= 0 or t_peak < th.min_train_ratio * t_low
                or t_peak - t_low < th.min_train_rise_of_start * t_start):
            continue
        margin = min(v_now / v_best / th.min_val_ratio,
                     (t_peak - t_low) / t_start / th.min_train_rise_of_start) - 1
        return [finding(
            "warning", confidence(margin),
            f"{what(t)} jumped from {num(t_low)} to {num(t_peak)} by step {step(t.x[k])} and "
            f"{what(v)} at once to {num(v.value_of(v_now))} at step {step(v.x[j])}, "
            f"{v_now / v_best:.1f}x its best so far ({num(v.value_of(v_best))}): the weights "
            "were thrown from where they were, by a step too large",
            [
                "lower the learning rate 3-10x (its peak, when it warms up)",
                "warm up for longer, or from a lower rate; clip the gradient norm (e.g. 1.0)",
                "fine-tune a pre-trained model at about a tenth of the rate used from scratch",
            ],
            {"tags": [t.tag, v.tag], "start_step": int(v.x[j - 1]), "end_step": int(v.x[j]),
             "train_low": t_low, "train_peak": t_peak, "val_best": v.value_of(v_best),
             "val_at_jump": v.value_of(v_now)},
        )]
    return []
