"""The loss stays high and never improves, noisy or with a large gradient norm.

What it detects
    The training loss ends about where it started (it never improved by more
    than a small fraction) while the curve is noisy, jumped up at the start (its
    smoothed curve, or a single logged loss at twice its start), or the gradient norm
    stays large: the optimiser bounces instead of descending. A loss that spiked early and
    then settled at the chance level ln(C) counts however it compares with the spike's
    aftermath: a step too large threw the network to chance. A first point that is a mean
    over the first epoch, at 1.5 times ln(C) or more, is such a spike: it came within
    that epoch.
    With C known, a loss that ends at the chance level ln(C) and bounces there
    counts however high it started, unless it is still working its way down
    (validation, else training, still falling on a significant trend at the end).
    Minibatch noise and a gradient norm that stays large are no evidence beside a
    validation loss that settled smoothly at its best: that optimiser converged; nor
    is a training loss back up from its best beside a validation loss still falling,
    on a significant trend, to its best at the end (a sparse minibatch loss), nor any
    beside a validation loss that never moved 1% from its first evaluation (the weights
    barely change). A loss
    that never improved beside an accuracy that learned (its error halved) is no
    measure of the descent (a weighted sum whose unsupervised term ramps up).

Why it matters
    With a step size far too large, every update jumps across the valley of the
    loss, so the loss neither falls nor settles. The course notes: "the loss is
    very high and does not change as training goes on: the learning rate is too
    large".

Evidence
    Start and end level, the relative improvement, the noise level, the
    gradient norm at start and end where logged.

Advice
    Lower the learning rate 3-10x; use a warm-up and decay; clip gradients; run
    an LR range test to find where the loss starts to fall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import (
    Skip,
    confidence,
    finding,
    first_mean_over_chance,
    never_moved,
    num,
    pct,
    step,
    what,
)
from ..stats import rolling_median, strong_trend

LABEL = "lr_too_high"
NAME = "high-plateau"
SUMMARY = "the loss never improves and bounces (or the gradient norm stays large)"


@dataclass(frozen=True)
class Thresholds:
    #: "Never improved": the end level is within this fraction of the start level.
    max_improvement: float = 0.1
    #: Noise (robust sigma / level) above this marks a bouncing optimiser; a
    #: minibatch loss of a sound run wobbles by a few up to ~10 percent.
    min_noise: float = 0.12
    #: A gradient norm that keeps this fraction of its first value "stays large"...
    grad_kept: float = 0.3
    #: ...unless it is tiny anyway (below this it has vanished: a dead network).
    min_grad: float = 1e-3
    #: An early jump above the start by this fraction is an overshoot (the smoothed curve
    #: over the first fifth of the run)...
    early_jump: float = 0.3
    #: ...or a single logged loss there this fraction above the start (a spike to twice
    #: the start, which smoothing over a short log flattens, in a loss that never improved).
    early_spike: float = 1.0
    #: A first point that is a mean over the first epoch (or logging interval), at this
    #: multiple of ln(C), says the loss was thrown far above chance within it: the spike
    #: happened before the first point, whatever the curve does after.
    first_mean_of_chance: float = 1.5
    #: Climbing back up by this fraction of what it had learned (start - best; the best
    #: is a rolling median over 1/20 of the run, so noise does not fake it): the
    #: optimiser lost ground. A training loss does not do that at a sound step size;
    #: this alone is enough, whatever the overall improvement.
    rebound: float = 0.3
    #: ...counted only once it had learned this fraction of its start (a flat line's
    #: wiggles are no lost ground).
    min_learned: float = 0.2
    #: With C known: a loss that ends at this multiple of ln(C) or above and bounces by
    #: ``min_noise_at_chance`` of its level never got past chance, however it started (a
    #: smooth one there is a dead network: the stuck-at-chance rule).
    high_of_chance: float = 0.9
    min_noise_at_chance: float = 0.03
    #: ...unless it is still descending: over the last ``tail_frac`` of the run the
    #: validation loss (else the training loss) fell this fraction of its level, on a
    #: significant trend (a bad init working its way down, not a plateau).
    tail_frac: float = 0.3
    still_falling: float = 0.05
    alpha: float = 0.05
    #: A validation loss that moves by at most this fraction of its level from one
    #: evaluation to the next, ending within ``settled_of_best`` of its best, has settled:
    #: the weights barely move between evaluations, so a bouncing training loss beside it
    #: is minibatch noise around a saturated trend (a too-high rate throws the weights, and
    #: validation with them, around), and a minibatch gradient norm never vanishes at a
    #: noisy optimum.
    settled_noise: float = 0.005
    settled_of_best: float = 0.05
    #: A validation loss within this share of its level from its first evaluation to its
    #: last (``frozen_points`` of them at least) shows weights that barely change: no rate
    #: too high, however a minibatch loss on a few examples bounces.
    frozen_val: float = 0.01
    frozen_points: int = 8
    #: Need this many points to judge a plateau.
    min_points: int = 5


def check(c: Curves, th: Thresholds):
    t = c.train
    if t is None:
        raise Skip("no training curve logged")
    if len(t.y) < th.min_points:
        raise Skip(f"only {len(t.y)} points; a plateau needs {th.min_points}")
    # the loss at init (before a too-high LR blows it up, and before a fast first drop)
    start = t.start
    end = float(np.median(t.y[-max(2, len(t.y) // 5):]))
    size = max(abs(start), 1e-12)
    improvement = (start - end) / size
    noise = t.noise / max(abs(end), 1e-12)
    early = t.ys[: max(2, len(t.ys) // 5)]
    # an overshoot is measured from before it: the first three points' median (the first
    # point alone on a short log, never the mean of the first two, the jump among them),
    # so one noisy first batch does not make a jump
    before = float(np.median(t.y[: 3 if len(t.y) >= 30 else 1]))
    jump = (float(early.max()) - before) / max(abs(before), 1e-12)
    spike = (float(np.max(t.y[: len(early)])) - before) / max(abs(before), 1e-12)
    # the best level under a rolling median over 1/20 of the run (3 points on a short
    # epoch log, where a dip of two epochs is real)
    wide = rolling_median(t.y, max(3 if len(t.y) < 40 else 5, (len(t.y) // 20) | 1))
    best = float(wide.min())
    learned = start - best
    back = (end - best) / learned if learned >= th.min_learned * size else 0.0
    v = None if c.axes_differ else c.get("val_loss")
    if v is not None and never_moved(v, th.frozen_val, th.frozen_points):
        return []  # validation never moved: the weights barely change, however the
        #            minibatch loss bounces (a too-high rate throws them, and it with them)
    reasons, ev = [], {}
    chance = c.chance_loss if t.is_loss else None
    at_chance = (chance is not None and end >= th.high_of_chance * chance
                 and not _descending(c, th))
    loud_at_chance = at_chance and noise >= th.min_noise_at_chance
    # (an epoch's mean far above ln(C) at the first point: the spike came within it)
    thrown = (first_mean_over_chance(c, t) or 0.0) >= th.first_mean_of_chance
    spiked = spike >= th.early_spike or thrown
    if back >= th.rebound and not _val_still_best(c, th):
        reasons.append(f"it lost {pct(back)} of what it had learned, back up from its best "
                       f"{num(t.value_of(best))}")
    elif loud_at_chance:
        reasons.append(f"it ends at {pct(end / chance)} of the chance loss ln("
                       f"{c.num_classes[0]}) = {num(chance)}, bouncing by {pct(noise)}")
    elif (improvement > th.max_improvement or c.accuracy_learned) and not (at_chance
                                                                           and spiked):
        # it improved, or an accuracy beside it did: this loss is no measure (unless it
        # spiked early and ends at chance: thrown there by a step too large)
        return []
    g = c.get("grad_norm")
    settled = not reasons and _val_settled(c, th)
    if g is not None and g.n >= 2 and not settled:
        g0 = float(np.median(np.abs(g.y_all[: max(1, g.n // 20)])))
        g1 = float(np.median(np.abs(g.y_all[-max(1, g.n // 5):])))
        ev.update(grad_norm_start=g0, grad_norm_end=g1)
        if g0 > 0 and g1 >= th.grad_kept * g0 and g1 > th.min_grad:
            reasons.append(f"the gradient norm stayed large ({num(g0)} -> {num(g1)})")
    if noise >= th.min_noise and not settled:
        reasons.append(f"it bounces by {pct(noise)} of its level")
    if jump >= th.early_jump:
        reasons.append(f"it jumped {pct(jump)} above its start early on")
    elif spiked:
        ends = (f", and ends at {pct(end / chance)} of the chance loss ln({c.num_classes[0]}) "
                f"= {num(chance)}" if at_chance else "")
        if spike >= th.early_spike:
            reasons.append(f"it spiked to {num(t.value_of(before * (1 + spike)))} early on, "
                           f"{pct(spike)} above its start{ends}")
        else:
            reasons.append(f"its first point, a mean over the first epoch, is "
                           f"{float(t.y[0]) / chance:.1f}x the chance loss: it was thrown "
                           f"far above chance within that epoch{ends}")
    if not reasons:
        return []
    margin = max(noise / th.min_noise - 1, jump / th.early_jump - 1, 2 * (back / th.rebound - 1),
                 spike / th.early_spike - 1,
                 # a loss bouncing at ln(C) is as sure as its bounce is loud
                 (noise / th.min_noise_at_chance - 1) if loud_at_chance else -1.0,
                 0.3 * len(reasons))
    if improvement > th.max_improvement and at_chance and spiked:
        # measured from its first point, before the spike: it never got past chance
        start, improvement = before, (before - end) / max(abs(before), 1e-12)
    return [finding(
        "error", confidence(margin),
        f"{what(t)} {_verdict(improvement, at_chance and spiked, th)}: "
        f"{num(t.value_of(start))} at the start, "
        f"{num(t.value_of(end))} at step {step(t.x[-1])} ({pct(max(improvement, 0))} better); "
        + "; ".join(reasons),
        [
            "lower the learning rate 3-10x",
            "add a warm-up and a decay schedule; clip the gradient norm",
            "run an LR range test and pick a rate where the loss falls fastest",
        ],
        {"tags": [t.tag] + ([g.tag] if g is not None else []), "start_step": int(t.x[0]),
         "end_step": int(t.x[-1]), "start_level": start, "end_level": end,
         "improvement": improvement, "noise": noise, "early_jump": jump, "early_spike": spike,
         "rebound": back,
         **ev},
    )]


def _verdict(improvement: float, thrown_to_chance: bool, th: Thresholds) -> str:
    """What the loss did, in a few words, for the finding's first clause."""
    if improvement <= th.max_improvement:
        return "never improved"
    return "never got past chance" if thrown_to_chance else "lost ground"


