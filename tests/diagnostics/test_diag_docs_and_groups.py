"""docs/rules.md is generated from the rule docstrings; group summaries count labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from curvedoc.diagnostics import diagnose, summarize_groups
from curvedoc.diagnostics.docs import render
from curvedoc.ingest.model import Run

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_docs_rules_md_is_fresh():
    assert DOCS.read_text() == render(), (
        "docs/rules.md is stale: run `python -m curvedoc.diagnostics.docs`")


def _diverged(run_id, at):
    s = np.arange(0, 2001, 10)
    loss = 0.1 + 2.2 * np.exp(-s / 200)
    loss[at:] = np.nan
    return build_run({"train_loss": (s, loss), "val_loss": (s[::10], loss[::10] * 1.1)},
                     run_id=run_id)


def _healthy(run_id):
    s = np.arange(0, 2001, 10)
    loss = 0.1 + 2.2 * np.exp(-s / 200)
    return build_run({"train_loss": (s, loss), "val_loss": (s[::10], loss[::10] * 1.1)},
                     run_id=run_id)


def test_summary_by_folder_counts_labels():
    runs = [_diverged("sweep/lr_0.1/s0", 50), _diverged("sweep/lr_0.1/s1", 120),
            _healthy("sweep/lr_0.1/s2"), _healthy("sweep/lr_0.001/s0"),
            _healthy("sweep/lr_0.001/s1")]
    diagnoses = {r.id: diagnose(r) for r in runs}
    groups = {g.name: g for g in summarize_groups(runs, diagnoses)}
    assert set(groups) == {"sweep/lr_0.1", "sweep/lr_0.001"}
    hot = groups["sweep/lr_0.1"]
    assert hot.label_counts == {"lr_too_high": 2}
    assert hot.sentence == "2 of 3 runs in sweep/lr_0.1 had a learning rate too high"
    assert groups["sweep/lr_0.001"].label_counts == {}
    assert groups["sweep/lr_0.001"].sentence == "all 2 runs in sweep/lr_0.001 look healthy"


def test_summary_by_swept_hparam():
    runs = []
    for lr in (0.1, 0.001):
        for seed in range(2):
            r = _diverged(f"r/{lr}-{seed}", 60) if lr == 0.1 else _healthy(f"r/{lr}-{seed}")
            r.hparams = {"lr": lr, "seed": seed, "batch": 32}
            runs.append(r)
    diagnoses = {r.id: diagnose(r) for r in runs}
    groups = summarize_groups(runs, diagnoses, by="auto")
    assert [g.name for g in groups] == ["lr=0.001", "lr=0.1"]
    assert groups[1].sentence == "2 of 2 runs with lr=0.1 had a learning rate too high"


def build_run(series, run_id):
    import pandas as pd

    frames = [pd.DataFrame({"run": run_id, "tag": tag, "step": s, "value": v,
                            "wall_time": s.astype(float)}) for tag, (s, v) in series.items()]
    df = pd.concat(frames, ignore_index=True).astype({"run": "category", "tag": "category"})
    return Run(run_id, run_id, "test", [], {}, {t: t for t in series}, [], [], df)
