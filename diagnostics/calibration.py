"""Fit a rule's confidence to how often its findings are right.

A rule's raw confidence is a score; a calibrated confidence c means "findings at c
are right about c of the time". Given (raw confidence, was the finding right) pairs
from a labelled corpus, :func:`fit_isotonic` fits a non-decreasing map (pool-adjacent
violators, scipy's ``isotonic_regression``) and :func:`fit_platt` a logistic one;
:func:`fit_per_rule` fits one map per rule code where it has enough findings.
Pure functions, numpy / scipy only.

    cal = fit_isotonic(confidences, corrects)
    cal(0.8)            # the calibrated confidence of a raw 0.8
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """A non-decreasing piecewise-linear map from raw to calibrated confidence."""

    #: raw confidences (increasing) and the calibrated value at each
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    #: how many (confidence, correct) pairs it was fitted on
    n: int
    method: str = "isotonic"

    def __call__(self, confidence: float) -> float:
        if not self.xs:
            return float(confidence)
        return float(np.interp(confidence, self.xs, self.ys))


def _pairs(confidences: Iterable[float], corrects: Iterable[bool]
           ) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(list(confidences), dtype=float)
    y = np.asarray(list(corrects), dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"{len(x)} confidences but {len(y)} outcomes")
    keep = np.isfinite(x)
    return x[keep], y[keep]


def fit_isotonic(confidences: Iterable[float], corrects: Iterable[bool]) -> Calibration:
    """The non-decreasing map that fits the outcomes best in the least-squares sense."""
    from scipy.optimize import isotonic_regression

    x, y = _pairs(confidences, corrects)
    if not len(x):
        return Calibration((), (), 0)
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    # equal raw confidences form one block (their mean outcome) before the fit
    ux, first, counts = np.unique(x, return_index=True, return_counts=True)
    means = np.add.reduceat(y, first) / counts
    fitted = isotonic_regression(means, weights=counts.astype(float)).x
    return Calibration(tuple(float(v) for v in ux), tuple(float(v) for v in fitted), len(x))


def fit_platt(confidences: Iterable[float], corrects: Iterable[bool]) -> Calibration:
    """A logistic map ``1 / (1 + exp(-(a * c + b)))`` fitted by maximum likelihood,
    returned sampled on a grid so it is used like the isotonic one."""
    from scipy.optimize import minimize

    x, y = _pairs(confidences, corrects)
    if not len(x):
        return Calibration((), (), 0, "platt")

    def nll(ab: np.ndarray) -> float:
        z = ab[0] * x + ab[1]
        return float(np.sum(np.logaddexp(0, z) - y * z))

    a, b = minimize(nll, np.array([1.0, 0.0]), method="Nelder-Mead").x
    grid = np.linspace(0.0, 1.0, 21)
    ys = 1 / (1 + np.exp(-(a * grid + b)))
    return Calibration(tuple(float(v) for v in grid), tuple(float(v) for v in ys), len(x),
                       "platt")


def fit_binned(confidences: Iterable[float], corrects: Iterable[bool], *, bins: int = 4,
               prior: float = 2.0) -> Calibration:
    """A map fitted on a few equal-count bins of raw confidence, each bin's share right
    shrunk towards the overall share by ``prior`` pseudo-findings and, as the overall
    share itself, by one right and one wrong (Laplace: 41 of 41 right is ~98%, a bin of
    10 of 10 ~93%, never 100%), then made non-decreasing (isotonic) and interpolated
    between the bins' mean raw confidences. Robust on the tens of findings a rule has on
    a corpus."""
    from scipy.optimize import isotonic_regression

    x, y = _pairs(confidences, corrects)
    if not len(x):
        return Calibration((), (), 0, "binned")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    overall = float((y.sum() + 1) / (len(y) + 2))
    parts = [p for p in np.array_split(np.arange(len(x)), min(bins, len(x))) if len(p)]
    centres = np.array([x[p].mean() for p in parts])
    shares = np.array([(y[p].sum() + 1 + prior * overall) / (len(p) + 2 + prior)
                       for p in parts])
    weights = np.array([len(p) for p in parts], dtype=float)
    fitted = isotonic_regression(shares, weights=weights).x
    keep = np.concatenate([[True], np.diff(centres) > 1e-9])  # equal centres: one point
    return Calibration(tuple(float(v) for v in centres[keep]),
                       tuple(float(v) for v in fitted[keep]), len(x), "binned")


#: A rule needs this many findings for a map of its own (two in each of four bins).
MIN_FINDINGS = 8


def fit_per_rule(findings: Sequence[tuple[str, float, bool]], *,
                 min_findings: int = MIN_FINDINGS) -> dict[str, Calibration]:
    """One binned, isotonic map per rule code (:func:`fit_binned`), from (code, raw
    confidence, right) triples; a rule with fewer than ``min_findings`` findings gets none
    (too few to say)."""
    by_code: dict[str, tuple[list[float], list[bool]]] = {}
    for code, confidence, right in findings:
        xs, ys = by_code.setdefault(code, ([], []))
        xs.append(confidence)
        ys.append(right)
    return {code: fit_binned(xs, ys) for code, (xs, ys) in sorted(by_code.items())
            if len(xs) >= min_findings}


def reliability(confidences: Iterable[float], corrects: Iterable[bool],
                edges: Sequence[float] = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
                ) -> list[tuple[float, float, int, float, float]]:
    """Per confidence bin: (low, high, findings, mean confidence, fraction right)."""
    x, y = _pairs(confidences, corrects)
    rows = []
    for lo, hi in pairwise(edges):
        inside = (x >= lo) & (x < hi)
        n = int(inside.sum())
        rows.append((lo, min(hi, 1.0), n, float(x[inside].mean()) if n else float("nan"),
                     float(y[inside].mean()) if n else float("nan")))
    return rows
