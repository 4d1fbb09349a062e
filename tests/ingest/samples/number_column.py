"""A headerless column of losses, as np.savetxt writes it."""

from __future__ import annotations

from pathlib import Path


def write_sample(folder: Path) -> dict:
    run = folder / "savetxt_run"
    run.mkdir(parents=True)
    (run / "loss_history.csv").write_text("1.0e-01\n3.5e-02\n2.9e-02\n2.3e-02\n")
    return {"path": run, "tags": {"loss_history": 4}, "n": 4}
