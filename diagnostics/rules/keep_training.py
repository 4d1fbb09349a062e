"""The validation metric is still improving at the end of the run.

What it detects
    Over the last part of the run the validation loss (or accuracy; the
    training loss when nothing is validated, or validation only once or twice) still
    improves, beyond noise:
    a Mann-Kendall trend test (Kendall's tau against step) is significant and
    the Theil-Sen slope gains a real fraction of the level, or a real share of
    all the progress the curve made (a loss falling in a straight line near the
    chance level gains little of its level, and is far from done; under a rate not
    cut to near nothing a smaller gain counts as that share); a gain just past
    the bar needs some share too (a few percent of a level near the floor, after a
    descent by decades, read on a log scale as it is plotted, is converged), and on a
    loss that fell by decades every gain does, however large on its level. It also
    counts when validation and training both still fall together on significant trends
    (validation keeping pace, under a rate not cut to near nothing), or when validation
    falls on a strong trend (p < 0.01) at half the pace of the stretch before it or more,
    training falling beside it (a slow loss on a high floor, a detector's box loss, that has
    not begun to level off; not after a fall by decades), or when the curve ended on its
    best while the learning rate, decaying on its schedule since its peak, was still at 80%
    of that peak or more (stopped a small way into its schedule), or when the run
    ended while its learning rate was still warming up (or, in either case, when the
    curve still improves on a significant trend, however little of its level: the schedule
    had barely begun), or when a noisy validation loss
    ended on its best, by a real margin below every earlier evaluation, while the
    training loss still fell on a significant trend, or when a noisy validation fall short of
    p < 0.05 (but within 0.1) is seconded by a training loss still falling on a significant
    trend by a real gain, validation ending at its best. Very short logs (epoch-only,
    3-7 points), and logs whose tail is too short for a trend test, count when every
    recent epoch improved by a real margin. A tail that never gets lower than the curve
    had been before it (its rolling median) only wins back what a bump lost: no new
    ground, and it does not count; nor does a validation loss that is one component of
    the objective (a detector's box loss) beside a score (its mAP) that made no new ground
    in the tail. Nothing counts under a rate cut at plateau
    after plateau (ReduceLROnPlateau) down to near nothing over the tail: the scheduler
    itself judged the run converged; nor, on a trend over the tail, does a fall under a
    schedule that ran its course (the rate decayed from its peak down to 2% of it at the
    end: a linear, cosine or one-cycle decay to zero) unless it is a real share of all the
    progress: the last crumbs are the anneal's; nor does a validation loss down to a
    thousandth of where the run began (a task solved; a loss that goes below zero, a
    negative bound, has no such share). Judged on training alone, a loss already
    down to 3% of its start has fit its training set and does not count, unless its
    last 30% still made a quarter of its fall on a log scale (still falling by decades).
    A saturating curve (power law or exponential) is fitted with scipy's curve_fit and,
    when it fits well, forecasts the metric at twice the steps with an interval.

Why it matters
    The run was stopped before it converged: more steps buy a better model
    for the same setup. The course notes: "accuracy is still rising, train
    longer".

Evidence
    The tail window, the slope, the p-value, the gain over the tail, and the
    forecast (steps, mean, low, high) when the fit is good.

Advice
    Train longer (the forecast says roughly how much it buys); resume from the
    last checkpoint rather than restarting; keep the LR schedule proportional
    to the new length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curvedoc.ingest.roles import component

from .. import forecast
from ..curves import Curves
from ..evidence import (
    Skip,
    answered_plateaus,
    confidence,
    finding,
    num,
    pct,
    step,
    what,
    window,
)
from ..stats import Trend, last_tenth, strong_trend

LABEL = "keep_training"
#: Judged again on every further evaluation set the run logged.
PER_EVAL_SET = True
NAME = "keep-training"
SUMMARY = "the validation metric still improves at the end of the run"


@dataclass(frozen=True)
class Thresholds:
    #: The tail that must still be improving, as a fraction of the run.
    tail_frac: float = 0.3
    #: Significance of the trend in the tail (the smaller of the Mann-Kendall and
    #: the least-squares p; validation often has only a handful of points there).
    alpha: float = 0.05
    #: The tail must gain at least this fraction of the level (smaller gains are
    #: not worth 40% more compute; with ~10 noisy validation points in the tail a
    #: gain below ~8% is within two standard errors of a flat curve).
    min_gain: float = 0.08
    #: ...or the tail made at least this share of all the progress the curve made,
    #: gaining at least ``min_share_gain`` of the level (a crawl of 1-2% after an early
    #: LR cut is a large share of a small progress, and no reason to train on), or
    #: ``min_live_share_gain`` under a rate still above ``together_min_lr`` of its peak (a
    #: linear probe's cross-entropy near ln(C), still falling steadily, is far from done).
    min_share: float = 0.15
    min_share_gain: float = 0.025
    min_live_share_gain: float = 0.015
    #: A gain below ``sure_gain`` counts only beside this share of all the progress.
    sure_gain: float = 0.12
    min_share_with_gain: float = 0.05
    #: A loss that fell more than this many-fold has its share read on a log scale.
    log_span: float = 10.0
    #: ...counted only when the curve has learned at least this multiple of its level.
    min_progress: float = 0.05
    #: A validation metric of fewer points than this shows no trend: training is judged.
    min_val_points: int = 3
    #: For short logs (< ``short_points``): the last epoch alone improved this much.
    min_last_gain: float = 0.03
    short_points: int = 8
    #: ...and for logs whose tail holds fewer points than this, too few for a trend test
    #: (ten epochs leave three in the last 30%): judged the same way, epoch by epoch.
    min_tail_points: int = 5
    #: Validation and training both still falling steadily over the tail (each trend this
    #: significant, each gaining ``min_share_gain`` of its level), validation gaining at
    #: least this share of what training gains (no gap opening): a slow fall that is no
    #: noise, though a small share of the progress (``min_share_with_gain`` at least).
    together_alpha: float = 0.05
    together_pace: float = 0.5
    #: ...under a learning rate (where logged) still at least this share of its peak (the
    #: same bar for the fall read over the last half).
    together_min_lr: float = 0.1
    #: A run that ended with its learning rate still rising (at its peak at the last point,
    #: this multiple of where it was when the tail began) stopped during its warm-up; a
    #: fall of ``min_gain`` over the tail is then plainly unfinished.
    warmup_rise: float = 1.2
    #: ...or one still falling on a significant trend by this fraction of its level over
    #: the tail (``min_share_with_gain`` of all its progress): the schedule had not begun.
    warmup_min_gain: float = 0.005
    #: Judged on training alone (no validation logged), a loss down to this share of its
    #: start has fit the training set: a further fall says nothing about new data.
    fitted_of_start: float = 0.03
    #: ...unless its tail still made this share of its whole fall read on a log scale, as
    #: it is plotted: a loss still falling by decades at the end is not done.
    fitted_still_falling: float = 0.25
    #: A validation loss down to this share of where the run started (its own start or
    #: training's, the higher) is a task solved: what it still gains moves no prediction.
    solved_of_start: float = 0.001
    #: ...training's start counting only where, at validation's first step, training was
    #: within this multiple of it (one scale; not a loss summed over an epoch's batches).
    solved_scale: float = 20.0
    #: A tail of fewer points than this may have its fall's significance read over the
    #: run's last ``long_frac``; the tail's gain must then be ``half_noise`` times the
    #: curve's noise and its last point within ``half_near_best`` of its best.
    min_trend_points: int = 8
    long_frac: float = 0.5
    #: ...its fall through that half significant at ``alpha``, or at this beside a training
    #: loss still falling over the tail on a significant trend by ``min_gain`` of its level
    #: (ten noisy evaluations cannot be more sure; the training curve seconds them).
    seconded_alpha: float = 0.1
    half_noise: float = 2.0
    half_near_best: float = 0.05
    fitted_accuracy: float = 0.97
    #: A noisy validation loss that ends on a best this far (a share of its level) below
    #: every earlier evaluation, and by more than its noise, beside a training loss still
    #: falling (``min_gain`` over the tail, p < ``alpha``): stopped while learning.
    new_best: float = 0.05
    #: A rate cut at plateau after plateau (``plateau_cuts`` times, the first after
    #: ``plateau_evals`` evaluations without a new best: ReduceLROnPlateau) down to
    #: ``together_min_lr`` of its peak over the tail: the scheduler judged the run converged.
    plateau_cuts: int = 2
    plateau_evals: int = 2
    #: A validation loss still falling on a trend this significant over the tail, by
    #: ``min_share_gain`` of its level at least, at ``pace_kept`` or more of the pace it fell
    #: at over the stretch before (no levelling off), beside a training loss still falling
    #: (p < ``alpha``), under a rate not cut to near nothing: a slow curve with a high
    #: floor (a detector's box loss) that has not begun to flatten.
    steady_alpha: float = 0.01
    pace_kept: float = 0.5
    #: A run stopped early in its schedule: the learning rate decaying from its peak at
    #: every logged point since, yet still at this share of the peak at the end (a linear
    #: or cosine schedule barely begun), beside a curve that ended on its best.
    schedule_left: float = 0.8
    #: A schedule that ran its course: the learning rate decaying from its peak (before the
    #: tail) at every logged point since, down to this share of the peak at the end (a
    #: linear, cosine or one-cycle decay to zero). The fall it ends with is the anneal's
    #: payoff: a trend over the tail counts only as ``min_share`` of all the progress or
    #: more, a curve still falling steeply when its rate ran out (a short log judged epoch
    #: by epoch, each recent one improving by a real margin, is read as logged).
    annealed_lr: float = 0.02
    #: A forecast is only reported when the fitted curve explains this much variance.
    min_r2: float = 0.9


@dataclass(frozen=True)
class _Gain:
    """How the curve is still improving: its tail, the figures, and the words for it."""

    tail: tuple[float, float]
    gain: float
    slope: float
    p: float | None
    margin: float
    how: str
    #: the level it is at now, where not the smoothed curve's end (a new best just logged)
    now: float | None = None


def _by_epochs(v, level: float, th: Thresholds) -> _Gain | None:
    """A short log: every one of the last epochs improved, the last by ``min_last_gain``,
    or the last two made a real share of all its progress (a straight-line fall), and the
    last is the curve's best (within ``min_last_gain``)."""
    y = v.y
    gains = -np.diff(y[-3:]) / level
    gain = float((y[-3] - y[-1]) / level)
    progress = float(np.max(y) - y[-1])
    share = float(y[-3] - y[-1]) / progress if progress > 0 else 0.0
    steady = share >= th.min_share and gain >= th.min_share_gain
    if not (np.all(gains > 0) and (gains[-1] >= th.min_last_gain or steady)):
        return None
    if _above(float(y[-1]), float(np.min(y[:-1])), th.min_last_gain):
        return None  # still above an earlier best: recovering from a bump, not new ground
    return _Gain(
        (float(v.x[-3]), float(v.x[-1])), gain,
        float((y[-1] - y[-2]) / max(float(v.x[-1] - v.x[-2]), 1.0)), None,
        max(gains[-1] / th.min_last_gain, share / th.min_share if steady else 0) - 1,
        f"improved every recent epoch, by {pct(gains[-1])} in the last one"
        + (f" ({pct(share)} of all it gained in the last two)" if steady else ""))


