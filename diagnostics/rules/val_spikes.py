"""The validation loss spikes far above its best, and comes back, again.

What it detects
    An evaluation at ``spike_ratio`` times the best validation loss before it, and above
    the first evaluation, after which the loss comes back below half the spike: at least
    ``min_spikes`` such spikes (a run of spiking evaluations counts once), or one at
    ``lone_spike_ratio`` times the best, three times the first evaluation and above where
    the training loss began (a Keras fine-tune's validation loss thrown from 0.33 to 7.2,
    its accuracy to chance, then back). Whatever the
    training loss does beside it: a small, noisy validation set wobbles by a fraction
    of its level, not ten times over, and a loss near zero that doubles on one hard
    example stays below where the run began. Every further component of the loss logged
    for both training and validation (a detector's objectness loss) is judged the same way.

Why it matters
    Each spike is an update so large that it threw the weights far from the region the
    model had found (often through batch-norm statistics); the run climbs back, and
    the spikes stop once the rate is cut. Where training stopped decides how good the
    model is, and a checkpoint taken at a spike is ruined. A spike is no memorisation:
    a validation loss that also rises from its best is judged on its own.

Evidence
    The number of spikes, the highest and how many times the best before it, the span
    they fall in.

Advice
    Lower the learning rate 3-10x; decay it or warm it up; clip the gradient norm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import Skip, confidence, finding, num, step, what

LABEL = "lr_too_high"
#: Judged again on every component of the loss logged for training and validation.
PER_COMPONENT = True
NAME = "val-spikes"
SUMMARY = "the validation loss spikes to ten times its best, and comes back, again"


@dataclass(frozen=True)
class Thresholds:
    #: A spike: an evaluation at this multiple of the best before it...
    spike_ratio: float = 10.0
    #: ...this many times (each run of spiking evaluations once)...
    min_spikes: int = 2
    #: ...or once, at this multiple of the best before it, ``lone_over_first`` times the
    #: first evaluation and above the training loss's start (far above where the run
    #: began: no loss near zero jumping on one hard example, but weights thrown off once,
    #: the run climbing back).
    lone_spike_ratio: float = 20.0
    lone_over_first: float = 3.0
    #: Need this many validation points.
    min_points: int = 5


def check(c: Curves, th: Thresholds):
    v = c.val
    if v is None:
        raise Skip("no validation metric logged")
    if not v.is_loss:
        raise Skip(f"{v.tag} is a score, not a loss")
    y, x = v.y_all, v.x_all
    if len(y) < th.min_points:
        raise Skip(f"only {len(y)} validation points; spikes need {th.min_points}")
    if not np.all(np.isfinite(y)):
        return []  # a non-finite loss is the divergence rule's
    # against its first evaluation after an update (one before any update sits at the
    # init's loss)
    first = 1 if c.at_init(v) else 0
    best_before = np.minimum.accumulate(y)
    high = np.zeros(len(y), dtype=bool)
    high[1:] = ((y[1:] >= th.spike_ratio * np.maximum(best_before[:-1], 1e-12))
                & (y[1:] > y[first]))
    starts = np.flatnonzero(high[1:] & ~high[:-1]) + 1
    # each came back: a later evaluation below half of it
    spikes = [int(i) for i in starts if i + 1 < len(y) and np.min(y[i + 1:]) < y[i] / 2]
    if not spikes:
        return []
    top = int(np.flatnonzero(high)[np.argmax(y[high])])
    best = float(best_before[top - 1])
    ratio = float(y[top] / max(best, 1e-12))
    t = c.train if c.train is not None and c.train.is_loss else None
    if len(spikes) < th.min_spikes and (
            ratio < th.lone_spike_ratio or y[top] < th.lone_over_first * y[first]
            or (t is not None and y[top] < t.start)):
        return []
    said = (f"spiked {len(spikes)} times to {th.spike_ratio:.0f}x its best so far or more, "
            "each time above its first evaluation" if len(spikes) > 1 else
            "spiked once, far above its first evaluation and where training began")
    return [finding(
        "warning",
        confidence(len(spikes) / th.min_spikes - 1 + np.log10(ratio / th.spike_ratio)),
        f"{what(v)} {said}, and came back (the highest "
        f"{num(v.value_of(float(y[top])))} at step {step(x[top])}, {ratio:.0f}x the best "
        f"{num(v.value_of(best))} before it): steps too large threw the weights far off",
        [
            "lower the learning rate 3-10x",
            "decay the learning rate over the run (cosine or step), or warm it up",
            "clip the gradient norm",
        ],
        {"tags": [v.tag], "start_step": int(x[spikes[0]]), "end_step": int(x[-1]),
         "spikes": len(spikes), "largest_ratio": ratio},
    )]
