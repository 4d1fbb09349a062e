"""Training loss keeps falling far below a validation loss that stopped improving.

What it detects
    The generalisation gap opening up: after its best step the validation loss no longer
    improves (flat or noisy, no significant downward trend), while the training loss keeps
    falling by a real fraction, so that the gap between them, relative to the validation
    loss, is large at the end and has grown well beyond what it was at the best step, or
    validation over training rose by a quarter since (a wide gap, training a third of
    validation, can hardly grow as a share). A validation loss still creeping down counts as
    stopped when over the last 30% of the run it gains less than a fifth of what the
    training loss gains, training gaining a fifth of its level there or more. Training
    must have learned first (a validation loss that never
    improved on its first evaluation, beside a training loss falling smoothly, is a model
    memorising from the start; beside one that climbed back, an unstable rate), and the gap
    must matter at the scale of the problem (a share of the first validation loss): a
    converged run at 0.03 against 0.01 is no overfit worth a label; nor is a gap beside a
    validation accuracy of 99% or more, where every example is right, or beside one
    within 3 points of the training accuracy with an error at most 4 times training's
    (held-out examples classified about as well as the fitted ones: the gap is
    confidence, not memory; a training accuracy of 100% beside a validation one of 98% is
    a set fitted that new data does not match). Noisy validation is judged on a wide
    rolling median; 7 to 10 validation points are enough. A noisy
    validation loss may reach its lowest point late though it has been flat since early on:
    then the gap is judged from where it went flat (within 5% of its level, or three times
    its noise, from a point in the first 30% of the run on; validation gaining under a fifth
    of what training gains since), beside a training loss that fell 30% since, unless the
    validation accuracy cut its error by 40% meanwhile (then the flat loss measures
    nothing); nor while a validation word or character error rate (WER, CER) still falls
    on a significant trend to a new low: a recogniser's decoded output still improves
    while its teacher-forced loss stalls. Where the run switched its augmentation off near
    the end (Ultralytics' ``close_mosaic``: the training loss drops at once), the two are
    compared only before the switch. This is overfitting before the validation loss rises
    (the rise is the val-loss-rises rule).

Why it matters
    Every step after the best one fits the training set better and new data no
    better: the model memorises. More training only widens the gap, and the
    checkpoint at the best step is as good as the last one, at less cost.

Evidence
    The best validation step and value, the gap there and at the end, how far the
    training loss fell after the best step, the trend of the validation loss after it.

Advice
    Stop at (or restore) the best step; get more data or augment it; add weight
    decay or dropout; use a smaller model or start from a pre-trained one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curve, Curves
from ..evidence import (
    Skip,
    confidence,
    finding,
    num,
    overfitting_advice,
    pct,
    step,
    train_and_val_loss,
    what,
)
from ..stats import last_tenth, rolling_median, strong_trend

LABEL = "overfitting"
#: Judged again on every further evaluation set the run logged.
PER_EVAL_SET = True
NAME = "generalisation-gap"
SUMMARY = "training loss keeps falling far below a validation loss that stopped improving"


@dataclass(frozen=True)
class Thresholds:
    #: The gap (validation - training) / validation at the end must be at least this
    #: (validation half as high again as training; a smaller gap under a flat validation
    #: is what a well-regularised run ends with as often as an overfit one)...
    min_gap: float = 1 / 3
    #: ...and have grown by at least this much (same units) since the best step.
    min_growth: float = 0.1
    #: ...or validation over training rose by this since the best step: a wide gap
    #: (training a third of validation, or a tenth) can hardly grow as a share.
    min_ratio_growth: float = 0.25
    #: After the best step the training loss fell at least this fraction of its level there.
    min_train_fall: float = 0.1
    #: The best step lies before this fraction of the run, with this many validation
    #: points after it.
    max_best_frac: float = 0.85
    min_after: int = 2
    #: A downward validation trend after the best step this significant means it still
    #: improves (then this is no gap but keep-training's business).
    alpha: float = 0.05
    #: Need this many validation points.
    min_points: int = 6
    #: Validation that still creeps down has "all but stalled" when over the last
    #: ``tail_frac`` of the run it gains less than this share of what training gains,
    #: while training gains at least ``min_tail_fall`` of its level there.
    tail_frac: float = 0.3
    stall_ratio: float = 0.2
    min_tail_fall: float = 0.2
    #: The gap must matter at the scale of the problem: at least this fraction of the
    #: first validation loss (a converged run at 0.03 against 0.01 has nothing to gain).
    min_gap_of_start: float = 0.05
    #: The training loss must be logged at this many points at least: the gap reads it
    #: at every evaluation (an HF run logging it every 500 steps beside ten evaluations
    #: leaves four points, and a straight line between them is no training curve).
    min_train_points: int = 5
    #: Both curves must have learned first: validation improved this fraction from its
    #: first point to its best, and training fell this fraction overall (a run that never
    #: learned is no overfit, whatever its gap).
    min_learned: float = 0.05
    min_train_learned: float = 0.2
    #: Validation that never improved is a gap from the first evaluation on, beside a
    #: training loss that fell smoothly (a model memorising from the start); beside one
    #: that climbed back this far (``Curve.setback``) the rate is unstable instead.
    unstable_setback: float = 0.3
    #: A noisy validation loss whose lowest point comes late may have been flat since
    #: early on: within a band of this share of its level (or three times its noise) from
    #: a point in the first ``flat_by`` of the run, beside a training loss that fell at
    #: least ``flat_min_train_fall`` of its level there since.
    flat_band: float = 0.05
    flat_by: float = 0.3
    flat_min_train_fall: float = 0.3
    #: ...while the validation accuracy, where logged, cut its error by less than this share.
    flat_max_acc_gain: float = 0.4
    #: A validation accuracy within this many points of the training accuracy at the end,
    #: its error at most ``close_acc_ratio`` times training's, classifies held-out examples
    #: about as well as fitted ones: a gap in the loss beside it is confidence.
    close_acc_points: float = 0.03
    close_acc_ratio: float = 4.0


def wide_median(c: Curve) -> np.ndarray:
    """The binned curve under a rolling median over about a tenth of its points (at
    least 3): noisy validation losses keep their level, not their spikes."""
    n = len(c.y)
    size = max(3, (n // 10) | 1)
    return rolling_median(c.y, size) if n >= size else c.y


def _stalled_tail_start(v: Curve, vm: np.ndarray, t: Curve, th: Thresholds) -> int | None:
    """The index where the last ``tail_frac`` of the validation curve starts, when over
    that tail validation gained less than ``stall_ratio`` of what training gained (both
    relative to their level) and training gained at least ``min_tail_fall``; else None."""
    start = float(v.x[-1] - th.tail_frac * v.own_span)
    i = int(np.searchsorted(v.x, start))
    if i >= len(vm) - th.min_after or i <= 0:
        return None
    v_gain, t_gain = _gains_since(v, vm, t, i)
    if t_gain < th.min_tail_fall or v_gain > th.stall_ratio * t_gain:
        return None
    return i


def _gains_since(v: Curve, vm: np.ndarray, t: Curve, i: int) -> tuple[float, float]:
    """What validation (wide median) and training gained from validation point ``i`` to
    the end, each as a share of its level there."""
    v_gain = (float(vm[i]) - float(vm[-1])) / max(abs(float(vm[i])), 1e-12)
    t0, t1 = t.at(float(v.x[i])), t.at(float(v.x[-1]))
    return v_gain, (t0 - t1) / max(abs(t0), 1e-12)


def check(c: Curves, th: Thresholds):
    t, v = train_and_val_loss(c, th.min_points, "the gap needs")
    if len(t.y) < th.min_train_points:
        raise Skip(f"only {len(t.y)} training points; the gap needs {th.min_train_points} to "
                   "follow the training loss between evaluations")
    if c.val_perfect or _accuracy_close(c, th):
        return []  # every validation example is right, or about as many as training ones:
        #            a gap in the loss costs nothing
    vm = wide_median(v) if len(v.y) >= 12 else v.y  # a few points: each one counts
    best = int(np.argmin(vm))
    late = ((v.x[best] - v.x[0]) / v.own_span > th.max_best_frac
            or best + th.min_after >= len(vm))
    if late:
        # still creeping down at the end: a gap only when validation all but stalled
        # beside a training loss that keeps falling fast (it gains a small share of what
        # training gains); judged from the start of the tail
        best = _stalled_tail_start(v, vm, t, th)
    elif _still_improves(v, best, th):
        best = None
    found = _gap(c, t, v, vm, best, not late, th) if best is not None else []
    if not found:
        # a noisy validation loss whose lowest point falls late, though it has been flat
        # since early on: the gap is judged from where the flat stretch began
        flat = _flat_since(v, vm, th)
        if flat is not None:
            v_gain, t_gain = _gains_since(v, vm, t, flat[1])
            if (v_gain <= th.stall_ratio * t_gain  # validation all but stalled since
                    and not _accuracy_improved(c, float(v.x[flat[0]]), th)):
                found = _gap(c, t, v, vm, flat[1], False, th,
                             min_fall=th.flat_min_train_fall)
    return found


def _accuracy_close(c: Curves, th: Thresholds) -> bool:
    """Whether the validation accuracy ends (over its last tenth) within
    ``close_acc_points`` of the training accuracy, its error at most ``close_acc_ratio``
    times training's (or above the training accuracy)."""
    ta, va = c.get("train_acc"), c.get("val_acc")
    if ta is None or va is None or not ta.kind == va.kind == "error" or min(
            len(ta.y), len(va.y)) < 3:
        return False
    t_err, v_err = last_tenth(ta.y), last_tenth(va.y)
    return v_err - t_err <= th.close_acc_points and v_err <= th.close_acc_ratio * t_err