def _above(value: float, best: float, share: float) -> bool:
    """Whether ``value`` lies more than ``share`` of the best's size above ``best`` (on a
    loss below zero too: -200 is 3% above a best of -210 only when no lower than -203.7)."""
    return value > best + share * abs(best)


def _share(v, gained: float, level: float, th: Thresholds) -> float:
    """The tail's share of all the progress the curve made: a curve still falling in a
    straight line makes ~30% of it there, a converged one ~0% (a loss far above zero, near
    the chance level, gains little of its level and is far from done)."""
    progress = float(np.max(v.ys) - v.ys[-1])
    # (counted only on a curve that learned: a flat line's wiggles are no progress)
    share = gained / progress if progress >= th.min_progress * level else 0.0
    if _by_decades(v, th) and gained > 0:
        # a loss that fell by decades is read on a log scale, as it is plotted
        top, end = float(np.max(v.ys)), float(v.ys[-1])
        share = float(np.log((end + gained) / end) / np.log(top / end))
    return share


def _log_share_of_tail(v, th: Thresholds) -> float:
    """The share of the curve's whole fall, read on a log scale, that its last
    ``tail_frac`` made (its rolling median; 0 for a curve at or below zero)."""
    x1 = float(v.x[-1])
    before = v.ym[v.x <= x1 - th.tail_frac * v.own_span]
    top, end = float(np.max(v.ym)), float(v.ym[-1])
    if not len(before) or end <= 0 or top <= end or float(before[-1]) <= end:
        return 0.0
    return float(np.log(float(before[-1]) / end) / np.log(top / end))


