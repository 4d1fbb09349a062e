"""Large oscillation around the trend, or repeated loss spikes.

What it detects
    The training loss does come down, but its trend swings up and down by a
    large part of what it has learned, or it spikes again and again far above
    the trend and stays up for more than one point (a lone high point is one hard
    minibatch, back on the trend at the next). The swing is measured on the epoch
    series when one is logged, else on bin medians of the per-step series (about
    40 bins): minibatch noise, which averages out within a bin, is no swing (the
    noisy-curve finding names it). A loss that never fell, beside an accuracy that
    learned (its error halved), measures no descent and is not judged.

Why it matters
    Oscillation of this size means the steps overshoot the valley floor: the
    optimiser cannot settle into a minimum, and the final loss is worse than a
    smaller step would reach. Repeated spikes are the same overshoot at
    sharp regions of the loss.

Evidence
    The swing (robust sigma of the coarse curve around its non-lagging smooth)
    relative to the level and to the total drop, the number of spikes.

Advice
    Lower the learning rate 3x; decay it over the run; clip the gradient norm;
    a larger batch averages the gradient noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import stats
from ..curves import Curves
from ..evidence import Skip, confidence, finding, num, pct, step, what

LABEL = "lr_too_high"
NAME = "oscillation"
SUMMARY = "the loss swings around its trend by much of what it learned, or spikes"


@dataclass(frozen=True)
class Thresholds:
    #: Oscillation (robust sigma in the second half) as a fraction of the end level...
    min_noise_of_level: float = 0.15
    #: ...and as a fraction of the total drop; a healthy minibatch loss wobbles by a
    #: few percent of what it learned, an overshooting one by a large part of it.
    min_noise_of_drop: float = 0.15
    #: A spike rises above the trend by this many sigmas and by this fraction of the drop,
    #: and lasts: a neighbour stands at least half as high (a lone point is one hard batch).
    spike_sigmas: float = 8.0
    spike_of_drop: float = 0.5
    #: This many spikes are a pattern, not an odd batch.
    min_spikes: int = 3
    #: Need this many points to separate oscillation from the trend.
    min_points: int = 10
    #: A loss that fell less than this fraction of its end level never fell: beside an
    #: accuracy that learned (``Curves.accuracy_learned``) it is no measure of the descent.
    min_fall: float = 0.05
    #: A per-step curve is cut into this many bins; their medians are the coarse curve
    #: whose swing counts (minibatch noise averages out within a bin).
    coarse_bins: int = 40


def swing(x: np.ndarray, y: np.ndarray, bins: int) -> float:
    """How far the trend swings: the robust sigma of a coarse curve (at most ``bins`` bin
    medians) around its non-lagging smooth, over the second half of the run."""
    _, cy = stats.bin_median(x, y, max(bins, 10))
    if len(cy) < 7:
        return 0.0
    resid = cy - stats.smooth(cy)
    return stats.robust_sigma(resid[len(resid) // 2:])


def _lasting_spikes(resid: np.ndarray, height: float) -> int:
    """How many points stand ``height`` above the trend beside a neighbour still half that
    high. An overshoot damages the weights and the loss stays up while they recover; one
    hard minibatch is a single point, back on the trend at the next (minibatch noise)."""
    up, high = resid > height, resid > height / 2
    beside = np.zeros_like(high)
    beside[1:] |= high[:-1]
    beside[:-1] |= high[1:]
    return int((up & beside).sum())


def check(c: Curves, th: Thresholds):
    t = c.train
    if t is None:
        raise Skip("no training curve logged")
    if t.n < th.min_points:
        raise Skip(f"only {t.n} points; oscillation needs {th.min_points}")
    end = stats.last_tenth(t.ys)
    drop = max(t.start - end, 1e-12)
    sigma = swing(t.x_all, t.y_all, th.coarse_bins)
    of_level = sigma / max(abs(end), 1e-12)
    of_drop = sigma / drop
    half = t.n // 2  # the second half: early on, a steep descent is no spike
    # the trend under spikes: a rolling median wide enough that a burst of spikes
    # (several in a row) cannot pull it up, as a 5-point median or a polynomial would
    if t.n <= 2000:
        wide = stats.rolling_median(t.y_all, max(9, (t.n // 5) | 1))
    else:  # on the bin medians, so a long curve costs what a short one does
        wide = np.interp(t.x_all, t.x, stats.rolling_median(t.y, max(9, (len(t.y) // 5) | 1)))
    spikes = _lasting_spikes(t.y_all[half:] - wide[half:],
                             max(th.spike_sigmas * max(t.noise, 1e-12), th.spike_of_drop * drop))
    oscillates = of_level >= th.min_noise_of_level and of_drop >= th.min_noise_of_drop
    if drop <= th.min_fall * abs(end) and c.accuracy_learned:
        return []  # a loss that never fell beside an accuracy that learned measures no descent
    if not oscillates and spikes < th.min_spikes:
        return []
    if oscillates:
        margin = min(of_level / th.min_noise_of_level, of_drop / th.min_noise_of_drop) - 1
        msg = (f"{what(t)} swings by {pct(of_level)} of its level ({num(sigma)} around "
               f"{num(t.value_of(end))}), "
               + (f"{pct(of_drop)} of the {num(drop)} it fell" if drop > 1e-9 * abs(end)
                  else "and it never fell"))
    else:
        margin = spikes / th.min_spikes - 1
        msg = (f"{what(t)} spiked {spikes} times far above its trend "
               f"(by more than {pct(th.spike_of_drop)} of the {num(drop)} it fell)")
    half = t.x_all[half]
    return [finding(
        "warning", confidence(margin),
        msg + f" from step {step(half)} on",
        [
            "lower the learning rate about 3x",
            "decay the learning rate over the run (cosine or step)",
            "clip the gradient norm; a larger batch averages out gradient noise",
        ],
        {"tags": [t.tag], "start_step": int(half), "end_step": int(t.x_all[-1]),
         "swing": sigma, "noise_of_level": of_level, "noise_of_drop": of_drop,
         "spikes": spikes},
    )]