def _still_improves(v: Curve, i: int, th: Thresholds) -> bool:
    """A significant downward trend of the validation loss from point ``i`` on."""
    if len(v.x) - i < 4:
        return False
    tr = strong_trend(v.x[i:], v.y[i:])
    return tr.slope < 0 and tr.p_value < th.alpha


def _accuracy_improved(c: Curves, x: float, th: Thresholds) -> bool:
    """The validation accuracy (when logged) cut its error by ``flat_max_acc_gain`` or more
    since step ``x``: a flat loss beside it measures nothing the model learns (old
    YOLOv8-cls logs a val/loss that hardly moves)."""
    va = c.get("val_acc")
    if va is None or va.kind != "error" or len(va.y) < 3:
        return False
    e0, e1 = va.at(x), last_tenth(va.y)
    return e0 > 0 and (e0 - e1) / e0 >= th.flat_max_acc_gain


def _error_rate_still_falls(c: Curves, x: float, th: Thresholds) -> bool:
    """The validation error rate (a word error rate: ``Curve.error_rate``) still improves
    on a significant trend from step ``x`` (or the last ``tail_frac`` of the run, the
    longer) to the end, and ends below every value it had before: the decoded output gets
    better while the teacher-forced loss stalls. (A classifier's accuracy creeping up
    under a flat loss is no such evidence: an overfit one does that too.)"""
    va = c.get("val_acc")
    if va is None or not va.error_rate:
        return False
    x0 = min(x, float(va.x[-1]) - th.tail_frac * max(c.span, 1))
    keep = va.x >= x0
    if keep.sum() < 4 or keep.all():
        return False
    tr = strong_trend(va.x[keep], va.y[keep])
    return (tr.slope < 0 and tr.p_value < th.alpha
            and last_tenth(va.y) < float(np.min(va.y[~keep])))