def _by_decades(v, th: Thresholds) -> bool:
    """Whether the curve is a loss that fell more than ``log_span``-fold (read on a log
    scale)."""
    end = float(v.ys[-1])
    return v.is_loss and end > 0 and float(np.max(v.ys)) / end > th.log_span


def _improved(gain: float) -> str:
    """How much a loss improved, ``gain`` being the fall over its level now: a share of
    that level, or how many times lower it ended (not "improved 806%")."""
    return f"improved {pct(gain)}" if gain < 1 else f"fell {1 + gain:.1f}-fold"


def _level(values: np.ndarray) -> float:
    """The level gains are measured against: where the curve ends (never zero)."""
    return max(abs(last_tenth(values)), 1e-12)


def _by_trend(v, tx: np.ndarray, tr: Trend, level: float, th: Thresholds,
              live_rate: bool, alpha: float | None = None) -> _Gain | None:
    """A significant downward trend ``tr`` over the tail ``tx`` that gains a real fraction
    of the level, or a real share of all the progress the curve made (a smaller fraction
    where ``live_rate``: the rate, where logged, was not cut to near nothing)."""
    gained = -tr.slope * (tx[-1] - tx[0])
    gain = gained / level
    share = _share(v, gained, level, th)
    share_gain = th.min_live_share_gain if live_rate else th.min_share_gain
    # a gain just past the bar must come with a real share of the progress: a few
    # percent of a level near the floor, after a long descent, is a converged curve; on a
    # loss that fell by decades, read on a log scale, every gain must
    enough = ((gain >= th.sure_gain and not _by_decades(v, th))
              or (gain >= th.min_gain and share >= th.min_share_with_gain))
    if not (tr.slope < 0 and tr.p_value < (th.alpha if alpha is None else alpha)
            and (enough or (share >= th.min_share and gain >= share_gain))):
        return None
    return _Gain((float(tx[0]), float(tx[-1])), gain, tr.slope, tr.p_value,
                 max(gain / th.min_gain, share / th.min_share) - 1,
                 f"{_improved(gain)} over the last {pct(th.tail_frac)} of the run, "
                 f"{pct(share)} of all it gained (trend p={tr.p_value:.1g})")


