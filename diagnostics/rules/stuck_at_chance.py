"""The loss sits at the chance level ln(C) and the gradient norm vanishes.

What it detects
    The training loss never moves away from ln(C) (within a tolerance) and,
    where the gradient norm is logged, it is tiny or collapses. Without a
    logged gradient norm, a smooth (not noisy) line at chance is enough.

Why it matters
    The network outputs the same uniform guess for every input and no gradient
    reaches the weights: dead ReLUs, saturated activations, or weights
    initialised to zero. Training longer will not help.

Evidence
    The loss level and ln(C), the gradient norm at the start and end.

Advice
    Use He/Xavier initialisation instead of zeros or tiny weights; check for
    dead activations; normalise inputs; check that the labels reach the loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import confidence, finding, num, step, train_loss_and_chance

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
    #: Without a gradient norm, the line must be this smooth (noise / level) to
    #: be a dead network rather than one bouncing on a too-high learning rate.
    max_noise: float = 0.02


def check(c: Curves, th: Thresholds):
    t, chance = train_loss_and_chance(c)
    dist = np.abs(t.ys / chance - 1.0)
    if len(dist) < 3 or float(dist[len(dist) // 5:].max()) > th.tolerance:
        return []
    g = c.get("grad_norm")
    ev = {"tags": [t.tag], "start_step": int(t.x[0]), "end_step": int(t.x[-1]),
          "chance_loss": chance, "loss_level": float(np.median(t.y)),
          "noise": t.noise / chance}
    if g is not None and g.n >= 2:
        g0, g1 = float(abs(g.y_all[0])), float(np.median(np.abs(g.y_all[-max(1, g.n // 10):])))
        ev.update(tags=[t.tag, g.tag], grad_norm_start=g0, grad_norm_end=g1)
        if not (g1 <= th.vanish_abs or g1 <= th.vanish_ratio * g0):
            return []
        why = f"the gradient norm fell from {num(g0)} to {num(g1)}"
        conf = 0.9
    else:
        if t.noise / chance > th.max_noise:
            return []
        why = "the curve is smooth (no gradient norm logged to confirm)"
        conf = confidence(0.0, 0.55)
    return [finding(
        "error", conf,
        f"training loss stayed at the chance level ln({c.num_classes[0]}) = {num(chance)} "
        f"from step {step(t.x[0])} to {step(t.x[-1])}; {why}",
        [
            "use He/Xavier initialisation, not zeros or tiny weights",
            "look for dead or saturated activations (ReLU after a large negative bias)",
            "normalise the inputs and check that the labels reach the loss",
        ],
        ev,
    )]