def _flat_since(v: Curve, vm: np.ndarray, th: Thresholds) -> tuple[int, int] | None:
    """The first point from which the (wide-median) validation loss stays within a band
    of ``flat_band`` of its level or three times its noise, when that is within the first
    ``flat_by`` of the run with ``min_after`` points after it, and the first point from
    there that is itself within the band (where the stretch begins); else None."""
    noise = v.noise
    early = np.flatnonzero((v.x - v.x[0]) / v.own_span <= th.flat_by)
    early = early[early < len(vm) - th.min_after]
    if not len(early):
        return None
    # the range of what follows each point, and a bound on its level: only where the range
    # fits the bound's band can it fit the band of the level (a median, found only there)
    high = np.maximum.accumulate(vm[::-1])[::-1]
    low = np.minimum.accumulate(vm[::-1])[::-1]
    bound = np.maximum(3 * noise, th.flat_band * np.maximum(np.abs(high), np.abs(low)))
    for i in early[(high - low)[early] <= bound[early]]:
        level = float(np.median(vm[i:]))
        band = max(3 * noise, th.flat_band * abs(level))
        if float(high[i] - low[i]) <= band:
            # a rolling median reaches into the stretch from its edge: the stretch begins
            # at the first point that is itself within the band
            j = int(i)
            while j < len(vm) - th.min_after - 1 and abs(float(v.y[j]) - level) > band / 2:
                j += 1
            return int(i), j
    return None


