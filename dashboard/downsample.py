"""Downsample long curves for drawing, keeping minima, maxima and NaN/inf markers.

A browser draws a few thousand points per trace quickly; a curve of 100k points
is cut to ``n_out`` points with tsdownsample's MinMax-LTTB (which keeps the
visual shape, spikes included). Points whose value is NaN or +/-inf are always
kept, because they are evidence (a divergence) that must stay visible.
"""

from __future__ import annotations

import numpy as np
from tsdownsample import MinMaxLTTBDownsampler

#: Points per trace the dashboard draws at most (plus non-finite markers).
DEFAULT_POINTS = 2000

_DOWNSAMPLER = MinMaxLTTBDownsampler()


def downsample_indices(x: np.ndarray, y: np.ndarray, n_out: int = DEFAULT_POINTS) -> np.ndarray:
    """Sorted indices into ``x``/``y`` to draw: at most ``n_out`` finite points + every NaN/inf.

    ``x`` must be sorted ascending (steps or times). Short series come back whole.
    """
    x = np.asarray(x)
    y = np.asarray(y, dtype=np.float64)
    n = y.size
    if n <= n_out:
        return np.arange(n, dtype=np.int64)
    finite = np.isfinite(y)
    if finite.all():  # the common case: no index mapping needed
        return _DOWNSAMPLER.downsample(x, y, n_out=max(n_out, 4)).astype(np.int64)
    keep_bad = np.flatnonzero(~finite)
    good = np.flatnonzero(finite)
    if good.size <= n_out:
        return np.arange(n, dtype=np.int64)
    xs = np.ascontiguousarray(x[good])
    ys = np.ascontiguousarray(y[good])
    picked = good[_DOWNSAMPLER.downsample(xs, ys, n_out=max(n_out, 4)).astype(np.int64)]
    return np.union1d(picked, keep_bad)


def downsample(
    x: np.ndarray, y: np.ndarray, n_out: int = DEFAULT_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """The downsampled ``(x, y)`` pair (see :func:`downsample_indices`)."""
    idx = downsample_indices(x, y, n_out)
    return np.asarray(x)[idx], np.asarray(y)[idx]
