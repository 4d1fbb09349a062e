"""Robust statistics the rules share: binning, non-lagging smoothing, noise, trends.

Everything here is a pure function of numpy arrays. Long curves are reduced to at
most ``MAX_POINTS`` bin medians first, so a 100k-point run costs what a 1k-point
run costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# scipy's modules are imported where used: `curvedoc check` on an unchanged root diagnoses
# nothing, and scipy.signal alone costs about a second to import.

#: Curves longer than this are reduced to bin medians before smoothing and trend tests.
MAX_POINTS = 400


def bin_median(steps: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS):
    """Reduce a long curve to at most ``max_points`` (median step, median value) bins.

    Bins hold ``size`` consecutive points; the remainder forms one last, smaller bin.
    """
    n = len(values)
    if n <= max_points:
        return steps.astype(np.float64), values.astype(np.float64)
    size = int(np.ceil(n / max_points))
    full = n // size
    cut = full * size
    s = np.median(steps[:cut].astype(np.float64).reshape(full, size), axis=1)
    v = np.median(values[:cut].astype(np.float64).reshape(full, size), axis=1)
    if cut < n:
        s = np.append(s, np.median(steps[cut:]))
        v = np.append(v, np.median(values[cut:]))
    return s, v


def smooth(values: np.ndarray) -> np.ndarray:
    """A smoothing that does not lag: Savitzky-Golay over ~1/8 of the curve.

    A centred 5-point median first removes spikes that would pull the
    polynomial fit. At the ends the polynomial fitted to the first/last window
    is evaluated (scipy's ``mode="interp"``), so the smooth follows the curve to
    its last point instead of flattening it. Short curves (< 7 points) are
    returned as they are: there is nothing to average without hiding the shape.
    """
    n = len(values)
    if n < 7:
        return values.astype(np.float64)
    window = max(5, (n // 8) | 1)
    window = min(window, n if n % 2 else n - 1)
    med = rolling_median(values, min(5, window))
    coeffs, edge = _savgol_kernels(window)
    half = window // 2
    out = np.empty(n)
    out[half: n - half] = np.convolve(med, coeffs, mode="valid")
    out[:half] = edge[:half] @ med[:window]
    out[n - half:] = edge[half + 1:] @ med[n - window:]
    return out


def rolling_median(values: np.ndarray, size: int = 5) -> np.ndarray:
    """A centred rolling median, the window mirrored at the edges (no zero padding, and a
    spike at the last point is not repeated into its own window)."""
    from scipy import ndimage

    return ndimage.median_filter(np.asarray(values, np.float64), size=size, mode="mirror")


def last_tenth(values: np.ndarray) -> float:
    """Where a curve ends: the median of its last tenth (its last point when shorter)."""
    values = np.asarray(values, np.float64)
    return float(np.median(values[-max(1, len(values) // 10):]))


def lowest(smoothed: np.ndarray, raw: np.ndarray) -> int:
    """Where a smoothed curve is lowest, a tie (a rolling median flat over its minimum)
    settled by the raw values: the best point, not the first of the flat stretch."""
    smoothed = np.asarray(smoothed, np.float64)
    tied = np.flatnonzero(smoothed == smoothed.min())
    return int(tied[np.argmin(np.asarray(raw, np.float64)[tied])])


@lru_cache(maxsize=64)
def _savgol_kernels(window: int, polyorder: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """The Savitzky-Golay kernel (scipy) and the edge-fit matrix for one window length."""
    from scipy import signal

    coeffs = signal.savgol_coeffs(window, polyorder, use="conv")
    t = np.arange(window, dtype=np.float64)
    vander = np.vander(t, polyorder + 1)
    edge = vander @ np.linalg.pinv(vander)  # fit a polynomial to the window, evaluate it
    return coeffs, edge


def robust_sigma(x: np.ndarray) -> float:
    """Noise level as 1.4826 x the median absolute deviation (0 for < 3 points)."""
    if len(x) < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


@dataclass(frozen=True)
class Trend:
    """A Mann-Kendall test (Kendall's tau against step) with a Theil-Sen slope."""

    slope: float  # per step
    p_value: float
    tau: float
    n: int


#: Pairwise tests above this many points run on an evenly thinned subset.
PAIRWISE_MAX = 120


def trend(steps: np.ndarray, values: np.ndarray) -> Trend:
    """Mann-Kendall trend test with the Theil-Sen slope (the median pairwise slope).

    Steps must be increasing. Both come from one pairwise-difference matrix;
    the p-value uses the normal approximation with continuity correction
    (scipy.special.ndtr), which is what scipy's kendalltau does for n > 50.
    For n < 3 the p-value is 1: nothing can be shown.
    """
    x = np.asarray(steps, np.float64)
    y = np.asarray(values, np.float64)
    n = len(y)
    if n < 3 or x[-1] == x[0]:
        return Trend(0.0, 1.0, 0.0, n)
    if n > PAIRWISE_MAX:
        idx = np.linspace(0, n - 1, PAIRWISE_MAX).round().astype(int)
        x, y = x[idx], y[idx]
    m = len(y)
    iu = np.triu_indices(m, 1)
    dx = (x[None, :] - x[:, None])[iu]
    dy = (y[None, :] - y[:, None])[iu]
    S = float(np.sign(dy).sum())
    pairs = m * (m - 1) / 2
    var = m * (m - 1) * (2 * m + 5) / 18.0
    z = (S - np.sign(S)) / np.sqrt(var)
    from scipy import special

    p = float(2 * special.ndtr(-abs(z)))
    ok = dx > 0
    slope = float(np.median(dy[ok] / dx[ok])) if ok.any() else 0.0
    return Trend(slope, min(p, 1.0), S / pairs, n)


def strong_trend(steps: np.ndarray, values: np.ndarray) -> Trend:
    """Like ``trend`` but with the smaller p of Mann-Kendall and a least-squares slope
    t-test: Kendall is robust to outliers, the t-test has more power on few points
    with Gaussian noise (a handful of validation epochs)."""
    tr = trend(steps, values)
    n = tr.n
    if n < 4:
        return tr
    x = np.asarray(steps, np.float64)
    y = np.asarray(values, np.float64)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if sxx == 0:
        return tr
    b = float(xc @ (y - y.mean())) / sxx
    resid = y - y.mean() - b * xc
    se = np.sqrt(float(resid @ resid) / (n - 2) / sxx)
    if se == 0:
        return Trend(tr.slope, 0.0 if b != 0 else 1.0, tr.tau, n)
    from scipy import special

    p_ols = float(2 * special.stdtr(n - 2, -abs(b / se)))
    return Trend(tr.slope, min(tr.p_value, p_ols), tr.tau, n)

def scale_of(values: np.ndarray) -> float:
    """The size a relative threshold is measured against.

    The absolute level for a positive curve (so 0.01 and 1,000 are judged alike);
    the curve's range when it crosses zero (e.g. a negative log likelihood).
    """
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return 1.0
    if finite.min() > 0:
        return float(np.median(np.abs(finite[-max(1, len(finite) // 5):])))
    return float(max(np.ptp(finite), 1e-12))


def max_setback(y: np.ndarray) -> float:
    """The largest rise of a lower-is-better curve above its best so far, as a fraction
    of that best or of all the curve learned (first value - lowest), whichever is
    larger: a spike on a floor near zero after a long descent is no setback. 0 for a
    curve that never rises."""
    if len(y) < 2:
        return 0.0
    best = np.minimum.accumulate(y)[:-1]
    scale = np.maximum(best, float(y[0] - np.min(y)))
    ok = scale > 0
    return float(np.max((y[1:][ok] - best[ok]) / scale[ok], initial=0.0))