def _gap(c: Curves, t: Curve, v: Curve, vm: np.ndarray, best: int, at_lowest: bool,
         th: Thresholds, min_fall: float | None = None):
    """The finding when the gap from validation point ``best`` on (its lowest, or where
    a stall began) is large and grew."""
    span = max(c.span, 1)
    x_end = float(min(v.x[-1], t.x[-1]))
    v_best = float(vm[best])
    v_end = float(np.median(v.y[-max(2, len(v.y) // 5):]))
    t_best = t.at(float(v.x[best]))
    t_end = float(np.median(t.y[t.x >= x_end - 0.1 * span])) if np.any(
        t.x >= x_end - 0.1 * span) else t.at(x_end)
    if min(v_best, v_end, t_best) <= 0 or (v_end < v_best and at_lowest):
        return []
    v_first, t_first = float(np.median(v.y[:2])), float(np.median(t.y[:2]))
    if (t_first - t_end) / t_first < th.min_train_learned:
        return []  # training never learned: whatever the gap, nothing was memorised
    if (v_first - v_best) / v_first < th.min_learned and t.setback >= th.unstable_setback:
        return []  # validation never improved beside a training loss that jumped back:
        #            an unstable rate (the val-worse-from-start rule), not memorising
    if _error_rate_still_falls(c, float(v.x[best]), th):
        return []  # the error rate still breaks new ground: the loss that stalled measures
        #            confidence, not what the recogniser gets right
    fell = (t_best - t_end) / t_best
    gap_best = (v_best - t_best) / v_best
    gap_end = (v_end - t_end) / v_end
    ratio_growth = (1 - gap_best) / max(1 - gap_end, 1e-12) - 1  # (v/t) end over best
    growth = max((gap_end - gap_best) / th.min_growth, ratio_growth / th.min_ratio_growth)
    min_fall = th.min_train_fall if min_fall is None else min_fall
    if (fell < min_fall or gap_end < th.min_gap or growth < 1
            or (v_end - t_end) < th.min_gap_of_start * v_first):
        return []
    margin = min(gap_end / th.min_gap, growth, fell / min_fall) - 1
    b = int(v.x[best])
    stopped = (f"never improved on its first evaluation ({num(v.value_of(v_first))})"
               if (v_first - v_best) / v_first < th.min_learned else
               f"stopped improving at {num(v.value_of(v_best))} (step {step(b)})")
    return [finding(
        "warning", confidence(margin),
        f"{what(t)} kept falling ({pct(fell)} after step {step(b)}) while {what(v)} "
        f"{stopped}: the gap grew from {pct(max(gap_best, 0))} to {pct(gap_end)} of the "
        "validation loss",
        overfitting_advice(b),
        {"tags": [v.tag, t.tag], "start_step": b, "end_step": int(x_end), "best_step": b,
         "best_value": v.value_of(v_best), "final_value": v.value_of(v_end),
         "gap_at_best": gap_best, "gap_end": gap_end, "train_fell_after_best": fell},
    )]