def _training_beside(c: Curves, v):
    """The training curve a validation curve ``v`` is judged beside (same axes), else None
    (``v`` is training itself, or the two are on different axes)."""
    t = c.train
    if t is None or t.role == v.role or c.axes_differ or not v.role.startswith("val"):
        return None
    return t


def _fall(wx: np.ndarray, wy: np.ndarray) -> tuple[Trend, float]:
    """The trend of a stretch of a curve and what it gained over it, as a share of its
    level (a fall is positive)."""
    tt = strong_trend(wx, wy)
    return tt, float(-tt.slope * (wx[-1] - wx[0]) / _level(wy))


def _falling_together(c: Curves, v, tx: np.ndarray, vt: Trend, level: float,
                      th: Thresholds) -> _Gain | None:
    """Validation and training both still fall steadily over the tail, validation keeping
    pace: a small gain that is no noise (both trends significant), and no gap opening."""
    t = _training_beside(c, v)
    if t is None or _rate_near_nothing(c, tx, th):
        return None  # (a crawl under a rate cut to near nothing: decayed, not unfinished)
    wx, wy = window(t, float(tx[0]), float(tx[-1]))
    if len(wx) < 4 or not (vt.slope < 0 and vt.p_value < th.together_alpha):
        return None
    tt, t_gain = _fall(wx, wy)
    v_gain = -vt.slope * (tx[-1] - tx[0]) / level
    if not (tt.slope < 0 and tt.p_value < th.together_alpha and v_gain >= th.min_share_gain
            and t_gain >= th.min_share_gain and v_gain >= th.together_pace * t_gain
            and _share(v, v_gain * level, level, th) >= th.min_share_with_gain):
        return None  # (a converged curve's last crumbs after a fall by decades are no gain)
    return _Gain((float(tx[0]), float(tx[-1])), v_gain, vt.slope, vt.p_value,
                 v_gain / th.min_share_gain - 1,
                 f"improved {pct(v_gain)} over the last {pct(th.tail_frac)} of the run "
                 f"(trend p={vt.p_value:.1g}) while the training loss fell {pct(t_gain)} "
                 "beside it: both still fall together")


def _not_levelling(c: Curves, v, tx: np.ndarray, vt: Trend, level: float,
                   th: Thresholds) -> _Gain | None:
    """Validation still falls on a strong trend over the tail at no less than
    ``pace_kept`` of its pace over the stretch before, training falling beside it: a curve
    that has not begun to level off, however small its gain on a high floor."""
    t = _training_beside(c, v)
    if (t is None or not v.is_loss or _by_decades(v, th) or _rate_near_nothing(c, tx, th)
            or _fits_training(c, th)):
        return None  # (after a fall by decades a straight crawl is a converged curve's crumbs)
    gain = -vt.slope * (tx[-1] - tx[0]) / level
    if not (vt.slope < 0 and vt.p_value < th.steady_alpha and gain >= th.min_share_gain):
        return None
    width = float(tx[-1] - tx[0])
    px, py = window(v, float(tx[0]) - width, float(tx[0]))
    if len(px) < 4:
        return None
    before = strong_trend(px, py)
    if before.slope >= 0 or vt.slope / before.slope < th.pace_kept:
        return None
    wx, wy = window(t, float(tx[0]), float(tx[-1]))
    if len(wx) < 4:
        return None
    tt = strong_trend(wx, wy)
    if not (tt.slope < 0 and tt.p_value < th.alpha):
        return None
    pace = vt.slope / before.slope
    return _Gain((float(tx[0]), float(tx[-1])), gain, vt.slope, vt.p_value,
                 min(gain / th.min_share_gain, pace / th.pace_kept) - 1,
                 f"improved {pct(gain)} over the last {pct(th.tail_frac)} of the run "
                 f"(trend p={vt.p_value:.1g}), at {pct(pace)} of the pace of the stretch "
                 "before: it has not begun to level off")