def _descending(c: Curves, th: Thresholds) -> bool:
    """Whether the validation loss (else the training loss) still falls over the last
    ``tail_frac`` of the run, by ``still_falling`` of its level on a significant trend."""
    curve = c.val if c.val is not None and c.val.is_loss and c.val.n >= 5 else c.train
    x, y = curve.x, curve.y
    tail = x >= x[-1] - th.tail_frac * max(x[-1] - x[0], 1)
    if tail.sum() < 4:
        return False
    # (the t-test's power too: four evaluations each 10% lower than the last are a
    # descent, though Kendall cannot call four points significant)
    tr = strong_trend(x[tail], y[tail])
    fall = -tr.slope * float(x[tail][-1] - x[tail][0]) / max(abs(float(np.median(y[tail]))), 1e-12)
    return tr.slope < 0 and tr.p_value < th.alpha and fall >= th.still_falling


def _val_still_best(c: Curves, th: Thresholds) -> bool:
    """Whether a validation loss is logged that still falls on a significant trend and
    ends at its best: the weights still descend, whatever a sparse minibatch loss did."""
    v = c.val
    if v is None or not v.is_loss or v.n < th.min_points or c.axes_differ:
        return False
    end = float(np.median(v.y[-3:]))
    return (end - float(np.min(v.ys))) / max(abs(end), 1e-12) <= th.settled_of_best and \
        _descending(c, th)


def _val_settled(c: Curves, th: Thresholds) -> bool:
    """Whether a validation loss is logged that ends smooth and at its best."""
    v = c.val
    if v is None or not v.is_loss or v.n < th.min_points or c.axes_differ:
        return False
    end = float(np.median(v.y[-3:]))
    size = max(abs(end), 1e-12)
    return (v.noise / size <= th.settled_noise
            and (end - float(np.min(v.ys))) / size <= th.settled_of_best)
