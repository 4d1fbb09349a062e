"""Validation loss rises from its minimum while training loss keeps falling.

What it detects
    The smoothed validation loss (or validation error from accuracy) reaches
    its best value and then rises by a real fraction of that value, with a
    significant upward trend after the best step, while the training loss
    keeps falling (and fell 5% of its start at least: one that never fell learned
    nothing to overfit with). A smaller rise counts when it is steady (a highly significant
    climb over six evaluations or more that gives back a quarter of what validation
    had gained, the training loss falling meanwhile): a cross-entropy near 4.7 rises
    little of its level. The best step is named for early stopping. Under ten
    evaluations the curve is read as logged; a rise on one or two evaluations
    after the best counts when the validation accuracy fell with it, or when each
    of them was worse than the one before, ending twice ``min_rise`` above the
    best. On any log, three or more evaluations after the best, each worse than the
    one before, ending worse than the first evaluation, gave back all that validation
    had gained, however small on its level. A validation loss never
    better than its first evaluation, beside a training loss that jumped back up, got
    worse from the start: an unstable rate, not this. Nor is a best that is a low draw
    on a flat, noisy plateau: the evaluations after it sit where as many before it did,
    and those before show no fall into it. Every further component of the loss logged for
    both training and validation (a detector's objectness or class loss beside its box
    loss) is judged the same way, on its own.

Why it matters
    After the best step the model memorises the training set instead of
    learning what generalises: every further step makes it worse on new data.
    The checkpoint at the best step is the model to keep.

Evidence
    The best step and value, the final value and the rise, how much the
    training loss fell meanwhile.

Advice
    Stop at (or restore) the best step; get more data or augment it; add weight
    decay or dropout; use a smaller model or start from a pre-trained one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curves
from ..evidence import Skip, confidence, finding, num, overfitting_advice, pct, step, what
from ..stats import last_tenth, lowest, strong_trend, trend

LABEL = "overfitting"
#: Judged again on every further evaluation set the run logged.
PER_EVAL_SET = True
#: Judged again on every component of the loss logged for training and validation.
PER_COMPONENT = True
NAME = "val-loss-rises"
SUMMARY = "validation loss rises from its minimum while training loss keeps falling"


@dataclass(frozen=True)
class Thresholds:
    #: The validation loss must rise this fraction above its minimum (smaller
    #: rises are within run-to-run noise of validation sets).
    min_rise: float = 0.08
    #: The rise must matter at the scale of the problem: at least this fraction of the
    #: first validation value.
    min_rise_of_start: float = 0.015
    #: ...and beside a validation accuracy at 99% or more, this fraction (every example is
    #: right; a loss wobbling a few hundredths near zero moves no prediction).
    solved_rise_of_start: float = 0.05
    #: The best step must lie before this fraction of the run, with at least
    #: ``min_after`` validation points after it (one late bump is noise).
    max_best_frac: float = 0.85
    min_after: int = 3
    #: Validation that never improved this fraction on its first evaluation, beside a
    #: training loss that climbed back ``unstable_setback`` above its best so far (of
    #: that best, or of all it learned when that is more: ``Curve.setback``), got
    #: worse from the start because the rate is unstable (a fine-tuned model whose best
    #: epoch is the first has a training loss that falls smoothly).
    min_learned: float = 0.05
    unstable_setback: float = 0.3
    #: Significance of the upward trend after the best step (when >= 5 points follow; the
    #: smaller p of Mann-Kendall and a least-squares t-test: on five evaluations with one
    #: dip, Kendall alone cannot reach it)...
    alpha: float = 0.05
    #: ...or the later half of the points after the best (5 or more) stayed up: this
    #: share of them ``min_rise`` or more above the best.
    stayed_up: float = 0.8
    #: A best with this many evaluations after it, and as many before it that show no
    #: significant fall and sit where those after do (within ``min_rise``), is a low draw
    #: on a noisy plateau (YOLO's validation box loss bouncing by a fifth of its level).
    plateau_points: int = 8
    #: Validation curves with fewer points are read as logged, not under a rolling median
    #: (on eight evaluations a 5-point median flattens the minimum away).
    smooth_points: int = 10
    #: A validation accuracy this much lower (as a fraction: 0.005 = half a point) at the
    #: end than at the loss's best step seconds a rise seen on few evaluations.
    acc_fell: float = 0.005
    #: The training loss may not rise by more than this fraction since validation stopped
    #: improving (a rising training loss is an optimisation problem, not overfitting).
    max_train_rise: float = 0.05
    #: ...and must have fallen at least this fraction of its start over the run (one
    #: that never fell learned nothing it could fit too well).
    min_train_fall: float = 0.05
    #: A rise under ``min_rise`` counts when it is steady: at least ``min_steady_rise`` of
    #: the level, ``steady_share`` of what validation gained before its best, on a trend
    #: this significant over ``steady_points`` evaluations from the best on, the training
    #: loss falling ``steady_train_fall`` of its level meanwhile.
    min_steady_rise: float = 0.015
    steady_share: float = 0.25
    steady_alpha: float = 0.01
    steady_points: int = 6
    steady_train_fall: float = 0.05


def check(c: Curves, th: Thresholds):
    v = c.val
    if v is None:
        raise Skip("no validation metric logged")
    if len(v.y) < 3:
        raise Skip(f"only {len(v.y)} validation points")
    # a rolling median keeps a sharp minimum where it is; on a few points each one counts
    ys = v.ym if len(v.y) >= th.smooth_points else v.y
    # the best evaluation: the lowest point where the smoothed curve is lowest (a rolling
    # median can be flat over the minimum); validation stopped improving where that flat
    # stretch began
    best, reached = lowest(ys, v.y), int(np.argmin(ys))
    # on a short log the rise may be one or two evaluations: it counts when the validation
    # accuracy fell with it (two metrics of the same evaluations, not one noisy point)
    seconded = _accuracy_fell(c, v, best, th)
    gave_back = _gave_back_all(v, best)
    few_after = best + th.min_after >= len(ys)
    if (v.x[best] - v.x[0]) / v.own_span > th.max_best_frac or (
            few_after and not (seconded and best + 1 < len(ys))
            and not _climbed_far(v, best, th) and not gave_back):
        return []
    if _draw_on_a_plateau(v, best, th):
        return []
    lo = float(ys[best])
    end = float(np.median(v.y[-max(1, min(3, (len(v.y) - best) // 2)):]))
    size = v.scale if lo <= 0 else lo
    rise = (end - lo) / max(size, 1e-12)
    if rise < th.min_rise and not _steady_rise(c, v, best, rise, th) and not gave_back:
        return []
    first = float(np.median(v.y[:2]))
    # a converged run wobbling at 0.07 after starting at 1.2 is not worse; nor, with every
    # validation example right, is a loss wobbling a little more near zero
    of_start = th.solved_rise_of_start if c.val_perfect else th.min_rise_of_start
    if lo > 0 and first > 0 and (end - lo) < of_start * first:
        return []
    after_x, after_y = v.x[best:], v.y[best:]
    p = None
    if len(after_x) >= 5:
        tr = strong_trend(after_x, after_y)
        p = tr.p_value
        # risen and still rising, or risen and stayed up: a fast rise after the best that
        # then levels off (or eases back a little) has no upward trend over its plateau
        late = after_y[len(after_y) // 2:]
        stayed_up = len(late) >= 5 and np.mean(late >= lo * (1 + th.min_rise)) >= th.stayed_up
        if not ((tr.slope > 0 and tr.p_value < th.alpha) or stayed_up):
            return []
    elif not (np.all(after_y[1:] > lo) and (rise >= 2 * th.min_rise or seconded or gave_back)):
        return []
    t = c.train if c.train is not None and c.train.role != v.role else None
    if c.axes_differ:
        t = None  # its steps say nothing about where validation was
    ev = {"tags": [v.tag], "start_step": int(v.x[best]), "end_step": int(v.x[-1]),
          "best_step": int(v.x[best]), "best_value": v.value_of(lo),
          "final_value": v.value_of(end), "rise": rise, "p_value": p}
    tail = ""
    if t is not None:
        t_best, t_end = t.at(v.x[best]), last_tenth(t.y)
        t_start = float(np.median(t.y[:3]))
        tsize = max(abs(t_best), 1e-12)
        t_reached = t.at(v.x[reached])
        if (t_end - t_reached) / max(abs(t_reached), 1e-12) > th.max_train_rise:
            return []
        if (float(v.y[0]) - lo) < th.min_learned * abs(float(v.y[0])) and (
                t.setback >= th.unstable_setback):
            return []  # worse from its first evaluation on, beside a training loss that
            #            jumped back up: an unstable rate, not a model fitting too well
        fell = (t_start - t_end) / max(abs(t_start), 1e-12)
        further = (t_best - t_end) / tsize
        if t.is_loss and t.start - t_end < th.min_train_fall * abs(t.start):
            return []  # a training loss that never fell learned nothing to overfit with
        ev["tags"].append(t.tag)
        ev.update(train_fell=fell, train_fell_after_best=further)
        tail = (f" while {what(t)} fell {pct(fell)} overall"
                f" ({pct(max(further, 0))} after the best step)")
    noun = what(v)
    moved = "fell" if v.higher_is_better else "rose"
    conf = confidence(rise / th.min_rise - 1) * (1.0 if t is not None else 0.85)
    # a rise relative to a best at or below zero means nothing: say it in the curve's range
    by = (f"by {num(abs(v.value_of(end) - v.value_of(lo)))} ({pct(rise)} of its range)"
          if lo <= 0 else pct(rise))
    return [finding(
        "warning", conf,
        f"{noun} {moved} {by} from its best {num(v.value_of(lo))} at step "
        f"{step(v.x[best])} to {num(v.value_of(end))} at step {step(v.x[-1])}{tail}",
        overfitting_advice(v.x[best]),
        ev,
    )]


def _draw_on_a_plateau(v, best: int, th: Thresholds) -> bool:
    """Whether the best is a low draw on a flat, noisy plateau: as many evaluations
    before it as after it (``plateau_points`` each at least) show no significant fall, and
    those after sit within ``min_rise`` of those before: nothing rose from anything."""
    after = v.y[best + 1:]
    lo = best - len(after)
    if len(after) < th.plateau_points or lo < 0:
        return False
    tr = trend(v.x[lo:best], v.y[lo:best])
    if tr.slope < 0 and tr.p_value < th.alpha:
        return False  # still falling into its best: a minimum, not a draw
    return float(np.median(after)) <= (1 + th.min_rise) * float(np.median(v.y[lo:best]))


def _climbed_every_time(v, best: int, points: int = 2) -> bool:
    """Whether every one of the (``points`` or more) evaluations after the best was worse
    than the one before."""
    after = v.y[best:]
    return len(after) > points and bool(np.all(np.diff(after) > 0))


def _climbed_far(v, best: int, th: Thresholds) -> bool:
    """On a short log, every evaluation after the best worse than the one before, ending
    ``2 * min_rise`` above the best: an HF fine-tune's eval loss best at its first epoch,
    then 0.157 -> 0.165 -> 0.192."""
    return _climbed_every_time(v, best) and v.y[-1] >= (1 + 2 * th.min_rise) * v.y[best] > 0


def _gave_back_all(v, best: int) -> bool:
    """Three or more evaluations after the best each worse than the one before, the last
    worse than the first evaluation: validation gave back all it had gained, however small
    that was on its level (a cross-entropy of 3.3 best at epoch 2 of 5, then 3.24 -> 3.26
    -> 3.29 -> 3.32)."""
    return _climbed_every_time(v, best, 3) and v.y[-1] > v.y[0]


def _steady_rise(c: Curves, v, best: int, rise: float, th: Thresholds) -> bool:
    """A smaller rise that is no noise: validation climbed on a highly significant trend
    over ``steady_points`` evaluations or more after its best, by ``min_steady_rise`` of
    its level and ``steady_share`` of all it had gained (a cross-entropy near 4.7 that
    gains 0.2 and gives 0.1 back, epoch after epoch), while the training loss fell
    ``steady_train_fall`` of its level from there on."""
    after_x, after_y = v.x[best:], v.y[best:]
    t = c.train
    if (len(after_x) < th.steady_points or rise < th.min_steady_rise or t is None
            or t.role == v.role or c.axes_differ):
        return False
    t_best = t.at(v.x[best])
    if t_best - last_tenth(t.y) < th.steady_train_fall * abs(t_best):
        return False
    tr = trend(after_x, after_y)
    gained = float(np.max(v.y[:best + 1])) - float(v.y[best])
    risen = float(np.median(after_y[-3:])) - float(v.y[best])
    return tr.slope > 0 and tr.p_value < th.steady_alpha and risen >= th.steady_share * gained


def _accuracy_fell(c: Curves, v, best: int, th: Thresholds) -> bool:
    """Whether the validation accuracy, beside the validation loss ``v``, ended
    ``acc_fell`` below where it was at the loss's best evaluation."""
    va = c.get("val_acc")
    if v.role != "val_loss" or va is None or va.kind != "error" or c.axes_differ:
        return False
    at_best = float(np.interp(float(v.x[best]), va.x, va.y))
    return float(va.y[-1]) - at_best >= th.acc_fell
