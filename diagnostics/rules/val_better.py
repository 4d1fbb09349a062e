"""Validation is consistently better than training.

What it detects
    Over the second half of the run, the validation loss (or error) is below
    the training curve at the same steps by a clear margin, at most points.

Why it matters
    Usually harmless and explained by regularisation that only acts in
    training (dropout, augmentation) or by the training loss being averaged
    over an epoch while the weights improved. It can also mean the validation
    set is easier than the training set, or leaks into it.

Evidence
    The median margin and the share of validation points below training.

Advice
    Check that no validation examples are in the training set; compare with
    dropout/augmentation off; evaluate the training set in eval mode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import Skip, finding, pct, what

LABEL = None
NAME = "validation-better-than-training"
SUMMARY = "validation is consistently better than training"


@dataclass(frozen=True)
class Thresholds:
    #: Validation must be better by this fraction of the training level...
    min_margin: float = 0.1
    #: ...at this share of the validation points in the second half.
    min_share: float = 0.8


def check(c: Curves, th: Thresholds):
    t, v = c.train, c.val
    if t is None or v is None or not t.same_scale(v):
        raise Skip("needs comparable training and validation curves")
    if c.axes_differ:
        raise Skip(c.axes_differ)
    x_half = c.first_step + c.span / 2
    m = v.x_all >= x_half
    if m.sum() < 2:
        raise Skip("too few validation points in the second half")
    tv = np.interp(v.x_all[m], t.x, t.ys)
    rel = (tv - v.y_all[m]) / np.maximum(np.abs(tv), 1e-12)
    share = float((rel >= th.min_margin).mean())
    if share < th.min_share:
        return []
    margin = float(np.median(rel))
    return [finding(
        "info", 0.7,
        f"{what(v)} is better than {what(t)} by {pct(margin)} (median) at "
        f"{pct(share)} of validation points in the second half",
        [
            "check that no validation examples are in the training set",
            "expected with dropout or augmentation; compare with them off",
        ],
        {"tags": [t.tag, v.tag], "start_step": int(x_half), "end_step": int(v.x_all[-1]),
         "margin": margin, "share": share},
    )]
