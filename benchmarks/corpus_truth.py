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


@dataclass
class Truth:
    labels: set[str] = field(default_factory=set)
    ambiguous: list[str] = field(default_factory=list)
    #: the measured numbers each decision used, for the plot sheets and the audit
    why: dict[str, float | str] = field(default_factory=dict)


# -- series helpers ------------------------------------------------------------------------


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
        # around a floor near zero)
        prev_min = np.minimum.accumulate(finite_t)[:-1]
        rises = finite_t[1:] - prev_min
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
    stuck = False
    if facts.num_classes and len(finite_t) >= 3:
        late = finite_t[len(finite_t) // 2:]
        fall = float(late[0] - late[-1]) / chance
        stuck = bool(np.min(late) > 0.85 * chance and fall < 0.03)
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
        near = np.abs(finite_t / chance - 1) < 0.06
        flat_epochs = int(np.argmin(near)) if not near.all() else len(near)
        frac = flat_epochs / len(finite_t)
        why["flat_at_chance_frac"] = round(frac, 3)
        quiet = why.get("stuck_at_chance") == "quiet"
        if (frac >= 0.15 and np.min(finite_t) < 0.7 * chance) or (quiet and frac >= 0.9):
            truth.labels.add("bad_init")
        elif frac >= 0.08 and np.min(finite_t) < 0.7 * chance:
            truth.ambiguous.append(f"bad_init: flat at chance for {frac:.0%} of the epochs")

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
                before = _at(ts, tv, cut - 0.15 * run_len)
                at_cut = _at(ts, tv, cut)
                falling = (before - at_cut) / max(abs(before), 1e-12)
                after = (at_cut - float(tv[-1])) / max(abs(at_cut), 1e-12)
                why["fall_before_cut"] = round(falling, 3)
                why["fall_after_cut"] = round(after, 3)
                # still learning when cut; the rest of the run gains less than that window
                if falling > 0.05 and after < max(falling, 0.1):
                    truth.labels.add("decayed_too_early")
                elif falling > 0.02:
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
        # decline, ~0 on a converged curve
        total = float(np.max(vsm) - vsm[-1])
        share = (v80 - vsm[-1]) / total if total > 0 else 0.0
        why["val_share_last20"] = round(share, 4)
        significant = gain > 2 * noise
        score = max(gain / 0.05, share / 0.12) if significant else 0.0
        verdict = _band(score, 0.6, 1.0)
        keep = verdict == "yes" and best_frac >= 0.85
        if keep:
            truth.labels.add("keep_training")
        elif verdict == "ambiguous" and best_frac >= 0.85:
            truth.ambiguous.append(f"keep_training: val gained {gain:.1%} over the last 20% "
                                   f"({share:.0%} of the run's progress)")
        if not keep:
            # (a) validation rises from a minimum reached before 70% of the run
            if best_frac <= 0.7:
                verdict = _band(rise, 1.06, 1.12 + 2 * noise)
                if verdict == "yes":
                    truth.labels.add("overfitting")
                    why["overfitting_form"] = "val rises"
                elif verdict == "ambiguous":
                    truth.ambiguous.append(f"overfitting: val ended {rise:.2f} x its best")
            # (b) the gap: training keeps falling far below a validation that has stalled
            if "overfitting" not in truth.labels and len(finite_t) >= 4:
                t_end = float(finite_t[-1])
                t70 = _at(ts, tv, ts[-1] - 0.3 * (ts[-1] - ts[0]))
                t_fall = (t70 - t_end) / max(abs(t70), 1e-12)
                gap_end = float(vsm[-1]) - t_end
                gap_best = float(vsm[best_i]) - _at(ts, tv, vs[best_i])
                why["train_fall_last30"] = round(t_fall, 3)
                why["gap_end_over_val"] = round(gap_end / max(vsm[-1], 1e-12), 3)
                if (gain < 0.02 and t_fall > 0.3 and gap_end > 0.5 * vsm[-1]
                        and gap_end > 1.5 * max(gap_best, 0)):
                    truth.labels.add("overfitting")
                    why["overfitting_form"] = "gap widens, val flat"

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
        if close and far and not wobbly:
            truth.labels.add("underfitting")
        elif close and far:
            truth.ambiguous.append("underfitting: far from the task's reference, but "
                                   "validation is not flat")
        elif close and borderline:
            truth.ambiguous.append(f"underfitting: val {ratio:.2f} x the task's reference")
    return truth
