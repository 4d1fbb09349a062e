"""What every case file builds its runs from: tags as real trainers log them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from curvedoc.ingest.model import Run
from curvedoc.ingest.roles import infer_roles

RNG_SEED = 3
STEPS = np.arange(0, 3001, 10)
VSTEPS = np.arange(100, 3001, 100)


def rng() -> np.random.Generator:
    return np.random.default_rng(RNG_SEED)


def falling(x, start: float, floor: float, tau: float) -> np.ndarray:
    """start at x[0], then an exponential approach to floor."""
    x = np.asarray(x, float)
    return floor + (start - floor) * np.exp(-(x - x[0]) / tau)


def run(series: dict, hparams: dict | None = None, warnings: list | None = None) -> Run:
    """A Run from {tag: (steps, values)}; roles inferred from the tags."""
    frames = [pd.DataFrame({"run": "case", "tag": tag, "step": np.asarray(s, np.int64),
                            "value": np.asarray(v, np.float64),
                            "wall_time": 1.7e9 + np.asarray(s, np.float64)})
              for tag, (s, v) in series.items()]
    df = pd.concat(frames, ignore_index=True)
    df["run"], df["tag"] = df["run"].astype("category"), df["tag"].astype("category")
    counts = df.groupby("tag", observed=True).size().to_dict()
    return Run("case", "case", "test", [], dict(hparams or {}),
               infer_roles(list(series), counts=counts), [], list(warnings or []), df)


def healthy(**hparams) -> Run:
    """A sound run: both losses fall and settle, validation a little above training."""
    r = rng()
    train = falling(STEPS, 2.3, 0.1, 250) * (1 + 0.03 * r.standard_normal(len(STEPS)))
    val = (falling(VSTEPS, 2.3, 0.1, 250) * 1.1 + 0.03) * (1 + 0.01 * r.standard_normal(
        len(VSTEPS)))
    return run({"train/loss": (STEPS, train), "val/loss": (VSTEPS, val)}, hparams)
