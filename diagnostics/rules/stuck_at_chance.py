"""The loss sits at the chance level ln(C) and the gradient norm vanishes.

What it detects
    The training loss never moves away from ln(C) (within a tolerance), does
    not descend from it either, and is smooth (little noise) or its gradient
    norm collapses. A slow but steady descent from chance is learning, not this; nor
    is a loss that first jumped far above where it started (by ``max_early_rise`` of
    ln(C)) and only then settled at chance: a step too large threw the network there
    (the high-plateau rule, lr_too_high), it was not born dead; nor one whose first
    point, a mean over the first epoch, is 1.5 times ln(C) or more: the jump came within it.
    C comes from where ``Curves.num_classes`` finds it; a loss that sat within half a
    percent of ln(C) of a round C (2, 10, 100, 1000) at every point says C itself.

Why it matters
    The network outputs the same uniform guess for every input and no gradient
    reaches the weights: dead ReLUs, saturated activations, or weights
    initialised to zero. Training longer will not help.

Evidence
    The loss level and ln(C) (and where C came from), the gradient norm at the start
    and end.

Advice
    Use He/Xavier initialisation instead of zeros or tiny weights; check for
    dead activations; normalise inputs; check that the labels reach the loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import (
    confidence,
    finding,
    first_mean_over_chance,
    num,
    step,
    train_loss_and_chance,
)
from ..stats import strong_trend

LABEL = "bad_init"
NAME = "stuck-at-chance"
SUMMARY = "the loss stays at ln(C) while the gradient norm vanishes"


@dataclass(frozen=True)
class Thresholds:
    #: The loss counts as "at chance" within this relative distance of ln(C).
    tolerance: float = 0.1
    #: A gradient norm that falls below this fraction of its first value has vanished.
    vanish_ratio: float = 0.05
    #: ...or below this absolute value (a fresh network's norm is of order 1).
    vanish_abs: float = 1e-4
    #: A line this smooth (noise / level) at chance is a dead network, not one bouncing
    #: on a too-high learning rate, whatever its gradient norm.
    max_noise: float = 0.02
    #: A significant descent (p < alpha) by this fraction of ln(C) over the run is slow
    #: learning, not a network stuck at chance.
    max_fall: float = 0.03
    alpha: float = 0.05
    #: A loss that rose this share of ln(C) above its first point, in the first fifth of
    #: the run, before it settled at chance was thrown there by too large a step.
    max_early_rise: float = 0.3
    #: ...as was one whose first point, a mean over the first epoch, is this multiple of
    #: ln(C): it was far above chance within that epoch, not born at chance.
    first_mean_of_chance: float = 1.5


def check(c: Curves, th: Thresholds):
    t, chance = train_loss_and_chance(c)
    dist = np.abs(t.ys / chance - 1.0)
    if len(dist) < 3 or float(dist[len(dist) // 5:].max()) > th.tolerance:
        return []
    early = t.y_all[: max(2, len(t.y_all) // 5)]
    if float(np.nanmax(early)) - float(early[0]) >= th.max_early_rise * chance:
        return []  # it jumped far above its start first: thrown to chance, not born there
    if (first_mean_over_chance(c, t) or 0.0) >= th.first_mean_of_chance:
        return []  # (the jump within the first epoch, whose mean is the first point)
    tr = strong_trend(t.x, t.y)
    fell = -tr.slope * (t.x[-1] - t.x[0]) / chance
    if tr.slope < 0 and tr.p_value < th.alpha and fell >= th.max_fall:
        return []  # slow, but learning: a steady descent from chance is no dead network
    g = c.get("grad_norm")
    ev = {"tags": [t.tag], "start_step": int(t.x[0]), "end_step": int(t.x[-1]),
          "chance_loss": chance, "num_classes_source": c.num_classes[1],
          "loss_level": float(np.median(t.y)),
          "noise": t.noise / chance}
    quiet = t.noise / chance <= th.max_noise
    vanished = False
    if g is not None and g.n >= 2:
        g0, g1 = float(abs(g.y_all[0])), float(np.median(np.abs(g.y_all[-max(1, g.n // 10):])))
        ev.update(tags=[t.tag, g.tag], grad_norm_start=g0, grad_norm_end=g1)
        vanished = g1 <= th.vanish_abs or g1 <= th.vanish_ratio * g0
    if not (quiet or vanished):
        return []
    if vanished:
        why = f"the gradient norm fell from {num(ev['grad_norm_start'])} to " \
              f"{num(ev['grad_norm_end'])}"
        conf = 0.9
    else:
        why = "the curve is smooth" + ("" if g is not None else
                                       " (no gradient norm logged to confirm)")
        conf = confidence(0.5 if g is not None else 0.0, 0.55)
    return [finding(
        "error", conf,
        f"training loss stayed at the chance level ln({c.num_classes[0]}) = {num(chance)} "
        f"(C from {c.num_classes[1]}) from step {step(t.x[0])} to {step(t.x[-1])}; {why}",
        [
            "use He/Xavier initialisation, not zeros or tiny weights",
            "look for dead or saturated activations (ReLU after a large negative bias)",
            "normalise the inputs and check that the labels reach the loss",
        ],
        ev,
    )]
