"""The learning rate was cut while the loss was still falling fast, then the loss went flat.

What it detects
    The logged learning rate drops to a fraction of its peak early in the run,
    at a moment when the training loss was still falling steeply; after the
    cut the loss flattens out, or crawls on at a small fraction of its earlier
    rate (a staircase whose later cuts still drop the loss at once is a sound
    schedule: the step size was still holding the loss up). An LR that is cut to
    near zero in the first half of the run and never raised is decayed too
    early even when the loss had not fallen much before. A rate cut in steps again and
    again, first after validation had gone two evaluations without a new best,
    answered plateaus (ReduceLROnPlateau waits for each) and is never too early. The
    rate of descent
    after the cut is compared with the rate just before it (Theil-Sen slopes
    on the binned curve).

Why it matters
    A large learning rate makes fast progress while the loss still has room to
    fall; cutting it early freezes the model in place long before it reaches a
    good level. The course notes show it as a curve that "decayed too early and
    could not keep falling". Schedules copied from another data set or model
    size often do this.

Evidence
    The cut step and the LR before and after, the loss slope before and after
    (as a fraction of the level per tenth of the run), and the loss levels.

Advice
    Decay later or by less; use cosine decay over the whole run; fit the
    schedule to the data size instead of copying defaults; try a constant LR
    first to see where the loss flattens on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curves import Curve, Curves
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
from ..stats import trend

LABEL = "decayed_too_early"
NAME = "decayed-too-early"
SUMMARY = "the LR was cut while the loss still fell fast, and the loss went flat"


@dataclass(frozen=True)
class Thresholds:
    #: The LR counts as cut once it falls to this fraction of its peak (a step
    #: schedule cuts 10x, cosine passes 0.3 at 63% of its length).
    cut_ratio: float = 0.3
    #: Only cuts in the first part of the run can be "too early".
    max_cut_frac: float = 0.45
    #: Before the cut the loss fell at least this fraction of its level per tenth of the run.
    min_rate_before: float = 0.05
    #: After the cut the loss falls at most this fraction of the rate before.
    max_rate_ratio: float = 0.25
    #: Skip this fraction of the run after the cut (the immediate drop a cut causes).
    settle_frac: float = 0.04
    #: The slope windows span this fraction of the run.
    window_frac: float = 0.12
    #: "Went flat": after the cut (and its settling) the loss gains at most this fraction
    #: of its level until the next cut (or the end). A step schedule whose loss keeps
    #: falling after each cut was not cut too early, however fast it fell before.
    max_further: float = 0.3
    #: ...unless it crawls: falling at under this fraction of the rate before the cut, a
    #: loss that still gains a lot over a long tail was slowed, not left to fall.
    crawl_ratio: float = 0.1
    #: A later cut after which the loss at once falls this fraction of its level below
    #: where its trend was heading shows the step size still held the loss up after the
    #: first cut: a staircase that keeps annealing, not a premature decay.
    timely_drop: float = 0.1
    #: An LR cut to this fraction of its peak (or below ``dead_lr``) in the first
    #: ``max_dead_frac`` of the run, and never raised again, leaves nothing to learn
    #: with: decayed too early, however little the loss had fallen before.
    dead_ratio: float = 0.01
    dead_lr: float = 1e-7
    max_dead_frac: float = 0.5
    #: A rate cut this many times or more, first after validation went ``plateau_evals``
    #: evaluations without a new best, answered plateaus (ReduceLROnPlateau): never too
    #: early.
    plateau_cuts: int = 2
    plateau_evals: int = 2


def check(c: Curves, th: Thresholds):
    lr = c.get("lr")
    t = c.train
    if t is None:
        raise Skip("no training curve logged")
    if lr is None or lr.n < 3:
        raise Skip("no learning rate logged; an LR cut is the evidence this rule needs")
    lx, lv = lr.x_all, lr.y_all
    if np.any(lv <= 0):
        lv = np.abs(lv)
    peak_i = int(np.argmax(lv))
    peak = float(lv[peak_i])
    after = np.flatnonzero(lv[peak_i:] <= th.cut_ratio * peak)
    if not len(after) or peak <= 0:
        return []
    cut = float(lx[peak_i + after[0]])
    if answered_plateaus(c, th.plateau_cuts, th.plateau_evals):
        return []
    span = max(c.span, 1)
    x0 = float(t.x[0])
    if (cut - x0) / span > th.max_cut_frac:
        return []
    w = th.window_frac * span
    gap = th.settle_frac * span
    bx, by = window(t, max(x0, cut - w - gap / 2), cut - gap / 2)
    if len(bx) < 3:  # a short log: the last three points before the cut
        bx, by = t.x[t.x < cut][-3:], t.y[t.x < cut][-3:]
    ax, ay = window(t, cut + gap, float(t.x[-1]))
    dead = _dead_from(lx, lv, peak, th)
    dead_early = dead is not None and (dead - x0) / span <= th.max_dead_frac
    if len(ax) < 3 or (ax[-1] - ax[0]) < 2 * w or (len(bx) < 2 and not dead_early):
        return []
    tenth = 0.1 * span
    after_t = trend(ax, ay)
    if len(bx) < 2:
        # cut before the second training point (the first is often an epoch's average):
        # nothing shows how fast the loss fell before, but an LR left near zero for the
        # rest of the run is the evidence on its own
        before = float("nan")
        level = max(abs(float(np.median(ay[:3]))), 1e-12)
    else:
        level = max(abs(float(np.median(by))), 1e-12)  # both rates relative to the pre-cut level
        # a cut in the first epochs leaves two points before it: their slope is the evidence
        slope = trend(bx, by).slope if len(bx) >= 3 else float(
            (by[-1] - by[0]) / max(bx[-1] - bx[0], 1e-12))
        before = -slope * tenth / level
    after_rate = -after_t.slope * tenth / level
    # "went flat" is judged within the cut's own regime: up to the next cut (a staircase's
    # later drops are the later cuts' doing), over at least twice the slope window
    lr_after_cut = float(np.median(lv[lx >= cut][:3]))
    nxt = np.flatnonzero((lx > cut) & (lv <= th.cut_ratio * lr_after_cut))
    until = max(float(lx[nxt[0]]) if len(nxt) else float(t.x[-1]), cut + gap + 2 * w)
    _, ry = window(t, cut + gap, until)
    if len(ry) < 3:
        ry = ay
    k = max(2, len(ry) // 10)
    settled = float(np.median(ry[:k]))
    further = (settled - float(np.median(ry[-k:]))) / max(abs(settled), 1e-12)
    # a staircase whose next cut still buys an immediate drop was held up by too large a
    # step even after this cut: the cut was not premature, the schedule keeps annealing
    if len(nxt) and _drop_at(t, float(lx[nxt[0]]), w, gap) >= th.timely_drop:
        return []
    if further > th.max_further and after_rate > th.crawl_ratio * before:
        return []  # the loss kept falling after the cut (NaN compares False: unknown)
    if not dead_early and (before < th.min_rate_before
                           or after_rate > th.max_rate_ratio * before):
        return []
    lr_after = float(np.median(lv[lx >= cut][:5]))
    margin = 0.5 if dead_early else min(
        before / th.min_rate_before - 1,
        (th.max_rate_ratio * before - after_rate) / max(th.max_rate_ratio * before, 1e-12))
    return [finding(
        "warning", confidence(margin),
        f"the learning rate was cut from {num(peak)} to {num(lr_after)} at step {step(cut)} "
        f"({pct((cut - x0) / span)} into the run)"
        + ("" if np.isnan(before) else f" while {what(t)} was still falling "
           f"{pct(before)} of its level per tenth of the run")
        + "; after the cut it fell "
        f"{pct(max(after_rate, 0))} per tenth and ended at {num(t.value_of(float(ay[-1])))}",
        [
            "decay later (when the loss flattens at the current rate) or by less",
            "use cosine decay over the whole run instead of early steps",
            "fit the schedule to this data size; don't copy another run's milestones",
            "try a constant learning rate first to see where the loss flattens on its own",
        ],
        {"tags": [t.tag, lr.tag], "start_step": int(cut), "end_step": int(t.x[-1]),
         "lr_cut_step": int(cut), "lr_before": peak, "lr_after": lr_after,
         "rate_before": before, "rate_after": after_rate, "further_after_cut": further,
         "lr_near_zero_step": dead},
    )]


def _drop_at(t: Curve, cut: float, w: float, gap: float) -> float:
    """How far below the trend before ``cut`` the loss lands just after it, as a fraction
    of its level (0 when either side has too few points to say)."""
    bx, by = window(t, cut - w - gap / 2, cut - gap / 2)
    _, ay = window(t, cut + gap, cut + gap + w)
    if len(bx) < 3 or len(ay) < 2:
        return 0.0
    level = max(abs(float(np.median(by))), 1e-12)
    heading = float(np.median(by)) + trend(bx, by).slope * (cut + gap - float(np.median(bx)))
    return (heading - float(np.median(ay[: max(2, len(ay) // 5)]))) / level


def _dead_from(lx: np.ndarray, lv: np.ndarray, peak: float, th: Thresholds) -> int | None:
    """The step from which the LR stays near zero to the end (None if it never does)."""
    # a schedule's exact 100x cut is "near zero" however its product rounds
    near = (lv <= th.dead_ratio * peak * (1 + 1e-6)) | (lv <= th.dead_lr)
    if not near[-1]:
        return None
    alive = np.flatnonzero(~near)
    first = alive[-1] + 1 if len(alive) else 0
    return int(lx[first]) if first < len(lx) else None
