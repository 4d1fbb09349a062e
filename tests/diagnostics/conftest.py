"""Builders for runs with hand-made curves (the rules' unit-test fixtures)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from curvedoc.ingest.model import Run


def build_run(series: dict, hparams: dict | None = None, warnings: list | None = None,
              run_id: str = "runs/r") -> Run:
    """A Run whose tags are the role names: series = {role: (steps, values)}."""
    frames = []
    for tag, (steps, values) in series.items():
        steps = np.asarray(steps, dtype=np.int64)
        frames.append(pd.DataFrame({
            "run": run_id, "tag": tag, "step": steps,
            "value": np.asarray(values, dtype=np.float64),
            "wall_time": 1.7e9 + steps.astype(np.float64)}))
    df = pd.concat(frames, ignore_index=True)
    df["run"] = df["run"].astype("category")
    df["tag"] = df["tag"].astype("category")
    return Run(run_id, run_id.rsplit("/", 1)[-1], "test", [], dict(hparams or {}),
               {tag: tag for tag in series}, [], list(warnings or []), df)


class Curves:
    """Hand-made learning curves: 2,000 steps of per-10-step training, val every 100."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.steps = np.arange(0, 2001, 10)
        self.vsteps = np.arange(100, 2001, 100)

    def noisy(self, y, rel=0.03):
        return y * (1 + rel * self.rng.standard_normal(len(y)))

    def decay(self, steps, start=2.3, floor=0.1, tau=200.0):
        return floor + (start - floor) * np.exp(-steps / tau)

    def healthy(self, **hp):
        train = self.noisy(self.decay(self.steps))
        val = self.noisy(self.decay(self.vsteps) * 1.15 + 0.03, 0.01)
        return build_run({"train_loss": (self.steps, train), "val_loss": (self.vsteps, val)},
                         hparams=hp)


@pytest.fixture
def curves():
    return Curves()


@pytest.fixture
def run_of():
    return build_run


#: cases/ holds one fires()/quiet() module per code, read by test_rule_cases.py; its file
#: names follow the rule names (CD905_lr_range_test.py), not pytest's.
collect_ignore_glob = ["cases/*"]
