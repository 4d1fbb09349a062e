"""TensorBoard's debiased exponential moving average, computed on the full series.

TensorBoard smooths a scalar curve with an EMA whose start is debiased
(divided by ``1 - w**k`` after ``k`` finite points), so the smoothed curve
starts at the first value instead of at zero. Non-finite points (NaN, inf)
are passed through unchanged and do not enter the average, as in TensorBoard.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter


def debiased_ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Smooth ``values`` with TensorBoard's debiased EMA of smoothing ``weight`` in [0, 1).

    Returns a float64 array of the same length; non-finite inputs stay as they were.
    A weight of 0 (or an empty series) returns a copy of the input.
    """
    y = np.asarray(values, dtype=np.float64)
    out = y.copy()
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    if weight == 0.0 or y.size == 0:
        return out
    finite = np.isfinite(y)
    all_finite = bool(finite.all())
    x = y if all_finite else y[finite]
    if x.size == 0:
        return out
    ema = lfilter([1.0 - weight], [1.0, -weight], x)
    # Debias by 1 - w**k; past the point where w**k underflows the factor is exactly 1.
    n_debias = min(x.size, int(np.ceil(-745.0 / np.log(weight))) + 1 if weight > 0 else 1)
    k = np.arange(1, n_debias + 1, dtype=np.float64)
    ema[:n_debias] /= -np.expm1(k * np.log(weight))
    # an average never leaves the range of what it averages: rounding would (a constant 1.0
    # smoothed to 0.99999999999999989, which the chart's axis then shows as its tick)
    np.clip(ema, x.min(), x.max(), out=ema)
    if all_finite:
        return ema
    out[finite] = ema
    return out
