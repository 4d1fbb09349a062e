"""A flat start followed by a sudden drop ("hockey stick").

What it detects
    The training loss barely moves for the first part of the run, then drops
    steeply: the descent after the knee is many times faster than before it.
    A learning-rate warm-up that explains the flat start is not flagged, nor
    (with C known) a flat start well below the chance loss ln(C), nor a flat start
    that a validation loss measured through it does not share.

Why it matters
    A network that needs many steps before it starts to learn is usually
    undoing a poor initialisation (saturated units, a wrong output bias, badly
    scaled inputs). Those steps are wasted, and the same problem often costs
    final accuracy.

Evidence
    The knee step, the fraction of the run spent flat, and how much faster the
    loss fell after the knee than before it.

Advice
    Check the loss at init against ln(C); set the output bias to the data mean
    or class priors; use He/Xavier initialisation; normalise inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import Skip, confidence, finding, num, pct, step, what

LABEL = "bad_init"
NAME = "hockey-stick-start"
SUMMARY = "the loss stays flat at the start, then drops suddenly"


@dataclass(frozen=True)
class Thresholds:
    #: The flat phase must last at least this fraction of the run (shorter is
    #: ordinary start-up noise).
    min_flat_frac: float = 0.06
    #: The loss after the knee must fall this many times faster than before it.
    #: A smooth exponential or power-law decay scores below 1.
    min_speedup: float = 4.0
    #: The drop must be a real one: at least this fraction of the starting level (a
    #: pre-trained model near its floor whose noisy loss sags by a third is no network
    #: learning at last; a stuck init falls from ln(C) to a fraction of it).
    min_total_drop: float = 0.5
    #: Need this many points to tell a flat start from noise, and this many in the
    #: flat phase itself (one slow first interval is no plateau).
    min_points: int = 12
    min_flat_points: int = 3
    #: A logged LR warm-up that lasts at least this share of the flat phase explains it.
    warmup_share: float = 0.5
    #: With C known, the flat start sits at or above this fraction of ln(C): a poor
    #: init holds the loss at chance (or above); a plateau well below it came after
    #: learning had begun.
    min_of_chance: float = 0.8


def _knee(ys: np.ndarray, x: np.ndarray, start: float) -> tuple[int, int, float]:
    """Where a falling curve has made 10% and 60% of its drop from ``start``, and how many
    times faster it fell between the two than before the first."""
    drop = start - float(ys.min())
    below = lambda frac: int(np.argmax(ys <= start - frac * drop))  # noqa: E731
    i10, i60 = below(0.1), below(0.6)
    if i60 <= i10:
        return i10, i60, 0.0
    return i10, i60, (0.5 / max(x[i60] - x[i10], 1e-12)) / (0.1 / max(x[i10] - x[0], 1e-12))


def check(c: Curves, th: Thresholds):
    t = c.train
    if t is None:
        raise Skip("no training curve logged")
    if len(t.y) < th.min_points:
        raise Skip(f"only {len(t.y)} points; a hockey stick needs {th.min_points}")
    ys, x = t.ys, t.x
    start = float(np.median(t.y[: max(1, len(t.y) // 50)]))
    drop = start - float(ys.min())
    if drop <= th.min_total_drop * max(abs(start), 1e-12):
        return []
    i10, i60, speedup = _knee(ys, x, start)
    span = max(x[-1] - x[0], 1.0)
    flat = (x[i10] - x[0]) / span
    if flat < th.min_flat_frac or i10 < th.min_flat_points or i60 <= i10:
        return []
    if speedup < th.min_speedup:
        return []
    v = c.get("val_loss")
    # validation measured through the flat start fell from its first point on: the flat
    # start is the noise of the training loss, not a network that could not learn
    if (v is not None and np.sum(v.x <= x[i10]) >= th.min_flat_points and v.n >= 6
            and _knee(v.ys, v.x, float(v.y[0]))[2] < th.min_speedup):
        return []
    chance = c.chance_loss if t.is_loss else None
    if chance is not None and start < th.min_of_chance * chance:
        return []  # flat well below ln(C): it had learned already; a stall, not the init
    lr = c.get("lr")
    if lr is not None and lr.n >= 3:
        early = lr.y_all[lr.x_all <= x[i10]]
        if len(early) >= 2 and early[-1] > 1.5 * early[0]:
            peak_step = lr.x_all[int(np.argmax(early))]
            if peak_step - x[0] >= th.warmup_share * (x[i10] - x[0]):
                return []  # a warm-up lasting most of the flat start explains it
    return [finding(
        "warning", confidence((speedup - th.min_speedup) / th.min_speedup),
        f"{what(t)} stayed flat near {num(t.value_of(start))} for the first {pct(flat)} of the "
        f"run, then fell {speedup:.0f}x faster after step {step(x[i10])}",
        [
            "check the loss at init against ln(C) and the output layer's bias",
            "use He/Xavier initialisation and normalise the inputs",
            "if a warm-up is intended, log the learning rate so the flat start is explained",
        ],
        {
            "tags": [t.tag], "start_step": int(x[0]), "end_step": int(x[i60]),
            "knee_step": int(x[i10]), "flat_fraction": flat, "speedup": speedup,
            "chance_loss": c.chance_loss, "num_classes_source": c.num_classes[1],
        },
    )]
