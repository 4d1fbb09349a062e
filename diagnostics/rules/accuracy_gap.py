"""Training accuracy pulls away from a validation accuracy that no longer improves.

What it detects
    Both accuracies are logged; at the end the training accuracy is near 1 and
    far above the validation accuracy, the gap has grown several-fold since early in the
    run (or the training accuracy is 99% or more: a training set fitted that well is
    memorised, however wide the gap was early, as with a pre-trained model; then five
    validation points at least in the tail must show the stall, and the gap may not have
    narrowed: a validation accuracy that closed part of it kept up), and the validation
    accuracy has stopped improving.

Why it matters
    The model keeps getting better on examples it has seen and no better on
    new ones: it memorises. The course notes: "high accuracy on the training
    set, but the test accuracy does not increase".

Evidence
    The gap early and at the end, the validation trend in the tail.

Advice
    Early stopping; more data or augmentation; weight decay, dropout; a
    smaller or pre-trained model.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..curves import Curves
from ..evidence import Skip, confidence, finding, num, pct, step
from ..stats import lowest, trend

LABEL = "overfitting"
#: Judged again on every further evaluation set the run logged.
PER_EVAL_SET = True
NAME = "accuracy-gap"
SUMMARY = "training accuracy pulls away from a stalled validation accuracy"


@dataclass(frozen=True)
class Thresholds:
    #: The final gap (in accuracy, 0-1) must be at least this large...
    min_gap: float = 0.1
    #: ...and this many times the gap at ``early_frac`` of the run.
    min_growth: float = 2.0
    early_frac: float = 0.25
    #: Memorising means fitting the training set: its accuracy must reach this.
    min_train_acc: float = 0.85
    #: A training accuracy this near 1 has memorised its set whatever the gap was early
    #: (a pre-trained model fits it from the first epochs): no growth needed, when the
    #: validation tail holds ``plateau_points`` evaluations at least (on fewer, no trend
    #: is no plateau: a trend test could not have seen one).
    fitted_acc: float = 0.99
    plateau_points: int = 5
    #: ...nor when the gap narrowed to this share of its early width or less: validation
    #: (a harder set, another domain) kept up with training instead of falling behind.
    max_narrowing: float = 0.9
    #: The validation accuracy must not improve significantly over this tail.
    tail_frac: float = 0.3
    alpha: float = 0.05


def check(c: Curves, th: Thresholds):
    ta, va = c.get("train_acc"), c.get("val_acc")
    if ta is None or va is None or ta.kind != "error" or va.kind != "error":
        raise Skip("needs training and validation accuracy")
    if c.axes_differ:
        raise Skip(c.axes_differ)
    if len(va.y) < 4 or len(ta.y) < 4:
        raise Skip("too few accuracy points")
    end_step = float(min(ta.x[-1], va.x[-1]))
    early = float(va.x[0] + th.early_frac * (end_step - va.x[0]))
    gap_end = va.at(end_step) - ta.at(end_step)
    gap_early = va.at(early) - ta.at(early)
    m = va.x >= end_step - th.tail_frac * (end_step - va.x[0])
    fitted = 1.0 - ta.at(end_step) >= th.fitted_acc and m.sum() >= th.plateau_points
    if gap_end < th.min_gap or (gap_end < th.min_growth * max(gap_early, 0.0)
                                and not fitted):
        return []
    if gap_end <= th.max_narrowing * gap_early:
        return []  # the gap narrowed: validation kept up with a training set it fitted
    if 1.0 - ta.at(end_step) < th.min_train_acc:
        return []  # not memorising: it does not even fit its training set
    tr = trend(va.x[m], va.y[m])
    if tr.slope < 0 and tr.p_value < th.alpha:
        return []
    s = ta.acc_scale
    return [finding(
        "warning", confidence(gap_end / th.min_gap - 1),
        f"training accuracy is {num((1 - ta.at(end_step)) * s)} but validation accuracy "
        f"{num((1 - va.at(end_step)) * s)} at step {step(end_step)}: the gap "
        + (f"grew from {pct(max(gap_early, 0))} to {pct(gap_end)}" if gap_end > gap_early
           else f"stayed at {pct(gap_end)} ({pct(gap_early)} early)")
        + " while validation stopped improving",
        [
            "stop early, at the best validation accuracy",
            "get more data or augment it; add weight decay or dropout",
            "use a smaller model, or start from a pre-trained one",
        ],
        {"tags": [ta.tag, va.tag], "start_step": int(early), "end_step": int(end_step),
         "best_step": int(va.x[lowest(va.ym, va.y)]),
         "gap_early": gap_early, "gap_end": gap_end, "val_p_value": tr.p_value},
    )]
