"""An LR range test: the learning rate rises over two or more decades.

What it detects
    The logged learning rate rises steadily over the whole run by a factor of
    100 or more: this is an LR range test ("LR finder"), not a training run.
    The suggested rate is where the smoothed loss falls fastest against
    log(LR), before the loss reaches its minimum.

Why it matters
    Read as a training run, its exploding end would look like divergence; read
    as a range test it answers "which learning rate should I use?", the third
    step of Karpathy's recipe.

Evidence
    The LR range, the LR at the steepest descent (suggested), the LR at the
    lowest loss.

Advice
    Train with the suggested LR (or up to 1/10 of the LR at the lowest loss);
    the other rules do not apply to a range test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import Skip, finding, num, step
from ..stats import smooth, trend

LABEL = None
NAME = "lr-range-test"
SUMMARY = "the LR rises over >= 2 decades: an LR range test, with its suggested LR"


@dataclass(frozen=True)
class Thresholds:
    #: The LR must span at least this many decades (fastai's finder spans 5-7).
    min_decades: float = 2.0
    #: And rise steadily: Kendall's tau of LR against step at least this.
    min_tau: float = 0.9


def check(c: Curves, th: Thresholds):
    lr, t = c.get("lr"), c.train
    if lr is None or lr.n < 5:
        raise Skip("no learning rate logged")
    v = lr.y_all
    if np.any(v <= 0):
        return []
    decades = float(np.log10(v.max() / v.min()))
    if decades < th.min_decades or int(np.argmax(v)) < 0.8 * (lr.n - 1):
        return []
    if trend(lr.x, lr.y).tau < th.min_tau:
        return []
    ev = {"tags": [lr.tag], "start_step": int(lr.x_all[0]), "end_step": int(lr.x_all[-1]),
          "lr_min": float(v.min()), "lr_max": float(v.max()), "decades": decades}
    suggestion = ""
    if t is not None and len(t.y) >= 7:
        log_lr = np.log10(np.interp(t.x, lr.x_all, v))
        ys = smooth(t.y)
        lowest = int(np.argmin(ys))
        if lowest >= 3:
            grad = np.gradient(ys[: lowest + 1], log_lr[: lowest + 1])
            steepest = int(np.nanargmin(grad))
            s_lr, m_lr = 10 ** log_lr[steepest], 10 ** log_lr[lowest]
            ev["tags"].append(t.tag)
            ev.update(suggested_lr=float(s_lr), lr_at_lowest_loss=float(m_lr),
                      steepest_step=int(t.x[steepest]))
            suggestion = (f"; the loss falls fastest at LR {num(s_lr)} (step "
                          f"{step(t.x[steepest])}) and is lowest at {num(m_lr)}: "
                          f"try {num(s_lr)}")
    return [finding(
        "info", 0.9,
        f"this is an LR range test: the learning rate rises from {num(v.min())} to "
        f"{num(v.max())} ({decades:.1f} decades){suggestion}",
        [
            "train with the suggested learning rate (at most 1/10 of the LR at the lowest loss)",
            "the other diagnoses do not apply to a range test and are left out",
        ],
        ev,
    )]
