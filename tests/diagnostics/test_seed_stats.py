"""The statistics of a few seeds, checked against scipy and against a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from curvedoc.diagnostics import seed_stats

BASE = np.array([0.2058, 0.1996, 0.2228])
BETTER = np.array([0.1184, 0.1109, 0.1303])


def test_mean_interval_by_hand():
    # mean 0.20940, sd 0.012015; t(0.975, 2) = 4.302653; half = 4.302653 * sd / sqrt(3)
    s = seed_stats.spread(BASE)
    assert s.n == 3
    assert s.mean == pytest.approx(0.2094, abs=1e-12)
    sd = math.sqrt(((BASE - 0.2094) ** 2).sum() / 2)
    assert s.sd == pytest.approx(sd)
    half = 4.302652729911275 * sd / math.sqrt(3)
    assert (s.low, s.high) == pytest.approx((0.2094 - half, 0.2094 + half))
    assert (s.min, s.max) == (0.1996, 0.2228)


def test_mean_interval_matches_scipy():
    s = seed_stats.spread(BASE)
    low, high = stats.t.interval(0.95, len(BASE) - 1, loc=BASE.mean(), scale=stats.sem(BASE))
    assert (s.low, s.high) == pytest.approx((low, high))


def test_one_value_has_no_spread_and_none_has_no_mean():
    one = seed_stats.spread(np.array([0.3]))
    assert (one.n, one.mean, one.sd, one.low, one.high) == (1, 0.3, None, None, None)
    assert seed_stats.spread(np.array([])).mean is None


def test_welch_and_mann_whitney_match_scipy():
    t = seed_stats.compare(BASE, BETTER)
    ref = stats.ttest_ind(BETTER, BASE, equal_var=False)
    assert t.diff == pytest.approx(BETTER.mean() - BASE.mean())
    assert t.welch_t == pytest.approx(ref.statistic)
    assert t.welch_p == pytest.approx(ref.pvalue)
    assert t.welch_df == pytest.approx(ref.df)
    mw = stats.mannwhitneyu(BETTER, BASE, alternative="two-sided")
    assert (t.mw_u, t.mw_p) == pytest.approx((mw.statistic, mw.pvalue))
    assert t.mw_p == pytest.approx(0.1)  # 3 vs 3, every value apart: the smallest exact p


def test_difference_interval_by_hand():
    # Welch: se = sqrt(s1²/n1 + s2²/n2), Welch–Satterthwaite df, diff ± t(0.975, df)·se
    t = seed_stats.compare(BASE, BETTER)
    v1, v2 = BASE.var(ddof=1) / 3, BETTER.var(ddof=1) / 3
    df = (v1 + v2) ** 2 / (v1 ** 2 / 2 + v2 ** 2 / 2)
    half = stats.t.ppf(0.975, df) * math.sqrt(v1 + v2)
    diff = BETTER.mean() - BASE.mean()
    assert (t.low, t.high) == pytest.approx((diff - half, diff + half))
    assert t.welch_df == pytest.approx(df)


def test_cohens_d_uses_the_pooled_sd():
    t = seed_stats.compare(BASE, BETTER)
    pooled = math.sqrt((2 * BASE.var(ddof=1) + 2 * BETTER.var(ddof=1)) / 4)
    assert t.cohens_d == pytest.approx((BETTER.mean() - BASE.mean()) / pooled)
    assert seed_stats.pooled_sd(BASE, BETTER) == pytest.approx(pooled)


def test_no_test_below_two_values_a_group():
    t = seed_stats.compare(BASE, np.array([0.15]))
    assert t.diff == pytest.approx(0.15 - BASE.mean())
    assert t.welch_p is None and t.low is None and t.cohens_d is None


def test_groups_without_any_spread_give_an_exact_difference():
    t = seed_stats.compare(np.array([1.0, 1.0]), np.array([2.0, 2.0]))
    assert (t.diff, t.low, t.high, t.welch_p) == (1.0, 1.0, 1.0, 0.0)
    same = seed_stats.compare(np.array([1.0, 1.0]), np.array([1.0, 1.0]))
    assert same.welch_p == 1.0


@pytest.mark.parametrize(("effect", "n"), [(0.5, 64), (0.8, 26), (1.0, 17), (0.2, 394)])
def test_seeds_needed_matches_cohens_power_tables(effect, n):
    # Cohen (1988), table 2.4.1: two-sided alpha 0.05, power 0.80
    assert seed_stats.seeds_needed(1.0, effect) == n


def test_seeds_needed_is_the_smallest_n_with_enough_power():
    n = seed_stats.seeds_needed(0.012, 0.009)
    assert seed_stats.power(n, 0.009 / 0.012) >= 0.8 > seed_stats.power(n - 1, 0.009 / 0.012)


def test_seeds_needed_edge_cases():
    assert seed_stats.seeds_needed(0.01, 0.0) is None
    assert seed_stats.seeds_needed(1.0, 1e-4) == seed_stats.MAX_SEEDS + 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=8),
       st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=8))
def test_compare_agrees_with_scipy_on_any_groups(a, b):
    a, b = np.array(a), np.array(b)
    t = seed_stats.compare(a, b)
    assert t.diff == pytest.approx(b.mean() - a.mean(), abs=1e-9)
    if t.welch_t is not None:
        ref = stats.ttest_ind(b, a, equal_var=False)
        assert t.welch_p == pytest.approx(ref.pvalue, abs=1e-9)
        assert t.low <= t.diff <= t.high
    assert 0.0 <= t.mw_p <= 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=10))
def test_interval_holds_the_mean_and_matches_scipy(x):
    x = np.array(x)
    s = seed_stats.spread(x)
    assert s.low <= s.mean <= s.high
    if s.sd and s.sd > 1e-9:
        low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert (s.low, s.high) == pytest.approx((low, high), rel=1e-9, abs=1e-9)