def _cut_short_in_schedule(c: Curves, v, level: float, th: Thresholds) -> _Gain | None:
    """The learning rate was decaying on its schedule (no logged point above the one before
    since its peak) but ended at ``schedule_left`` of its peak or more, and the curve still
    learned: it ended on its best beside a training loss still lower at the end than before
    the tail, or it improved over the tail on a significant trend (``_early_in_schedule``):
    the run was stopped a small way into the schedule it was given."""
    lr = c.get("lr")
    t = c.train
    if lr is None or lr.n < 4 or t is None or _fits_training(c, th):
        return None
    ly = lr.y_all
    top = _decaying_since_peak(ly)
    if (top is None or len(ly) - top < 3 or ly[-1] >= ly[top]
            or ly[-1] < th.schedule_left * ly[top]):
        return None
    where = (f"the learning rate, decaying on its schedule, was still at "
             f"{pct(ly[-1] / ly[top])} of its peak ({num(ly[top])} -> {num(ly[-1])}): the "
             "run stopped a small way into its schedule")
    margin = (ly[-1] / ly[top] - th.schedule_left) / (1 - th.schedule_left)
    y = v.y
    x1 = float(v.x[-1])
    if len(y) >= 3 and y[-1] < float(np.min(y[:-1])):
        wx, wy = _tail(t, x1, v.own_span, th)
        earlier = t.y[t.x < wx[0]]
        if len(earlier) and float(np.median(wy[-3:])) < float(np.median(earlier[-3:])):
            gain = float(np.min(y[:-1]) - y[-1]) / level
            return _Gain((float(v.x[-2]), x1), gain,
                         float((y[-1] - y[-2]) / max(x1 - v.x[-2], 1.0)), None, margin,
                         f"ended on its best while {where}", float(y[-1]))
    return _early_in_schedule(v, level, th, margin, f"while {where}",
                              th.min_live_share_gain)


def _early_in_schedule(v, level: float, th: Thresholds, margin: float, where: str,
                       min_gain: float) -> _Gain | None:
    """Early in its schedule (the caller says where: in its warm-up, or just after its
    peak) a curve still improving over the tail on a significant trend, by ``min_gain`` of
    its level and ``min_share_with_gain`` of all its progress, has far to go, however
    small its gain (a masked autoencoder's loss on its high floor)."""
    tx, ty = _tail(v, float(v.x[-1]), v.own_span, th)
    if len(tx) < 4:
        return None
    tr = strong_trend(tx, ty)
    gained = -tr.slope * (tx[-1] - tx[0])
    gain, share = gained / level, _share(v, gained, level, th)
    if not (tr.slope < 0 and tr.p_value < th.alpha and gain >= min_gain
            and share >= th.min_share_with_gain):
        return None
    return _Gain((float(tx[0]), float(tx[-1])), gain, tr.slope, tr.p_value, margin,
                 f"{_improved(gain)} over the last {pct(th.tail_frac)} of the run "
                 f"(trend p={tr.p_value:.1g}), {pct(share)} of all it gained, {where}")


def _rate_near_nothing(c: Curves, tx: np.ndarray, th: Thresholds) -> bool:
    """Whether the learning rate, where logged, sat below ``together_min_lr`` of its peak
    over the tail ``tx``."""
    lr = c.get("lr")
    if lr is None:
        return False
    tail_lr = window(lr, float(tx[0]), float(tx[-1]))[1]
    now = float(np.median(tail_lr)) if len(tail_lr) else float(lr.y[-1])
    return now < th.together_min_lr * float(np.max(lr.y))


def _schedule_ran_out(c: Curves, got: _Gain, th: Thresholds) -> bool:
    """Whether the learning rate decayed on its schedule from a peak before the tail of
    ``got`` (no logged point above the one before since) down to ``annealed_lr`` of that
    peak at the end: the run finished the schedule it was given."""
    lr = c.get("lr")
    if lr is None or lr.n < 4:
        return False
    lx, ly = lr.x_all, lr.y_all
    top = _decaying_since_peak(ly)
    return (top is not None and float(lx[top]) < got.tail[0] and ly[top] > 0
            and float(ly[-1]) <= th.annealed_lr * float(ly[top]))


def _decaying_since_peak(ly: np.ndarray) -> int | None:
    """Where the learning rate peaked, when no logged point since lies above the one
    before it (a schedule decaying from there on); else None."""
    top = int(np.argmax(ly))
    return None if np.any(np.diff(ly[top:]) > 1e-12 * float(ly[top])) else top


