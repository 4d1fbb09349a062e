"""The training curve is very noisy.

What it detects
    The point-to-point noise of the training curve (robust sigma around a
    non-lagging smooth, second half of the run) is a large fraction of its
    level, without being the overshoot that the oscillation rule flags.

Why it matters
    A noisy curve hides trends: small improvements and early signs of trouble
    drown in it, and single values (a "best" loss) are luck. It often comes
    from small batches or logging single-batch losses.

Evidence
    The noise as a fraction of the level.

Advice
    Log a running mean over the logging interval; use a larger batch; lower
    the learning rate a little if the noise grows over the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import Skip, finding, num, pct, what

LABEL = None
NAME = "noisy-curve"
SUMMARY = "the training curve's noise is a large fraction of its level"


@dataclass(frozen=True)
class Thresholds:
    #: Noise (robust sigma / level) above this hides trends of a few percent.
    min_noise: float = 0.25
    #: Need this many points for a noise estimate.
    min_points: int = 30


def check(c: Curves, th: Thresholds):
    t = c.train
    if t is None or t.n < th.min_points:
        raise Skip("too few training points for a noise estimate")
    level = abs(float(np.median(t.ys[len(t.ys) // 2:])))
    noise = t.noise / max(level, 1e-12)
    if noise < th.min_noise:
        return []
    half = t.x_all[t.n // 2]
    return [finding(
        "info", 0.8,
        f"{what(t)} is noisy: it varies by {pct(noise)} of its level "
        f"({num(t.noise)} around {num(t.value_of(level))})",
        [
            "log a running mean over each logging interval instead of single batches",
            "use a larger batch, or lower the learning rate a little",
        ],
        {"tags": [t.tag], "start_step": int(half), "end_step": int(t.x_all[-1]),
         "noise": noise},
    )]
