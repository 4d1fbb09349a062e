"""Forecast a saturating learning curve with scipy's curve_fit.

Two models, each "a level it approaches plus a decaying excess":

* power law   y = c + a * (t / T) ** -b
* exponential y = c + a * exp(-b * t / T)

(T is the last step, so parameters are of order one.) The better one by AIC
is kept when it explains the curve (R^2 >= ``min_r2``); its parameter
covariance gives an interval by sampling.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

#: Fit on at most this many points (bin medians): enough for a 3-parameter curve.
FIT_POINTS = 40


# a and b are fitted as logs so the unbounded (fast) Levenberg-Marquardt keeps them > 0
def _power(t, c, la, lb):
    return c + np.exp(la) * np.power(t, -np.exp(lb))


def _expo(t, c, la, lb):
    return c + np.exp(la) * np.exp(-np.exp(lb) * t)


MODELS = {"power law": _power, "exponential": _expo}


@dataclass(frozen=True)
class Forecast:
    model: str
    r2: float
    steps: list[float]
    mean: list[float]
    low: list[float]
    high: list[float]

    @property
    def at_end(self) -> tuple[float, float, float]:
        return self.mean[-1], self.low[-1], self.high[-1]


def fit(x: np.ndarray, y: np.ndarray, horizon: float = 2.0, min_r2: float = 0.9,
        points: int = 12, seed: int = 0) -> Forecast | None:
    """Fit the curve and forecast it to ``horizon`` x the last step (None if no good fit)."""
    from scipy.optimize import OptimizeWarning, curve_fit  # here: ~1 s to import

    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    keep = x > 0
    x, y = x[keep], y[keep]
    if len(x) < 5:
        return None
    if len(x) > FIT_POINTS:
        idx = np.linspace(0, len(x) - 1, FIT_POINTS).round().astype(int)
        x, y = x[idx], y[idx]
    T = x[-1]
    t = x / T
    yscale = max(float(np.ptp(y)), 1e-12)
    yn = (y - y[-1]) / yscale
    best = None
    for name, f in MODELS.items():
        p0 = (-0.2, np.log(0.3), 0.0) if name == "power law" else (-0.2, np.log(2.0), 0.7)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", OptimizeWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                p, cov = curve_fit(f, t, yn, p0=p0, method="lm", maxfev=300)
        except (RuntimeError, ValueError, FloatingPointError):
            continue
        if not np.all(np.isfinite(p)) or abs(p[1]) > 30 or abs(p[2]) > 5:
            continue
        resid = yn - f(t, *p)
        ss_res = float(resid @ resid)
        ss_tot = float(((yn - yn.mean()) ** 2).sum()) or 1e-12
        r2 = 1 - ss_res / ss_tot
        aic = len(t) * np.log(max(ss_res / len(t), 1e-300)) + 6
        if best is None or aic < best[0]:
            best = (aic, name, f, p, cov, r2, resid)
    if best is None or best[5] < min_r2:
        return None
    _, name, f, p, cov, r2, resid = best
    grid = np.linspace(1.0, horizon, points)
    mean = f(grid, *p)
    rng = np.random.default_rng(seed)
    if np.all(np.isfinite(cov)):
        draws = rng.multivariate_normal(p, cov, size=200, check_valid="ignore")
        with np.errstate(all="ignore"):
            sims = np.array([f(grid, *d) for d in draws])
        low, high = np.nanpercentile(sims, [2.5, 97.5], axis=0)
    else:
        low = high = mean
    noise = float(np.std(resid))
    low, high = np.minimum(low, mean) - 2 * noise, np.maximum(high, mean) + 2 * noise
    back = lambda v: (v * yscale + y[-1]).tolist()  # noqa: E731
    return Forecast(name, float(r2), (grid * T).tolist(), back(mean), back(low), back(high))