def _stopped_in_warmup(c: Curves, v, level: float, th: Thresholds) -> _Gain | None:
    """The run ended while its learning rate was still warming up (rising to its last
    point), the curve lower over its last stretch than before it by ``min_gain``, or
    still improving on a significant trend (``_early_in_schedule``): it stopped before its
    schedule had even reached its peak."""
    lr = c.get("lr")
    if lr is None or lr.n < 4:
        return None
    x1 = float(v.x[-1])
    x0 = x1 - th.tail_frac * v.own_span
    lx, ly = lr.x_all, lr.y_all
    before = ly[lx <= x0]
    if not len(before) or ly[-1] < float(np.max(ly)) or ly[-1] < th.warmup_rise * before[-1]:
        return None
    tx, ty = window(v, x0, x1)
    earlier = v.y[v.x < x0]
    if len(tx) < 2 or not len(earlier):
        return None
    was, now = float(np.median(earlier[-3:])), float(np.median(ty[-3:]))
    gain = (was - now) / level
    where = (f"while the learning rate was still warming up ({num(before[-1])} -> "
             f"{num(ly[-1])})")
    if gain < th.min_gain:
        return _early_in_schedule(v, level, th, gain / th.min_gain, where,
                                  th.warmup_min_gain)
    return _Gain((float(tx[0]), x1), gain, float((ty[-1] - ty[0]) / max(tx[-1] - tx[0], 1.0)),
                 None, gain / th.min_gain - 1,
                 f"fell from {num(v.value_of(was))} to {num(v.value_of(now))} over the last "
                 f"{pct(th.tail_frac)} of the run, which ended {where}")


def _by_half(c: Curves, v, tx: np.ndarray, ty: np.ndarray, level: float,
             th: Thresholds) -> _Gain | None:
    """A tail too short for a trend test to see a fall (five evaluations, the last 30% of a
    short run): the fall is read as significant when it runs through the whole last half
    of the run (at ``alpha``, or at ``seconded_alpha`` beside a training loss still falling
    on a significant trend), and counts only as a real gain (``min_gain`` of the level and
    ``min_share_with_gain`` of all the progress, above the curve's noise) that ends at the
    curve's best. Beside a training accuracy at ``fitted_accuracy``, or under a rate
    decayed to near nothing, this weaker evidence does not count: the model has fit what
    it is shown, or its schedule has ended, and a validation still settling is no promise
    of more."""
    if len(tx) >= th.min_trend_points or _fits_training(c, th) or _rate_near_nothing(c, tx, th):
        return None
    x1 = float(v.x[-1])
    lx, ly = window(v, x1 - th.long_frac * v.own_span, x1)
    tail, half = strong_trend(tx, ty), strong_trend(lx, ly)
    if len(lx) <= len(tx) or not (tail.slope < 0 and half.slope < 0 and (
            half.p_value < th.alpha
            or (half.p_value < th.seconded_alpha and _training_still_falls(c, v, tx, th)))):
        return None
    gained = -tail.slope * (tx[-1] - tx[0])
    gain, share = gained / level, _share(v, gained, level, th)
    if (gain < th.min_gain or share < th.min_share_with_gain or gained < th.half_noise * v.noise
            or _above(float(v.y[-1]), float(np.min(v.y)), th.half_near_best)):
        return None
    return _Gain((float(tx[0]), x1), gain, tail.slope, half.p_value, gain / th.min_gain - 1,
                 f"improved {pct(gain)} over the last {pct(th.tail_frac)} of the run, "
                 f"{pct(share)} of all it gained, on a fall through its last "
                 f"{pct(th.long_frac)} (trend p={half.p_value:.1g})")


def _seconded(c: Curves, v, tx: np.ndarray, tr: Trend, level: float, th: Thresholds,
              live_rate: bool) -> _Gain | None:
    """A noisy validation curve whose fall over the tail is short of ``alpha`` but within
    ``seconded_alpha``, beside a training loss still falling on a significant trend by
    ``min_gain`` (``_training_still_falls``), ending within ``half_near_best`` of its
    best: the training curve seconds it, and its gain is judged as ``_by_trend`` does."""
    if (tr.p_value >= th.seconded_alpha or not _training_still_falls(c, v, tx, th)
            or _above(float(v.y[-1]), float(np.min(v.y)), th.half_near_best)):
        return None
    return _by_trend(v, tx, tr, level, th, live_rate, alpha=th.seconded_alpha)


def _training_still_falls(c: Curves, v, tx: np.ndarray, th: Thresholds) -> bool:
    """Whether the training loss beside ``v`` still falls over the tail ``tx`` on a
    significant trend (p < ``alpha``), by ``min_gain`` of its level."""
    t = _training_beside(c, v)
    if t is None:
        return False
    wx, wy = window(t, float(tx[0]), float(tx[-1]))
    if len(wx) < 4:
        return False
    tt, gain = _fall(wx, wy)
    return bool(tt.slope < 0 and tt.p_value < th.alpha and gain >= th.min_gain)


