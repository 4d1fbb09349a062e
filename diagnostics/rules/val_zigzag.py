"""The validation loss jumps up and down by a large fraction, again and again.

What it detects
    After the first fifth of its evaluations, the validation loss (or error from
    accuracy) jumps up by a fifth of its level or more and back down as often, at
    least three times each, and every jump counted is also a visible part of
    what the curve learned (its first value minus its best; an evaluation
    before the first update, at the init's loss, does not count as the first
    value, so a run that logs one is judged as one that does not); where a training
    loss is logged, it too jumped back up well above its best so far. A small
    validation set is noisy beside a steadily falling training loss; a zigzag of
    this size beside a jumping one means the weights bounce between regions of
    the loss.

Why it matters
    A step size too large for the loss surface throws the model from one side of
    a valley to the other: one epoch lands somewhere good, the next somewhere
    bad. Its validation score then depends on where training happened to stop,
    and a rise between jumps is the instability, not memorisation.

Evidence
    The number of up and down jumps, the largest jump as a fraction of the level,
    the span they fall in.

Advice
    Lower the learning rate 3-10x; decay it over the run; clip the gradient
    norm; a larger batch averages out gradient noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import Skip, confidence, finding, pct, step, what

LABEL = "lr_too_high"
NAME = "val-zigzag"
SUMMARY = "the validation loss jumps up and down by a fifth of its level, again and again"


@dataclass(frozen=True)
class Thresholds:
    #: A jump moves the validation loss by this fraction of its level before it...
    min_jump: float = 0.2
    #: ...and by this fraction of what the curve learned (first value - best).
    min_jump_of_learned: float = 0.1
    #: At least this many jumps up and as many down.
    min_zigzags: int = 3
    #: The first fraction of the evaluations is skipped (a steep early descent).
    skip_frac: float = 0.2
    #: Need this many validation points.
    min_points: int = 8
    #: Where a training loss is logged, it too jumped back up this fraction above its
    #: best so far, or of all it learned (``stats.max_setback``; a training loss that
    #: falls steadily beside a zigzagging validation loss says the validation set is
    #: small and noisy, not that the rate is unstable).
    min_train_setback: float = 0.2


def check(c: Curves, th: Thresholds):
    v = c.val
    if v is None:
        raise Skip("no validation metric logged")
    y = v.y_all
    if len(y) < th.min_points:
        raise Skip(f"only {len(y)} validation points; a zigzag needs {th.min_points}")
    # what it learned since its first evaluation after an update: a pass before any update
    # sits at the init's loss, and a run that logs one is judged as one that does not
    first = 1 if c.at_init(v) and len(y) > th.min_points else 0
    learned = float(y[first] - np.min(y))
    if learned <= 0:
        return []
    diffs = np.diff(y)
    rel = diffs / np.maximum(np.abs(y[:-1]), 1e-12)
    big = np.abs(diffs) >= th.min_jump_of_learned * learned
    late = np.arange(len(diffs)) >= int(th.skip_frac * len(diffs))
    ups = int(np.sum((rel >= th.min_jump) & big & late))
    downs = int(np.sum((rel <= -th.min_jump) & big & late))
    zigzags = min(ups, downs)
    if zigzags < th.min_zigzags:
        return []
    t = c.train if c.train is not None and c.train.role != v.role else None
    if t is not None and t.setback < th.min_train_setback:
        return []  # training descends steadily: the zigzag is a small validation set's noise
    beside = (f", while {what(t)} climbed back {pct(t.setback)} above its best"
              if t is not None else "")
    largest = float(np.max(np.abs(rel[big & late])))
    x = v.x_all
    start = int(x[int(th.skip_frac * len(diffs))])
    return [finding(
        "warning",
        confidence(zigzags / th.min_zigzags - 1 + (largest / th.min_jump - 1) / 4)
        * (1.0 if t is not None else 0.85),  # without training, a small noisy set looks so too
        f"{what(v)} jumped up {ups} times and down {downs} times by {pct(th.min_jump)} of "
        f"its level or more from step {step(start)} on (the largest jump {pct(largest)})"
        f"{beside}: the weights bounce instead of settling",
        [
            "lower the learning rate 3-10x",
            "decay the learning rate over the run (cosine or step)",
            "clip the gradient norm; a larger batch averages out gradient noise",
        ],
        {"tags": [v.tag] + ([t.tag] if t is not None else []), "start_step": start,
         "end_step": int(x[-1]), "jumps_up": ups, "jumps_down": downs,
         "largest_jump": largest, "train_setback": t.setback if t is not None else None},
    )]
