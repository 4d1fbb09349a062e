"""stats.max_setback: how far a curve climbed back above its best so far, the measure CD204
and CD501 use to tell an unstable rate from a noisy validation set."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from curvedoc.diagnostics.stats import max_setback

curves = arrays(np.float64, st.integers(2, 60),
                elements=st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False))


@given(curves)
def test_a_curve_that_never_rises_has_no_setback(y):
    assert max_setback(np.sort(y)[::-1]) == 0.0


@given(curves)
def test_a_setback_is_never_negative(y):
    assert max_setback(y) >= 0.0


def test_a_climb_back_is_measured_against_the_best_so_far():
    # 2.0 down to 1.0, then back up to 1.5: half the best
    assert max_setback(np.array([2.0, 1.5, 1.0, 1.5, 1.2])) == 0.5


def test_a_spike_on_a_floor_near_zero_counts_against_all_that_was_learned():
    # from 1.7 to 0.01, then a spike to 0.1: 900% of the floor, 5% of what it learned
    y = np.array([1.7, 0.5, 0.1, 0.01, 0.1, 0.01])
    assert abs(max_setback(y) - 0.09 / 1.69) < 1e-12
