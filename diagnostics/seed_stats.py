"""Statistics of a few seeds: a group's mean with its 95% interval, a test between two
groups with its effect size, and how many seeds a difference calls for.

Pure functions of 1-D float arrays (the per-run scores of a group), built on scipy:

- the interval of a mean is Student's t: mean ± t(0.975, n−1)·s/√n (s with ddof=1);
- two groups are compared with Welch's t-test (``scipy.stats.ttest_ind(equal_var=False)``),
  whose confidence interval of the difference uses the Welch–Satterthwaite degrees of
  freedom, and with the Mann-Whitney U test (``scipy.stats.mannwhitneyu``, exact for small
  groups; with 3 vs 3 seeds its smallest two-sided p is 0.1, so it never decides alone);
- the effect size is Cohen's d with the pooled standard deviation;
- the seeds a difference calls for: the smallest n per group at which a two-sided
  two-sample t-test at α = 0.05 has 80% power against the observed difference δ given the
  seed spread σ, from the noncentral t distribution (started from the normal
  approximation n ≈ 2·(z₀.₉₇₅ + z₀.₈)²·σ²/δ²).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

#: The confidence level of every interval, and the test's significance level.
CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
#: The power a seed count is sized for.
POWER = 0.8
#: Seed counts beyond this are reported as "more than".
MAX_SEEDS = 10_000
#: Never fewer seeds per group than this (the course notes: several seeds per setting).
MIN_SEEDS = 3

SEEDS_FORMULA = ("smallest n per group (at least 3) at which a two-sided two-sample t-test "
                 "at alpha=0.05 has 80% power against the observed difference d given the "
                 "seed spread s: noncentral t, started from n = 2(z_0.975 + z_0.8)^2 s^2/d^2")


@dataclass(frozen=True)
class Spread:
    """A group's scores: how many, their mean and spread, and the 95% t-interval of the
    mean (``sd`` and the interval are None below two values)."""

    n: int
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None
    min: float | None
    max: float | None


@dataclass(frozen=True)
class TwoGroupTest:
    """``b`` against ``a``: the difference of means (b − a) with its Welch 95% interval,
    Welch's t and p, the Mann-Whitney U and p, and Cohen's d of b − a."""

    diff: float
    low: float | None
    high: float | None
    welch_t: float | None
    welch_df: float | None
    welch_p: float | None
    mw_u: float | None
    mw_p: float | None
    cohens_d: float | None


def spread(values: np.ndarray) -> Spread:
    """The mean, standard deviation (ddof=1) and 95% t-interval of the mean."""
    x = np.asarray(values, np.float64)
    n = int(x.size)
    if n == 0:
        return Spread(0, None, None, None, None, None, None)
    mean = float(x.mean())
    if n < 2:
        return Spread(1, mean, None, None, None, mean, mean)
    from scipy import stats

    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * sd / math.sqrt(n)
    return Spread(n, mean, sd, mean - half, mean + half, float(x.min()), float(x.max()))


def pooled_sd(*groups: np.ndarray) -> float | None:
    """The pooled standard deviation of the groups with two or more values."""
    num = den = 0.0
    for g in groups:
        g = np.asarray(g, np.float64)
        if g.size >= 2:
            num += float(((g - g.mean()) ** 2).sum())
            den += g.size - 1
    return math.sqrt(num / den) if den else None


def compare(a: np.ndarray, b: np.ndarray) -> TwoGroupTest:
    """Welch's t-test and Mann-Whitney U of ``b`` against ``a``, with the effect size.

    Below two values in a group nothing is tested (only ``diff`` is set). When neither
    group varies (beyond float rounding), the difference is exact: p is 0 for a
    difference, 1 for none.
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    diff = float(b.mean() - a.mean())
    if a.size < 2 or b.size < 2:
        return TwoGroupTest(diff, None, None, None, None, None, None, None, None)
    from scipy import stats

    mw = stats.mannwhitneyu(b, a, alternative="two-sided")
    sd = pooled_sd(a, b)
    scale = max(abs(float(a.mean())), abs(float(b.mean())), 1e-300)
    if not sd or sd <= 1e-12 * scale:  # no spread beyond float rounding: nothing to test
        p = 1.0 if diff == 0 else 0.0
        return TwoGroupTest(diff, diff, diff, None, None, p, float(mw.statistic),
                            float(mw.pvalue), None)
    with warnings.catch_warnings():  # a group of equal values is fine when the other varies
        warnings.simplefilter("ignore", RuntimeWarning)
        welch = stats.ttest_ind(b, a, equal_var=False)
        ci = welch.confidence_interval(CONFIDENCE)
    return TwoGroupTest(diff, float(ci.low), float(ci.high), float(welch.statistic),
                        float(welch.df), float(welch.pvalue), float(mw.statistic),
                        float(mw.pvalue), diff / sd)


def power(n: int, effect: float, alpha: float = ALPHA) -> float:
    """The power of a two-sided two-sample t-test with ``n`` per group against a
    standardised difference ``effect`` (δ/σ), from the noncentral t distribution."""
    from scipy import stats

    df = 2 * n - 2
    nc = abs(effect) * math.sqrt(n / 2)
    crit = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))


def seeds_needed(sd: float, delta: float, target: float = POWER,
                 alpha: float = ALPHA) -> int | None:
    """Seeds per group for an even two-group t-test to tell ``delta`` apart with power
    ``target`` given a seed spread ``sd`` (None when there is no difference to find;
    ``MAX_SEEDS + 1`` when more than ``MAX_SEEDS`` would be needed)."""
    if not sd or not math.isfinite(sd):
        return 2 if delta else None
    if not delta or not math.isfinite(delta):
        return None
    from scipy import stats

    effect = abs(delta) / sd
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(target)
    n = max(2, math.ceil(2 * (z / effect) ** 2))
    if n > MAX_SEEDS:
        return MAX_SEEDS + 1
    while n > 2 and power(n - 1, effect, alpha) >= target:
        n -= 1
    while power(n, effect, alpha) < target:
        n += 1
        if n > MAX_SEEDS:
            return MAX_SEEDS + 1
    return n
