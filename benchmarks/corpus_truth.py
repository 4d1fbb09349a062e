"""What a corpus run's curves show, decided from its logged values by explicit criteria.

Independent of curvedoc's rules on purpose (numpy only, no curvedoc import): the
truth of a run is what a careful reader sees on its plots, not the cause that was
injected. Each criterion below is one sentence a reader would say; a run whose
numbers fall in the band around a threshold is marked ``ambiguous`` (not scored)
instead of being forced to one side.

Inputs are the trainer's ``history``: every logged value under its role
(``train_step``, ``train_epoch``, ``train_acc``, ``val_loss``, ``val_acc``, ``lr``),
each a list of (optimiser steps done, value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

LABELS = ("bad_init", "lr_too_high", "decayed_too_early", "keep_training", "overfitting",
          "underfitting")


@dataclass(frozen=True)
class RunFacts:
    """What the truth needs besides the curves: the task and how the run logged."""

    history: dict[str, list[tuple[int, float]]]
    steps_per_epoch: int
    #: the optimiser steps the run was planned for (a run stopped on NaN is shorter)
    planned_steps: int
    num_classes: int
    #: a loss before (or at) the first update was logged: a validation at step 0, or a
    #: training point that is a single first step
    init_logged: bool
    #: the data set's reference: the lowest final validation loss of its healthy runs
    ref_val_loss: float
    #: the data set's reference validation accuracy (nan for regression)
    ref_val_acc: float = math.nan
    #: the loss of predicting the training set's class frequencies (nan: unknown, or
    #: regression): where a network that learned only its output bias sits, at or below
    #: ln(C) (0.66, not 0.69, on a 63/37 binary task)
    prior_loss: float = math.nan


@dataclass
class Truth:
    labels: set[str] = field(default_factory=set)
    #: other label sets a careful reader would also accept
    alternatives: list[set[str]] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    #: the measured numbers each decision used, for the plot sheets and the audit
    why: dict[str, float | str] = field(default_factory=dict)


# -- series helpers ------------------------------------------------------------------------


def _near_chance(values: np.ndarray, chance: float, prior: float) -> np.ndarray:
    """Where a loss sits at the level of a network that learned nothing: within 3% of
    ln(C), or, on a task unbalanced enough that predicting its class frequencies lies
    outside that band, between that loss and ln(C) (a dead network learns its output
    bias and settles there: 0.66 on a 63/37 binary task)."""
    near = np.abs(values / chance - 1) < 0.03
    if math.isfinite(prior) and prior < 0.97 * chance:
        near |= (values >= 0.97 * prior) & (values <= 1.03 * chance)
    return near


def _arr(points: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    if not points:
        return np.zeros(0), np.zeros(0)
    s, v = zip(*points, strict=True)
    return np.asarray(s, float), np.asarray(v, float)


def epoch_train(facts: RunFacts) -> tuple[np.ndarray, np.ndarray]:
    """The training loss per epoch: the logged epoch means, else the per-step points
    averaged over each epoch's span."""
    s, v = _arr(facts.history.get("train_epoch", []))
    if len(s):
        return s, v
    s, v = _arr(facts.history.get("train_step", []))
    if not len(s):
        return s, v
    epoch = np.ceil(s / facts.steps_per_epoch)
    keys = np.unique(epoch)
    steps = np.array([s[epoch == k].max() for k in keys])
    with np.errstate(all="ignore"):
        means = np.array([np.mean(v[epoch == k]) for k in keys])
    return steps, means


