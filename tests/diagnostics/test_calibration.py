"""Confidence calibration: a rule's confidence mapped to how often its findings are right."""

from __future__ import annotations

import numpy as np
import pytest

from curvedoc.diagnostics.calibration import (
    fit_binned,
    fit_isotonic,
    fit_per_rule,
    fit_platt,
    reliability,
)


def _overconfident(n=400, seed=0):
    """Findings that claim 0.5-1.0 but are right only (confidence - 0.3) of the time."""
    rng = np.random.default_rng(seed)
    conf = rng.uniform(0.5, 1.0, n)
    right = rng.uniform(size=n) < conf - 0.3
    return conf, right


def test_isotonic_maps_an_overconfident_rule_down_to_its_hit_rate():
    conf, right = _overconfident()
    cal = fit_isotonic(conf, right)
    assert cal.n == 400
    assert cal(0.9) == pytest.approx(0.6, abs=0.12)
    assert cal(0.6) == pytest.approx(0.3, abs=0.12)
    grid = [cal(x) for x in np.linspace(0, 1, 50)]
    assert grid == sorted(grid)  # never lowers a higher raw confidence below a lower one


def test_platt_agrees_with_isotonic_on_a_smooth_relation():
    conf, right = _overconfident(seed=1)
    platt = fit_platt(conf, right)
    assert platt.method == "platt"
    assert platt(0.9) == pytest.approx(0.6, abs=0.1)


def test_per_rule_fits_only_rules_with_enough_findings():
    conf, right = _overconfident(n=40)
    triples = [("CD101", c, r) for c, r in zip(conf, right, strict=True)]
    triples += [("CD999", 0.9, True)] * 3
    fitted = fit_per_rule(triples, min_findings=10)
    assert set(fitted) == {"CD101"}


def test_a_rule_never_wrong_on_the_corpus_is_not_called_certain():
    # 41 of 41 findings right: the best estimate of its hit rate is high, never 100%
    cal = fit_binned(np.linspace(0.9, 0.97, 41), [True] * 41)
    assert 0.9 < cal(0.95) < 1.0
    small = fit_binned([0.8] * 5, [True] * 5)
    assert small(0.8) < 0.9  # 5 of 5 says less than 41 of 41


def test_reliability_bins_count_and_score_each_finding():
    rows = reliability([0.55, 0.58, 0.95, 0.97], [True, False, True, True])
    by_low = {round(lo, 1): (n, right) for lo, _, n, _, right in rows}
    assert by_low[0.5] == (2, 0.5) and by_low[0.9] == (2, 1.0) and by_low[0.7][0] == 0


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="2 confidences but 1 outcomes"):
        fit_isotonic([0.5, 0.6], [True])
