"""The loss became NaN/inf or exploded.

What it detects
    A loss (or the gradient norm; or any other training loss the run logged beside the
    one judged, such as a per-iteration loss beside an estimate made at each
    evaluation) logged as NaN or infinity and still so at the end
    (non-finite values the run went on from are batches that overflowed), a
    training loss that climbs back far above its lowest level (by much more than its
    own noise, and by a real part of where it began: spikes on a floor near zero, reached
    within the first few points, are no divergence; or four decades above the median
    of its run, wherever it began; or a run that ended climbing, each of its last five
    points above the one before, to three times its lowest), or one that spikes to ten
    times its starting level: the optimiser diverged or overshot. Beside a per-epoch series, a
    climb or a spike seen in the per-step losses must lift the epoch means too (a burst
    of noisy minibatches is not divergence).

Why it matters
    Divergence is the plainest sign that the step size is too large for the
    curvature of the loss: each update overshoots more than the last. Every
    step after it is wasted compute.

Evidence
    The first non-finite step, or the lowest level and how far the loss rose
    from it.

Advice
    Lower the learning rate 3-10x; add a warm-up; clip the gradient norm; check
    the loss for log(0) or division by zero; Adam at 3e-4 is a forgiving start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curvedoc.ingest.model import tag_rows
from curvedoc.ingest.roles import meaning

from ..curves import Curve, Curves
from ..evidence import Skip, confidence, finding, num, step, what
from ..stats import rolling_median

LABEL = "lr_too_high"
NAME = "divergence"
SUMMARY = "a loss became NaN/inf or exploded"

ADVICE = [
    "lower the learning rate 3-10x",
    "add a learning-rate warm-up and clip the gradient norm (e.g. 1.0)",
    "check the loss for log(0) or a division by zero",
    "Adam at 3e-4 is a forgiving starting point",
]


@dataclass(frozen=True)
class Thresholds:
    #: Exploded: the smoothed training loss rose to this multiple of its lowest level...
    explode_ratio: float = 3.0
    #: ...and by at least this fraction of its starting level (its first points' median:
    #: so a tiny loss wobbling from 0.001 to 0.003 is not an explosion)...
    min_rise_of_start: float = 0.5
    #: ...and of this fraction of where it began (``Curve.start``: its first point, where
    #: the curve fell fast from it; the first epoch's mean beside an epoch series): a burst
    #: of spikes on a floor reached within three points, far below where the run began,
    #: is no climb back.
    min_rise_of_first: float = 0.3
    #: ...and by this many times the curve's noise: a rolling median of heavy-tailed
    #: minibatch losses dips and climbs by a few sigmas on its own.
    min_rise_sigmas: float = 5.0
    #: A climb to this multiple (four decades) of where the loss spent its run (its
    #: median) is an explosion whatever the start: a loss that began absurdly high (a
    #: regression on raw targets, 1e8 falling to 5 in five steps) and went back to 1e6
    #: diverged, though 1e6 is a hundredth of where it began; a loss memorising its way
    #: to 1e-9, or a burst on a floor near zero, stays within three decades of its median.
    explode_decades_ratio: float = 1e4
    #: A single logged loss this many times the starting level is an overshoot too (a
    #: rolling median would hide it; a sound run never comes near it).
    spike_ratio: float = 10.0
    #: A run that ended climbing, its last this many logged points each above the one
    #: before, to ``explode_ratio`` times its lowest, diverged however low it stayed next to
    #: its start (a regression's loss climbing 0.06 -> 0.55 over its last seven epochs):
    #: noise on a floor does not rise that many times running to the end.
    climb_points: int = 5
    #: ...back up to this share of where it began at least (a loss memorising its way to
    #: 1e-9 and drifting back to 1e-4 is a numerical floor, not a divergence).
    climb_of_start: float = 0.05
    #: Beside a per-epoch series, an explosion seen in the per-step losses must lift the
    #: epoch means too, to this multiple of their lowest level so far: a burst of noisy
    #: minibatches that leaves the epoch means flat is noise, not divergence.
    confirm_ratio: float = 1.5


def check(c: Curves, th: Thresholds):
    roles = [r for r in ("train_loss", "val_loss", "grad_norm") if r in c.curves]
    if not roles:
        raise Skip("no loss logged")
    for role, cur in [(r, c.curves[r].finest) for r in roles] + _other_training_losses(c):
        # (the per-step series of each: a NaN shows there first)
        if role != "train_loss" and not cur.finite.any():
            continue  # never once a number: not computed (old YOLO-cls logs NaN), not diverged
        bad = cur.first_bad_step
        if bad is not None and not _went_on(cur):
            n_bad = int((~cur.finite).sum())
            return [finding(
                "error", 0.97,
                f"{_name(role, cur)} became "
                f"{_kind(cur.raw)} at step {step(bad)} ({n_bad:,} non-finite of "
                f"{len(cur.raw):,} points)",
                ADVICE,
                {"tags": [cur.tag], "start_step": bad, "end_step": int(cur.steps[-1]),
                 "first_nonfinite_step": bad, "nonfinite_points": n_bad},
            )]
    coarse = c.get("train_loss")
    if coarse is None or len(coarse.y) < 5:
        return []
    t = coarse.finest
    raw = t.y_all
    # a spike is measured against where the judged curve began: its first minibatches'
    # median, or its start when that is higher (the first epoch's mean beside an epoch
    # series; a first point the loss fell fast from)
    start = max(float(np.median(raw[:3])), coarse.start)
    k = int(np.argmax(raw))
    if start > 0 and raw[k] >= th.spike_ratio * start and k >= 1:
        ratio = float(raw[k] / start)
        return [finding(
            "error", confidence((ratio - th.spike_ratio) / th.spike_ratio, 0.7),
            f"training loss spiked to {num(raw[k])} at step {step(t.x_all[k])}, {ratio:.0f}x "
            f"its starting level {num(start)}: a step that overshot badly",
            ADVICE,
            {"tags": [t.tag], "start_step": int(t.x_all[k]), "end_step": int(t.x_all[-1]),
             "peak": float(raw[k]), "start_level": start, "ratio": ratio},
        )]
    ys = rolling_median(t.y, 5)  # robust to spikes, and no polynomial overshoot at the ends
    running_min = np.minimum.accumulate(ys)
    start = float(np.median(t.y[:3]))
    rise = ys - running_min
    i = int(np.argmax(rise))
    lo = float(running_min[i])
    began = max(abs(t.start), abs(coarse.start))
    far = (rise[i] >= max(th.min_rise_of_start * abs(start), th.min_rise_sigmas * t.noise,
                          th.min_rise_of_first * began)
           or _climbed(t.y, began, th))
    if not (lo > 0 and ys[i] >= th.explode_ratio * lo
            and (far or ys[i] >= th.explode_decades_ratio * max(lo, float(np.median(t.y))))):
        return []
    if not _epoch_means_rose(coarse, t, th):
        return []  # the epoch means never rose: minibatch noise
    i_min = int(np.argmax(ys[: i + 1] <= lo))
    ratio = float(ys[i] / lo)
    return [finding(
        "error", confidence((ratio - th.explode_ratio) / th.explode_ratio, 0.7),
        f"training loss exploded from {num(lo)} at step {step(t.x[i_min])} to {num(ys[i])} "
        f"at step {step(t.x[i])} ({ratio:.1f}x)",
        ADVICE,
        {"tags": [t.tag], "start_step": int(t.x[i_min]), "end_step": int(t.x[i]),
         "lowest": lo, "peak": float(ys[i]), "ratio": ratio},
    )]


def _climbed(y: np.ndarray, start: float, th: Thresholds) -> bool:
    """Whether the run ended climbing: its last ``climb_points`` points each above the one
    before, the last at ``explode_ratio`` times the lowest the loss ever reached and at
    ``climb_of_start`` of ``start``."""
    k = th.climb_points
    tail = y[-k - 1:]
    return (len(y) > k and bool(np.all(np.diff(tail) > 0)) and float(np.min(y)) > 0
            and float(y[-1]) >= max(th.explode_ratio * float(np.min(y)),
                                    th.climb_of_start * start))


def _epoch_means_rose(coarse: Curve, fine: Curve, th: Thresholds) -> bool:
    """Whether, beside a per-epoch series (``coarse``, its steps ``fine``), the epoch means
    rose to ``confirm_ratio`` of their lowest so far somewhere: what a burst of noisy
    minibatches does not do (True where there is no epoch series to ask)."""
    if coarse is fine or len(coarse.y) < 3:
        return True
    lows = np.minimum.accumulate(coarse.y)
    return bool(np.any((lows > 0) & (coarse.y >= th.confirm_ratio * lows)))


def _other_training_losses(c: Curves) -> list[tuple[str, Curve]]:
    """The run's other training losses that logged a non-finite value, beside the one its
    train_loss role judges (nanoGPT prints a per-iteration ``loss`` beside the ``train
    loss`` it estimates at each evaluation; only the first shows the NaN the run ended
    on), each as ("other", its curve)."""
    frame = c.run.scalars
    finite = np.isfinite(frame["value"].to_numpy(dtype=np.float64))
    if finite.all():
        return []  # (the common case: one pass over the values, no curve prepared)
    taken = {cur.tag for cur in c.curves.values()}
    rows_of = tag_rows(frame["tag"])
    out = []
    for tag in (str(t) for t in frame["tag"].unique()):
        m = meaning(tag)
        if tag in taken or m.kind != "loss" or m.phase not in (None, "train"):
            continue
        if finite[rows_of(tag)].all():
            continue
        cur = c.for_roles({"train_loss": tag}).get("train_loss")
        if cur is not None:
            out.append(("other", cur.finest))
    return out


def _went_on(cur) -> bool:
    """Non-finite values the run went on from, its last two values finite: batches that
    overflowed (mixed precision skips such steps; its loss scale starts too high, so the
    first evaluations overflow most), not weights gone bad, which leave every later value
    NaN."""
    return len(cur.raw) >= 3 and bool(cur.finite[-2:].all())


def _name(role: str, cur: Curve) -> str:
    if role == "grad_norm":
        return "gradient norm"
    return f"training loss '{cur.tag}'" if role == "other" else what(cur)


def _kind(values: np.ndarray) -> str:
    return "NaN" if np.isnan(values).any() else "infinite"
