"""A small slice of the labelled evaluation: healthy stays healthy, faults are found.

The full evaluation (per-label precision/recall/F1, held-out seeds and shapes) is
benchmarks/bench_diagnostics.py; this guards against regressions in a few seconds.
"""

from __future__ import annotations

from curvedoc.diagnostics import LABELS, diagnose
from curvedoc.diagnostics.synthetic import KINDS, make_run, truth


def test_held_out_slice_scores_and_healthy_runs_stay_healthy():
    hits = {lab: [0, 0, 0] for lab in LABELS}  # tp, fp, fn
    alarms = 0
    for seed in range(2000, 2012):
        for kind in KINDS:
            run = make_run(kind, seed, "varied", n_points=400)
            true, pred = truth(run), set(diagnose(run).labels)
            alarms += not true and bool(pred)
            for lab in LABELS:
                hits[lab][0] += lab in true and lab in pred
                hits[lab][1] += lab not in true and lab in pred
                hits[lab][2] += lab in true and lab not in pred
    f1 = [2 * tp / max(2 * tp + fp + fn, 1) for tp, fp, fn in hits.values()]
    assert alarms <= 1, "healthy runs must stay healthy"
    assert sum(f1) / len(f1) >= 0.8, dict(zip(LABELS, f1, strict=True))