def _best_at_the_end(c: Curves, v, level: float, th: Thresholds) -> _Gain | None:
    """A noisy validation loss whose last evaluation is its best by a real margin
    (``new_best`` of its level, and more than its noise, below every earlier one),
    beside a training loss still falling on a significant trend by ``min_gain`` of its
    level over the tail, under a rate not cut to near nothing: the run stopped on a new
    best while it still learned, however much validation wandered before."""
    t = _training_beside(c, v)
    if t is None or not v.is_loss or _fits_training(c, th):
        return None
    y = v.y
    drop = float(np.min(y[:-1]) - y[-1])
    if drop < max(th.new_best * level, v.noise):
        return None
    x1 = float(v.x[-1])
    wx, wy = _tail(t, x1, v.own_span, th)
    if len(wx) < 4 or _rate_near_nothing(c, wx, th):
        return None
    tt, t_gain = _fall(wx, wy)
    if not (tt.slope < 0 and tt.p_value < th.alpha and t_gain >= th.min_gain):
        return None
    return _Gain((float(v.x[-2]), x1), drop / level, float(-drop / max(x1 - v.x[-2], 1.0)),
                 tt.p_value, drop / level / th.new_best - 1,
                 f"ended on its best, {pct(drop / level)} below every earlier evaluation, "
                 f"while the training loss still {_improved(t_gain)} over the last "
                 f"{pct(th.tail_frac)} of the run (trend p={tt.p_value:.1g})", float(y[-1]))


def _tail(cur, x1: float, span: float, th: Thresholds) -> tuple[np.ndarray, np.ndarray]:
    """The points of ``cur`` over the last ``tail_frac`` of ``span`` up to ``x1``, or its
    last four where fewer lie there (a short run: a trend needs four)."""
    tx, ty = window(cur, x1 - th.tail_frac * span, x1)
    return (tx, ty) if len(tx) >= 4 else (cur.x[-4:], cur.y[-4:])


def _no_new_ground(v, got: _Gain) -> bool:
    """Whether the tail's fall only won back what a bump before it lost: the curve (its
    rolling median) got nowhere in the tail lower than it had already been before."""
    before, tail = v.ym[v.x < got.tail[0]], v.ym[v.x >= got.tail[0]]
    if not (len(before) >= 3 and len(tail) >= 1):
        return False
    # (a new best just logged counts as itself: a rolling median hides a last point)
    lowest = min(float(np.min(tail)), np.inf if got.now is None else got.now)
    return lowest >= float(np.min(before))


def _score_got_nowhere(c: Curves, v, got: _Gain) -> bool:
    """Whether, beside a validation loss that is one component of the objective (a
    detector's box loss), the score logged (its mAP) got nowhere in the tail better than it
    had been before it (``_no_new_ground``): the component still falls, the model does not
    improve. (A classifier's accuracy is coarser than its loss: no veto.)"""
    a = c.get("val_acc")
    if (v.role != "val_loss" or a is None or a.n < 8 or c.axes_differ
            or not component(v.tag)):
        return False
    return _no_new_ground(a, got)


def _plateaus_ran_down(c: Curves, got: _Gain, th: Thresholds) -> bool:
    """Whether a scheduler cut the rate at plateau after plateau (``evidence.
    answered_plateaus``) down to near nothing over the tail: it has judged the run
    converged, and what the validation loss still gains is its last crumbs."""
    return (answered_plateaus(c, th.plateau_cuts, th.plateau_evals)
            and _rate_near_nothing(c, np.asarray(got.tail), th))


def _fits_training(c: Curves, th: Thresholds) -> bool:
    """Whether the training accuracy ends at ``fitted_accuracy`` or above."""
    a = c.get("train_acc")
    return a is not None and a.kind == "error" and last_tenth(a.y) <= 1 - th.fitted_accuracy


