"""Training and validation are logged against different x axes.

What it detects
    The training curve ends at a step twenty or more times larger (or smaller) than the
    validation curve: one was logged against the global step, the other against the
    epoch, as in ``add_scalar("Loss/train", loss, step)`` beside
    ``add_scalar("Loss/val", val_loss, epoch)``.

Why it matters
    Charts then show validation squeezed into the first few steps of training, and
    nothing that compares the two curves at the same moment (the generalisation gap,
    validation better than training) can be judged. The rules that only read one curve
    still do.

Evidence
    The last step of each curve.

Advice
    Log every scalar against the same global step (pass ``global_step`` to each
    ``add_scalar``); log the epoch as a scalar of its own if you want it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..curves import Curves
from ..evidence import finding

LABEL = None
NAME = "axes-differ"
SUMMARY = "training and validation are logged against different steps (epoch vs step)"


@dataclass(frozen=True)
class Thresholds:
    """The ratio that counts is fixed in ``Curves.axes_differ`` (20x)."""


def check(c: Curves, th: Thresholds):
    why = c.axes_differ
    if why is None:
        return []
    t, v = c.train, c.val
    return [finding(
        "warning", 0.9,
        f"training and validation can't be compared step by step: {why}",
        [
            "log every scalar against the same global step (pass global_step to add_scalar)",
            "log the epoch as a scalar of its own if you want an epoch axis",
        ],
        {"tags": [t.tag, v.tag], "start_step": None, "end_step": None,
         "train_last_step": int(t.steps[-1]), "val_last_step": int(v.steps[-1])},
    )]
