"""Training and validation close together, both plateaued at a poor level.

What it detects
    The training curve is flat (no significant downward trend over the tail,
    or a negligible gain, and no significant climb) at a level that is still a
    large fraction of where it started (or of the chance loss ln(C) when C is
    known), its accuracy, where logged, is far from 1, and the validation curve,
    where logged, sits close to it. A curve still creeping down is not plateaued (on
    a short log: every one of its last four points lower than the one before). "Poor"
    needs a yardstick: ln(C), an accuracy (training's, else validation's; not one of a
    single example per point, every value 0 or 1), or at least a validation loss close
    beside a training loss that barely moved; a bare training loss alone is no evidence,
    nor is one beside a score (mAP, IoU, F1) that cut its error by a third over the run
    (a detector's box loss moves slowly while its mAP climbs). A training accuracy that
    never moved from a poor first epoch (within 5 points, below 0.7) learned nothing:
    poor however far the loss fell in that first epoch, and whatever validation does
    above it; so did a training loss that never moved from its first point (within 1% of
    its level over ten points or more, beside a validation loss), or a validation loss
    that never did: minibatch noise alone moves a loss more, unless the weights barely
    change.

Why it matters
    A model that cannot fit its own training data is too small, too
    regularised, or trained with a step size too small to get anywhere. More
    data or early stopping will not help; capacity or optimisation will. The
    course notes: "train and validation accuracy stay close ... the model is
    not complex enough, or is still underfitting".

Evidence
    The final training level, the reference level (start or ln(C)), their
    ratio, the train-validation gap, the tail trend.

Advice
    Use a bigger model; train longer; try a higher learning rate; reduce
    regularisation (weight decay, dropout); check the features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import Skip, confidence, finding, never_moved, num, pct, step, what, window
from ..stats import last_tenth, strong_trend

LABEL = "underfitting"
NAME = "poor-plateau"
SUMMARY = "training and validation close together, both plateaued at a poor level"


@dataclass(frozen=True)
class Thresholds:
    #: "Poor": the final training level is at least this fraction of the start
    #: (or of ln(C)); a model that fits well gets far below, typically < 0.15.
    min_level_ratio: float = 0.4
    #: "Close": the train-validation gap is at most this fraction of the training level.
    max_gap: float = 0.2
    #: "Plateaued" means flat: over this tail no significant downward trend (p < alpha)
    #: that gains ``max_gain`` of the level. A curve still creeping down is not
    #: plateaued, even where the gain is too small to call for more training.
    tail_frac: float = 0.3
    alpha: float = 0.05
    max_gain: float = 0.03
    #: Nor while it climbs, on a significant trend, by this fraction of its level over
    #: the tail (a loss getting worse; a noisy plateau wanders by a few percent).
    max_climb: float = 0.1
    #: "Poor": a training accuracy at or above this at the end fits the training set
    #: well, whatever the loss says.
    max_train_acc: float = 0.9
    #: Without ln(C) or an accuracy the only yardstick is the curve's start: then it is
    #: poor only at this fraction of it (it learned next to nothing).
    min_ratio_no_yardstick: float = 0.7
    #: ...and at this fraction where the first point is already an epoch's average: the
    #: epoch learned, so the curve's start understates where it began.
    min_ratio_no_yardstick_epoch: float = 0.8
    #: A short log (too few tail points for a trend) whose last this many points each
    #: improved on the one before, by ``max_gain`` of its level over them, is still
    #: creeping down, not plateaued.
    short_declining: int = 4
    #: A training accuracy that ends within ``stuck_gain`` of its first value, below
    #: ``stuck_accuracy``, over ``stuck_points`` epochs or more, learned nothing: poor
    #: whatever the loss fell in the first epoch, and whatever validation does above it.
    stuck_gain: float = 0.05
    stuck_accuracy: float = 0.7
    stuck_points: int = 5
    #: A training loss within this share of its level from its first point to its last,
    #: over ``flat_points`` points or more, never learned either (the weights barely move).
    flat_range: float = 0.01
    flat_points: int = 10
    #: Without a yardstick, a score logged beside the loss (mAP, IoU, F1) that cut its
    #: error by this share over the run learned: a loss that barely moved is no evidence.
    score_learned: float = 1 / 3
    #: Not plateaued either while the tail still makes this share of all the progress
    #: (from where the curve started, its first fast drop included).
    max_share: float = 0.1
    #: ...counted only when the curve learned at least this multiple of its level.
    min_progress: float = 0.05


def check(c: Curves, th: Thresholds):
    t = c.train
    if t is None:
        raise Skip("no training curve logged")
    if len(t.y) < 3:
        raise Skip(f"only {len(t.y)} training points")
    # the level it started from, before any fast first drop (an epoch mean has learned
    # through the epoch: the first one is the closest there is to the loss at init)
    start = t.start
    end = last_tenth(t.y)
    ref, ref_name = start, "its start"
    chance = c.chance_loss if t.is_loss else None
    if chance is not None:
        # a start above ln(C) is the init's doing: how poor the end is, is read against
        # chance, which a network that learned nothing sits at whatever its start
        ref, ref_name = chance, f"the chance loss ln({c.num_classes[0]})"
    if ref <= 0 or end <= 0:
        return []
    ratio = end / ref
    v = None if c.axes_differ else c.val
    comparable = v is not None and v.same_scale(t)  # validation on the same scale
    # the accuracy that says how poor: training's, else validation's beside a training loss
    # (an accuracy proper: a detector's mAP or an IoU has no ceiling of 1 to fall short of)
    # (nor is an accuracy of one example per point, every value 0 or 1)
    ta = c.get("train_acc")
    va = None if c.axes_differ else c.get("val_acc")
    acc = ta if ta is not None and ta.kind == "error" and not ta.one_example else next(
        (a for a in (v, va) if a is not None and a.kind == "error" and t.kind != "error"
         and not a.one_example and a.is_accuracy), None)
    # "poor" needs a yardstick: ln(C), or an accuracy; a bare loss against its own start
    # (a regression's MSE, say) is poor only when it barely moved
    yardstick = acc is not None or chance is not None
    floor = (th.min_level_ratio if yardstick else th.min_ratio_no_yardstick_epoch
             if t.aggregated else th.min_ratio_no_yardstick)
    if not yardstick and not comparable:
        return []  # a bare loss that barely moved, and no validation beside it: no evidence
    if not yardstick and _score_learned(c, th):
        return []  # a loss that barely moved beside a score that learned (a detector's box
        #            loss beside its mAP): the loss is no measure of how much it learned
    # a training accuracy that never moved from a poor first epoch learned nothing, however
    # far the loss fell in that epoch (an epoch-0 mean of 10.9 above a floor of 1.02)
    # (or a validation loss beside it that never moved: the weights barely change)
    flat = comparable and any(never_moved(cur, th.flat_range, th.flat_points)
                              for cur in (t, v))
    stuck = _accuracy_never_moved(ta, th) or flat
    if ratio < floor and not stuck:
        return []
    span = max(c.span, 1)
    x1 = float(t.x[-1])
    tx, ty = window(t, x1 - th.tail_frac * span, x1)
    if len(tx) >= 4:
        tr = strong_trend(tx, ty)
        gain = -tr.slope * (tx[-1] - tx[0]) / end
        progress = float(max(t.start, np.max(t.ys)) - t.ys[-1])
        share = (-tr.slope * (tx[-1] - tx[0]) / progress
                 if progress >= th.min_progress * end else 0.0)
        if tr.slope < 0 and tr.p_value < th.alpha and (gain >= th.max_gain
                                                       or share >= th.max_share):
            return []  # still improving: the keep_training rule's definition, mirrored
        if tr.slope > 0 and tr.p_value < th.alpha and -gain >= th.max_climb:
            return []  # climbing: a loss getting worse is no plateau, whatever its level
    elif (len(t.y) >= 2 and (t.y[-2] - t.y[-1]) / end >= th.max_gain
          and t.y[-1] < float(np.min(t.y[:-1]))):
        return []  # a short log whose last point is a new best by a real gain still improves
        #            (one lower than a spike before it, not below the curve's best, is noise)
    elif (len(t.y) >= th.short_declining and np.all(np.diff(t.y[-th.short_declining:]) < 0)
          and (t.y[-th.short_declining] - t.y[-1]) / end >= th.max_gain):
        return []  # a short log that improved at every one of its last points creeps down
        #            (by a real gain: falling 0.3% over them is a plateau's last decimals)
    if acc is not None:
        acc_end = 1.0 - last_tenth(acc.y)
        if acc_end >= th.max_train_acc:
            return []  # it fits its training set (or classifies new data well)
    ev = {"tags": [t.tag], "start_step": int(tx[0]) if len(tx) else int(t.x[0]),
          "end_step": int(x1), "end_level": end, "reference": ref, "level_ratio": ratio}
    gap_txt = " (no validation metric logged)"
    if v is not None and not v.same_scale(t):
        gap_txt = f" ({what(v)} is logged, but on another scale)"
    elif v is not None:
        v_end = last_tenth(v.y)
        gap = (v_end - end) / end
        ev.update(val_end_level=v_end, gap=gap)
        ev["tags"].append(v.tag)
        if abs(gap) > th.max_gap and not (stuck and gap > 0):
            return []  # (validation worse than a training set never learned is no gap)
        near = "close to it" if abs(gap) <= th.max_gap else "above it"
        gap_txt = f", {what(v)} {num(v.value_of(v_end))} {near} ({pct(abs(gap))} apart)"
    return [finding(
        "warning",
        confidence((ratio - th.min_level_ratio) / th.min_level_ratio) * (1 if comparable else 0.85),
        f"{what(t)} plateaued at {num(t.value_of(end))} by step {step(x1)}, still "
        f"{pct(ratio)} of {ref_name} ({num(t.value_of(ref))})"
        + (f", {'it' if never_moved(t, th.flat_range, th.flat_points) else what(v)} never "
           f"{pct(th.flat_range)} away from its first point" if flat else "")
        + gap_txt,
        [
            "use a bigger model (wider or deeper)",
            "train longer, or try a higher learning rate",
            "reduce regularisation (weight decay, dropout, augmentation strength)",
            "check the inputs and features carry the signal",
        ],
        ev,
    )]


def _score_learned(c: Curves, th: Thresholds) -> bool:
    """A score logged beside the loss (validation's, else training's; mAP, IoU, F1...) cut
    its error by ``score_learned`` or more from its first points to the end."""
    for role in ("val_acc", "train_acc"):
        a = c.get(role)
        if a is not None and a.kind == "error" and len(a.y) >= 3:
            first = float(np.median(a.y[:2]))
            return first > 0 and (first - last_tenth(a.y)) / first >= th.score_learned
    return False


def _accuracy_never_moved(ta, th: Thresholds) -> bool:
    """Whether the training accuracy ended within ``stuck_gain`` of its first value, below
    ``stuck_accuracy``: the model learned nothing it could use after its first epoch."""
    if ta is None or ta.kind != "error" or ta.n < th.stuck_points:
        return False
    first, last = 1.0 - float(ta.y[0]), 1.0 - last_tenth(ta.y)
    return last < th.stuck_accuracy and last - first < th.stuck_gain
