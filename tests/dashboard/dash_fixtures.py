"""Helpers of the dashboard tests: log folders written by tensorboard's own writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from curvedoc.ingest.model import Run

XSS = "<script>alert(1)</script>"


def write_tb_run(folder: Path, curves: dict[str, np.ndarray], every: dict[str, int] | None = None,
                 hparams: dict | None = None) -> None:
    """One TensorBoard run: each tag's values at steps 0, k, 2k, ... (k from ``every``)."""
    try:  # tensorboardX when installed, else torch's copy of the same writer
        from tensorboardX import SummaryWriter
    except ImportError:
        from torch.utils.tensorboard import SummaryWriter

    folder.mkdir(parents=True, exist_ok=True)
    every = every or {}
    with SummaryWriter(str(folder)) as writer:
        for tag, values in curves.items():
            k = every.get(tag, 1)
            for i, v in enumerate(values):
                writer.add_scalar(tag, float(v), global_step=i * k, walltime=1_000.0 + i * k)
    if hparams:
        folder.joinpath("hparams.yaml").write_text(
            "".join(f"{k}: {v}\n" for k, v in hparams.items()))


def sweep_curves(lr: float, n: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
    """Loss curves whose shape depends on the learning rate, like a real coarse sweep."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    if lr >= 0.1:  # diverges
        train = 2.3 * np.exp(t / 40.0)
        train[120:] = np.nan
    else:
        rate = {1e-4: 400.0, 1e-3: 60.0, 1e-2: 30.0}.get(lr, 80.0)
        train = 2.3 * np.exp(-t / rate) + 0.05 + 0.01 * rng.standard_normal(n)
    val = train[::10] + 0.08
    if lr == 1e-2:  # overfits after its best step
        val = val + np.where(np.arange(val.size) > 8, 0.02 * (np.arange(val.size) - 8), 0.0)
    return {"train/loss": train, "val/loss": val, "lr": np.full(n, lr)}


def write_sample_root(root: Path) -> Path:
    """A small log root: a 4-point LR sweep in ``sweep/`` and two seeds in ``seeds/``."""
    for lr in (1e-4, 1e-3, 1e-2, 1e-1):
        write_tb_run(root / "sweep" / f"lr_{lr:g}", sweep_curves(lr),
                     every={"val/loss": 10}, hparams={"lr": lr, "batch_size": 32})
    for seed in (0, 1):
        write_tb_run(root / "seeds" / f"seed_{seed}", sweep_curves(1e-3, seed=seed),
                     every={"val/loss": 10}, hparams={"lr": 1e-3, "seed": seed})
    return root


def memory_run(run_id: str, name: str | None = None, n: int = 500, lr: float = 1e-3,
               nan_at: int | None = None) -> Run:
    """A run built in memory (the canonical frame), for names no file system allows."""
    steps = np.arange(n, dtype=np.int64)
    train = 2.3 * np.exp(-steps / 80.0) + 0.1
    if nan_at is not None:
        train[nan_at] = np.nan
    val = train + 0.1 + np.where(steps > n // 2, (steps - n // 2) / n, 0.0)
    frame = pd.DataFrame({
        "run": run_id,
        "tag": np.repeat(["train/loss", "val/loss"], n),
        "step": np.tile(steps, 2),
        "value": np.concatenate([train, val]),
        "wall_time": np.tile(1_000.0 + steps, 2),
    })
    frame["run"] = frame["run"].astype("category")
    frame["tag"] = frame["tag"].astype("category")
    return Run(id=run_id, name=name or run_id.rsplit("/", 1)[-1], format="memory", sources=[],
               hparams={"lr": lr}, roles={"train_loss": "train/loss", "val_loss": "val/loss"},
               scalars=frame)