def smooth(v: np.ndarray) -> np.ndarray:
    """A centred running median of about a tenth of the points (odd, >= 1)."""
    n = len(v)
    w = max(3, n // 10) | 1
    if n < 5:
        return v.copy()
    h = w // 2
    pad = np.concatenate([np.full(h, v[0]), v, np.full(h, v[-1])])
    return np.array([np.median(pad[i:i + w]) for i in range(n)])


def _at(s: np.ndarray, v: np.ndarray, step: float) -> float:
    """The value at the last point at or before ``step`` (the first point if none)."""
    i = np.searchsorted(s, step, side="right") - 1
    return float(v[max(i, 0)])


def _rel_noise(v: np.ndarray, sm: np.ndarray) -> float:
    scale = np.median(np.abs(sm)) or 1.0
    return float(np.median(np.abs(v - sm)) / scale)


def _band(value: float, lo: float, hi: float) -> str:
    """"yes" above hi, "no" below lo, "ambiguous" between."""
    if value >= hi:
        return "yes"
    if value <= lo:
        return "no"
    return "ambiguous"


# -- the criteria ------------------------------------------------------------------------


def decide(facts: RunFacts) -> Truth:
    truth = Truth()
    why = truth.why
    chance = math.log(facts.num_classes) if facts.num_classes else 1.0
    ts, tv = epoch_train(facts)
    vs, vv = _arr(facts.history.get("val_loss", []))
    _, raw_v = _arr(facts.history.get("train_step", []))
    all_losses = np.concatenate([tv, vv, raw_v])
    run_len = float(facts.planned_steps)

    # 1. lr_too_high: a non-finite loss, an explosion, or a loss that keeps jumping up
    if len(all_losses) and not np.all(np.isfinite(all_losses)):
        truth.labels.add("lr_too_high")
        why["nonfinite"] = "yes"
    finite_t = tv[np.isfinite(tv)]
    if len(finite_t) >= 3:
        # the largest rise of the epoch-mean training loss above its best so far, both
        # against the chance loss (a visible size) and against that best (not noise
        # around a floor near zero). An "epoch mean" of one or two logged minibatches is
        # minibatch noise, not the epoch's loss: there a rise must hold for two points
        # (a running median of three) to count
        jumpy = finite_t
        if not facts.history.get("train_epoch") and len(finite_t) >= 5:
            s_, _ = _arr(facts.history.get("train_step", []))
            per_epoch = len(s_) / max(len(np.unique(np.ceil(s_ / facts.steps_per_epoch))), 1)
            if per_epoch < 3:
                jumpy = np.median(np.lib.stride_tricks.sliding_window_view(
                    np.concatenate([finite_t[:1], finite_t, finite_t[-1:]]), 3), axis=1)
                # the ends too: a first minibatch below its neighbours is no best to jump from
                jumpy[0], jumpy[-1] = np.median(finite_t[:3]), np.median(finite_t[-3:])
        prev_min = np.minimum.accumulate(jumpy)[:-1]
        rises = jumpy[1:] - prev_min
        i = int(np.argmax(rises / chance + np.minimum(rises / np.maximum(prev_min, 1e-9), 1)))
        jump_abs = float(rises[i] / chance)
        jump_rel = float(rises[i] / max(prev_min[i], 1e-9))
        why["max_jump_over_chance"] = round(jump_abs, 3)
        why["max_jump_over_best"] = round(jump_rel, 3)
        if jump_abs >= 0.25 and jump_rel >= 0.3:
            truth.labels.add("lr_too_high")
        elif jump_abs >= 0.12 and jump_rel >= 0.15:
            truth.ambiguous.append(f"lr_too_high: loss rose {jump_abs:.2f} x chance")
    # a loss that never leaves chance: after an explosion or with a noisy plateau it is a
    # rate too high to learn at all; flat and quiet from the start it is a dead network
    stuck = pinned = False
    if facts.num_classes and len(finite_t) >= 3:
        late = finite_t[len(finite_t) // 2:]
        k = max(1, len(late) // 3)  # medians: one noisy epoch mean is no fall
        fall = float(np.median(late[:k]) - np.median(late[-k:])) / chance
        # a steady decline, however slow, is a rate too low, not a dead network
        steady = bool(np.mean(np.diff(finite_t) < 0) >= 0.8
                      and finite_t[0] - finite_t[-1] >= 0.02 * chance)
        why["steady_decline"] = str(steady)
        stuck = bool(np.min(late) > 0.85 * chance and fall < 0.03 and not steady)
        why["late_min_over_chance"] = round(float(np.min(late)) / chance, 3)
        fin = raw_v[np.isfinite(raw_v)]
        noise = _rel_noise(fin, smooth(fin)) if len(fin) > 10 else math.nan
        why["step_noise"] = round(noise, 4) if math.isfinite(noise) else "n/a"
        finite_all = all_losses[np.isfinite(all_losses)]
        peak = float(np.max(finite_all)) / chance
        why["peak_over_chance"] = round(peak, 3)
        if stuck:
            if (math.isfinite(noise) and noise > 0.05) or peak > 1.5:
                why["stuck_at_chance"] = "loud"
                truth.labels.add("lr_too_high")
            elif peak > 1.2 or (math.isfinite(noise) and noise > 0.02):
                why["stuck_at_chance"] = "unclear"
                truth.ambiguous.append("stuck at chance: dead network or too high a rate?")
            else:
                why["stuck_at_chance"] = "quiet"
                learned = float(finite_t[0] - np.min(finite_t)) / chance
                if learned >= 0.1:
                    # it learned a little, then went quiet short of chance: a poor
                    # plateau (or a rate too high to get further), not a healthy run
                    why["stuck_after_learning"] = round(learned, 3)
                    truth.labels.add("underfitting")
                    truth.alternatives.append({"lr_too_high"})

    # 2. bad_init: an initial loss far above chance, or a flat start at chance
    first_loss = math.nan
    if facts.init_logged:
        cands = [v[0] for s, v in (_arr(facts.history.get("val_loss", [])),
                                   _arr(facts.history.get("train_step", [])))
                 if len(s) and s[0] <= 1]
        if cands:
            first_loss = float(max(cands))
    if math.isfinite(first_loss):
        limit = 3.0 * chance if facts.num_classes else 5.0
        why["init_loss_over_chance"] = round(first_loss / chance, 3)
        verdict = _band(first_loss / limit, 0.75, 1.0)
        if verdict == "yes":
            truth.labels.add("bad_init")
        elif verdict == "ambiguous":
            truth.ambiguous.append(f"bad_init: initial loss {first_loss:.3g}")
    if facts.num_classes and len(finite_t) >= 5 and "lr_too_high" not in truth.labels:
        # judged on the smoothed curve: epoch means of a dead network wobble by a few
        # percent around ln(C), and one wobble is no departure from it
        near = _near_chance(smooth(finite_t), chance, facts.prior_loss)
        flat_epochs = int(np.argmin(near)) if not near.all() else len(near)
        frac = flat_epochs / len(finite_t) if flat_epochs >= 3 else 0.0
        why["flat_at_chance_frac"] = round(frac, 3)
        quiet = why.get("stuck_at_chance") == "quiet"
        lr_s, lr_v = _arr(facts.history.get("lr", []))
        if len(lr_s) >= 3 and 0 < flat_epochs < len(ts):
            # a learning rate still warming up explains a slow start
            lr_then = _at(lr_s, lr_v, ts[flat_epochs - 1])
            if lr_then < 0.5 * float(np.max(lr_v)) and lr_v[0] < lr_then:
                frac = 0.0
                why["flat_start_in_warmup"] = "yes"
        if (frac >= 0.15 and np.min(finite_t) < 0.7 * chance) or (quiet and frac >= 0.9):
            truth.labels.add("bad_init")
            if quiet:
                # pinned at chance from the start: a dead network, or weights held at zero
                # (heavy weight decay); the curves cannot tell which
                truth.alternatives.append({"underfitting"})
        elif frac >= 0.08 and np.min(finite_t) < 0.7 * chance:
            truth.ambiguous.append(f"bad_init: flat at chance for {frac:.0%} of the epochs")
        elif quiet:
            pinned = True

    # a validation loss that keeps jumping up and down by a fifth or more: an unstable rate
    fin_v = vv[np.isfinite(vv)]
    if len(fin_v) >= 6 and "lr_too_high" not in truth.labels:
        diffs = np.diff(fin_v)
        steps = diffs / np.maximum(fin_v[:-1], 1e-12)
        # relative jumps that are also visible against the chance loss (not noise on a
        # floor near zero)
        big_move = np.abs(diffs) > 0.05 * chance
        late = slice(len(steps) // 5, None)
        ups = np.sum(((steps > 0.2) & big_move)[late])
        downs = np.sum(((steps < -0.2) & big_move)[late])
        zigzag = int(min(ups, downs))
        why["val_zigzags"] = zigzag
        if zigzag >= 3:
            truth.labels.add("lr_too_high")
        elif zigzag == 2:
            truth.ambiguous.append("lr_too_high: validation jumps up and down twice")

    nonfinite = why.get("nonfinite") == "yes"
    # a diverging or unstable run: its validation "rising" or "still falling" is the
    # instability itself, not overfitting or unfinished training
    unstable = "lr_too_high" in truth.labels

    # 3. decayed_too_early: the logged LR cut to <= 1/10 of its peak in the first 40%
    #    while the training loss was still falling, and the loss flattening after the cut
    ls, lv = _arr(facts.history.get("lr", []))
    if len(ls) >= 3 and not nonfinite and len(finite_t) >= 4:
        peak_i = int(np.argmax(lv))
        low = np.nonzero((lv <= 0.1 * lv[peak_i]) & (np.arange(len(lv)) > peak_i))[0]
        if len(low):
            cut = float(ls[low[0]])
            why["lr_cut_at"] = round(cut / run_len, 3)
            if cut <= 0.4 * run_len:
                # the finest training curve there is (per-step points, lightly smoothed)
                fs_, fv_ = _arr(facts.history.get("train_step", []))
                if len(fs_) >= 8:
                    fv_ = smooth(fv_)
                else:
                    fs_, fv_ = ts, tv
                start = cut - 0.15 * run_len
                if fs_[0] <= start:
                    before, span_before = _at(fs_, fv_, start), 0.15 * run_len
                else:
                    # the cut comes before the window: from the first loss (or ln C)
                    before = max(float(fv_[0]), chance if facts.num_classes else 0.0)
                    span_before = max(cut, 1.0)
                at_cut = _at(fs_, fv_, cut)
                falling = (before - at_cut) / max(abs(before), 1e-12)
                after = (at_cut - float(fv_[-1])) / max(abs(at_cut), 1e-12)
                rate_ratio = (after / max(run_len - cut, 1.0)) / max(falling / span_before,
                                                                      1e-12)
                why["fall_before_cut"] = round(falling, 3)
                why["fall_after_cut"] = round(after, 3)
                why["rate_after_over_before"] = round(rate_ratio, 3)
                # still learning when cut, and learning far slower after it
                if falling > 0.05 and rate_ratio < 0.25:
                    truth.labels.add("decayed_too_early")
                elif falling > 0.02 and rate_ratio < 0.5:
                    truth.ambiguous.append(f"decayed_too_early: falling {falling:.0%} at the cut")

    # 4. keep_training / 5. overfitting, on the validation loss
    if len(vv) >= 4 and not unstable:
        vsm = smooth(vv)
        noise = _rel_noise(vv, vsm)
        why["val_noise"] = round(noise, 4)
        v80 = _at(vs, vsm, vs[-1] - 0.2 * (vs[-1] - vs[0]))
        gain = (v80 - vsm[-1]) / max(abs(v80), 1e-12)
        why["val_gain_last20"] = round(gain, 4)
        best_i = int(np.argmin(vsm))
        best_frac = (vs[best_i] - vs[0]) / max(vs[-1] - vs[0], 1)
        why["val_best_at"] = round(best_frac, 3)
        rise = vsm[-1] / max(vsm[best_i], 1e-12)
        why["val_end_over_best"] = round(rise, 3)
        # share of the whole run's progress made in its last 20%: ~20% on a straight
        # decline, ~0 on a converged curve; on a log scale when the curve spans more than
        # a decade (as a reader plots it)
        top = float(np.max(vsm))
        if vsm[-1] > 0 and top / vsm[-1] > 10:
            total = math.log(top / vsm[-1])
            share = math.log(v80 / vsm[-1]) / total if v80 > 0 else 0.0
        else:
            total = top - float(vsm[-1])
            share = (v80 - vsm[-1]) / total if total > 0 else 0.0
        why["val_share_last20"] = round(share, 4)
        big = gain > 2 * noise
        keep = big and best_frac >= 0.85 and (
            (gain >= 0.1 and share >= 0.08) or (gain >= 0.02 and share >= 0.15))
        leaning = big and best_frac >= 0.85 and (
            (gain >= 0.05 and share >= 0.03) or (gain >= 0.02 and share >= 0.12))
        if keep:
            truth.labels.add("keep_training")
        elif leaning:
            # still gaining a little: "train longer" and "done" are both fair readings
            why["keep_training_reading"] = "either"
        elif best_frac >= 0.85 and ((gain >= 0.03 and share >= 0.02)
                                    or (gain >= 0.01 and share >= 0.06)):
            truth.ambiguous.append(f"keep_training: val gained {gain:.1%} over the last 20% "
                                   f"({share:.0%} of the run's progress)")
        if not keep:
            # (a) validation rises from a minimum reached before 70% of the run
            # ...while training did not rise with it (rising at half validation's pace or
            # more is a collapse or an unstable rate, not a model that fits its training
            # set too well)
            t_at_best = _at(ts, tv, vs[best_i]) if len(ts) else math.nan
            t_rise = (float(np.median(finite_t[-3:])) / t_at_best - 1
                      if len(finite_t) >= 2 and t_at_best > 0 else 0.0)
            t_rose = t_rise > 0.05 and t_rise >= 0.5 * (rise - 1)
            if best_frac <= 0.7 and t_rose and _band(rise, 1.06, 1.12 + 2 * noise) != "no":
                why["train_rose_with_val"] = round(t_rise, 3)
                truth.ambiguous.append("validation rose, but training rose with it: a "
                                       "collapse or an unstable rate, not overfitting")
            elif best_frac <= 0.7:
                verdict = _band(rise, 1.06, 1.12 + 2 * noise)
                if verdict == "yes":
                    truth.labels.add("overfitting")
                    why["overfitting_form"] = "val rises"
                    val_acc = [a for _, a in facts.history.get("val_acc", [])[-3:]]
                    if (val_acc and float(np.median(val_acc)) >= 0.995
                            and vsm[-1] - vsm[best_i] < 0.01 * chance):
                        # every validation example right, the loss risen by a hundredth
                        # of chance near zero (flat on a linear plot): healthy holds too
                        why["overfitting_form"] = "val rises near zero, accuracy perfect"
                        truth.alternatives.append(truth.labels - {"overfitting"})
                elif verdict == "ambiguous":
                    truth.ambiguous.append(f"overfitting: val ended {rise:.2f} x its best")
            # (b) the gap: training keeps falling far below a validation that has stalled
            if "overfitting" not in truth.labels and len(finite_t) >= 4:
                # validation's plateau starts where it first comes within 5% of its best
                plateau = int(np.argmax(vsm <= vsm[best_i] * 1.05 + 1e-9))
                t_then = _at(ts, tv, vs[plateau])
                t_end = float(finite_t[-1])
                t_fall = (t_then - t_end) / max(abs(t_then), 1e-12)
                ratio = float(vsm[-1]) / max(t_end, 1e-12)
                why["train_fall_since_val_plateau"] = round(t_fall, 3)
                why["val_over_train_end"] = round(ratio, 2)
                stalled = gain < 0.02 and (vs[plateau] - vs[0]) <= 0.7 * (vs[-1] - vs[0])
                if stalled and t_fall > 0.5 and ratio >= 10:
                    truth.labels.add("overfitting")
                    why["overfitting_form"] = "gap widens, val flat"
                elif stalled and t_fall > 0.3 and ratio >= 3:
                    truth.ambiguous.append(f"overfitting: train fell {t_fall:.0%} below a flat "
                                           f"validation ({ratio:.1f} x train at the end)")
                elif stalled and t_fall > 0.2 and ratio >= 1.5:
                    # a moderate gap opening under a flat validation: people who label real
                    # logs call it overfitting as often as not, so both readings are accepted
                    truth.alternatives.append(truth.labels | {"overfitting"})
                    why["overfitting_form"] = "moderate gap under a flat validation (accepted)"

    # (c) accuracy: training accuracy pulling far ahead of a validation accuracy that stalled
    tas, tav = _arr(facts.history.get("train_acc", []))
    vas, vav = _arr(facts.history.get("val_acc", []))
    if (len(tav) >= 4 and len(vav) >= 4 and not unstable
            and "overfitting" not in truth.labels):
        gap_end = float(np.median(tav[-3:]) - np.median(vav[-3:]))
        gap_mid = float(_at(tas, tav, tas[-1] * 0.5) - _at(vas, vav, tas[-1] * 0.5))
        val_gain = float(np.median(vav[-3:]) - _at(vas, vav, vas[-1] * 0.7))
        why["acc_gap_end"] = round(gap_end, 3)
        if gap_end >= 0.2 and gap_end >= 1.5 * max(gap_mid, 0.01) and val_gain < 0.02:
            truth.alternatives.append(truth.labels | {"overfitting"})
            why["overfitting_form"] = "accuracy gap (accepted reading)"

    # 6. underfitting: train close to val, flat, far above what the task allows
    if (not truth.labels and not stuck and len(vv) >= 4 and len(finite_t) >= 4
            and math.isfinite(facts.ref_val_loss)):
        v_end = float(smooth(vv)[-1])
        t_end = float(finite_t[-1])
        ratio = v_end / max(facts.ref_val_loss, 1e-6)
        close = abs(v_end - t_end) <= 0.25 * v_end + 0.02
        why["val_over_ref"] = round(ratio, 3)
        why["train_val_close"] = str(close)
        acc_short = math.nan
        if facts.num_classes and facts.history.get("val_acc"):
            acc = float(np.median([a for _, a in facts.history["val_acc"][-3:]]))
            acc_short = facts.ref_val_acc - acc
            why["val_acc_short_of_ref"] = round(acc_short, 3)
        far = ratio >= 2.0 and (not math.isfinite(acc_short) or acc_short >= 0.05)
        borderline = ratio >= 1.5 and (not math.isfinite(acc_short) or acc_short >= 0.03)
        wobbly = why.get("val_end_over_best", 1.0) > 1.1
        half = vv[len(vv) // 2:]
        declining = (len(half) >= 4 and bool(np.mean(np.diff(half) < 0) >= 0.8)
                     and (half[0] - half[-1]) >= 0.03 * abs(half[0]))
        if close and far and declining:
            truth.ambiguous.append("underfitting or keep_training: far from the task's "
                                   "reference but still declining")
        elif close and far and not wobbly:
            truth.labels.add("underfitting")
        elif close and ratio >= 2.0 and not wobbly and math.isfinite(acc_short):
            # the loss is far above the task's, the accuracy is not: both readings hold
            truth.alternatives.append({"underfitting"})
        elif close and far:
            truth.ambiguous.append("underfitting: far from the task's reference, but "
                                   "validation is not flat")
        elif close and borderline:
            truth.ambiguous.append(f"underfitting: val {ratio:.2f} x the task's reference")
    if why.get("keep_training_reading") == "either" and not truth.labels & {
            "overfitting", "lr_too_high"}:
        truth.alternatives.append(truth.labels | {"keep_training"})
    if pinned and not truth.labels:
        # pinned at chance, quietly, without learning first, and nothing else to say: a
        # dead network or weights held at zero by heavy weight decay; not a healthy run
        truth.labels.add("underfitting")
        truth.alternatives.append({"bad_init"})
    # a first point that is an epoch mean far above chance: the init was probably bad, but
    # the loss at initialisation is not on the curves; both readings hold
    if (not facts.init_logged and facts.num_classes and len(finite_t)
            and "bad_init" not in truth.labels and finite_t[0] >= 3 * chance):
        why["first_epoch_mean_over_chance"] = round(float(finite_t[0]) / chance, 2)
        truth.alternatives.append(truth.labels | {"bad_init"})
    # an LR left near zero (1/100 of its peak) from early on to the end: the curves show a
    # schedule that decayed too early, however little the loss had fallen before the cut
    if len(ls) >= 3 and "decayed_too_early" not in truth.labels and not nonfinite:
        alive = np.nonzero(lv > 0.01 * float(np.max(lv)) * (1 + 1e-6))[0]
        if len(alive) and alive[-1] + 1 < len(lv) and ls[alive[-1] + 1] <= 0.4 * run_len:
            why["lr_near_zero_at"] = round(float(ls[alive[-1] + 1]) / run_len, 3)
            truth.alternatives.extend([alt | {"decayed_too_early"} for alt in
                                       [truth.labels, *truth.alternatives]])
    return truth