def check(c: Curves, th: Thresholds):
    # validation logged once or twice shows no trend: training is what there is to judge
    few_val = c.val is not None and c.val.n < th.min_val_points and c.train is not None
    v = c.train if few_val else c.val or c.train
    if v is None:
        raise Skip("no curve to judge")
    # a share of where a loss began means something only for a loss that never goes below
    # zero (a negative log-likelihood or an ELBO bound falling from -18 to -273 is no sliver)
    ratio_scale = v.is_loss and bool(np.all(v.y >= 0))
    if v.role.startswith("train") and ratio_scale and v.start > 0 and (
            float(np.median(v.y[-3:])) <= th.fitted_of_start * v.start
            and _log_share_of_tail(v, th) < th.fitted_still_falling):
        return []  # no validation, and training is fit: nothing says more steps would help
    if ratio_scale and v.role.startswith("val"):
        # where training began counts where the two are on one scale: at validation's
        # first step, training within ``solved_scale`` times of it (a training loss summed
        # over batches says nothing of where validation began)
        t = c.train
        same_scale = (t is not None and t.is_loss and t.role != v.role
                      and t.at(float(v.x[0])) <= th.solved_scale * float(v.y[0]))
        # (validation's own start the median of its first three evaluations: one absurd
        # first one, a loss of 620 falling to 22 by the next, says nothing of the scale the
        # run worked on)
        began = max(float(np.median(v.y[:3])), t.start if same_scale else 0.0)
        if last_tenth(v.y) <= th.solved_of_start * began:
            return []  # the loss a sliver of where it began: nothing left to learn
    span = v.own_span
    x1 = float(v.x[-1])
    level = _level(v.y)
    if len(v.y) < th.short_points:
        if len(v.y) < 3:
            raise Skip(f"only {len(v.y)} points")
        got = _by_epochs(v, level, th)
    else:
        few = len(window(v, x1 - th.tail_frac * span, x1)[0]) < th.min_tail_points
        tx, ty = _tail(v, x1, span, th)
        tr = strong_trend(tx, ty)
        live = not _rate_near_nothing(c, tx, th)
        got = (_by_trend(v, tx, tr, level, th, live)
               or _falling_together(c, v, tx, tr, level, th)
               or _not_levelling(c, v, tx, tr, level, th)
               or _stopped_in_warmup(c, v, level, th) or _by_half(c, v, tx, ty, level, th)
               or _best_at_the_end(c, v, level, th)
               or _seconded(c, v, tx, tr, level, th, live))
        if got is None and few:  # too few tail points for a trend test to see it
            got = _by_epochs(v, level, th)
    if got is None:
        got = _cut_short_in_schedule(c, v, level, th)
    if (got is None or _plateaus_ran_down(c, got, th) or _no_new_ground(v, got)
            or _score_got_nowhere(c, v, got)):
        return []
    if (got.p is not None and _schedule_ran_out(c, got, th)
            and _share(v, got.gain * level, level, th) < th.min_share):
        return []  # a trend over the tail of a finished schedule: its anneal's payoff (a
        #            short log whose every recent epoch still improved is read as logged)
    fc = forecast.fit(v.x, v.y, horizon=2.0, min_r2=th.min_r2)
    ev = {"tags": [v.tag], "start_step": int(got.tail[0]), "end_step": int(got.tail[1]),
          "gain": got.gain, "slope": got.slope, "p_value": got.p,
          "judged_on": "validation" if v.role.startswith("val") else "training"}
    now = v.value_of(float(v.ys[-1]) if got.now is None else got.now)
    if fc is not None and v.is_loss and np.all(v.y_all >= 0) and fc.at_end[0] < 0:
        fc = None  # a non-negative loss forecast below zero: the fit is not plausible
    if fc is not None and fc.at_end[0] < float(v.ys[-1]):
        m, lo, hi = (v.value_of(z) for z in fc.at_end)
        lo, hi = sorted((lo, hi))
        bounds = list(zip(fc.low, fc.high, strict=True))
        if v.is_loss and np.all(v.y_all >= 0):  # a non-negative loss stays so
            lo = max(lo, 0.0)
            bounds = [(max(a, 0.0), max(b, 0.0)) for a, b in bounds]
        ev["forecast"] = {
            "model": fc.model, "r2": fc.r2, "steps": [int(s) for s in fc.steps],
            "mean": [v.value_of(z) for z in fc.mean],
            "low": [min(v.value_of(a), v.value_of(b)) for a, b in bounds],
            "high": [max(v.value_of(a), v.value_of(b)) for a, b in bounds],
        }
        article = "an" if fc.model[0] in "aeiou" else "a"
        more = (f"; {article} {fc.model} fit (R²={fc.r2:.2f}) forecasts {num(m)} "
                f"({num(lo)} to {num(hi)}) at step {step(fc.steps[-1])}")
    else:
        per = got.slope * 0.1 * span
        more = f"; at the current slope another tenth of the run changes it by {num(abs(per))}"
    if v.role.startswith("train"):
        more += (f" (validation logged only {c.val.n}x, judged on training)" if few_val
                 else " (no validation metric logged, judged on training)")
    return [finding(
        "info" if v.role.startswith("train") else "warning",
        confidence(got.margin, 0.55, 0.9) * (0.8 if v.role.startswith("train") else 1.0),
        f"{what(v)} is still improving at step {step(x1)}: it {got.how}, now {num(now)}{more}",
        [
            "train longer: resume from the last checkpoint",
            "stretch the learning-rate schedule to the new length",
        ],
        ev,
    )]
