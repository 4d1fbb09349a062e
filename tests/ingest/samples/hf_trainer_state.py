"""A small Hugging Face Trainer output folder with two checkpoint-N copies."""

from __future__ import annotations

import json
from pathlib import Path

TRAIN = [
    {"epoch": 0.5, "grad_norm": 3.1, "learning_rate": 5e-05, "loss": 2.2, "step": 10},
    {"epoch": 1.0, "grad_norm": 2.4, "learning_rate": 4e-05, "loss": 1.6, "step": 20},
]
EVAL = {"epoch": 1.0, "eval_loss": 1.7, "eval_accuracy": 0.48, "eval_runtime": 1.5, "step": 20}
LATER = [
    {"epoch": 1.5, "grad_norm": 1.9, "learning_rate": 3e-05, "loss": 1.2, "step": 30},
    {"epoch": 2.0, "grad_norm": 1.5, "learning_rate": 2e-05, "loss": 1.0, "step": 40},
    {"epoch": 2.0, "eval_loss": 1.3, "eval_accuracy": 0.6, "eval_runtime": 1.4, "step": 40},
]
SUMMARY = {"epoch": 2.0, "step": 40, "total_flos": 1.0e12, "train_loss": 1.5,
           "train_runtime": 60.0, "train_samples_per_second": 30.0}


def state(history: list[dict], step: int) -> str:
    return json.dumps({"global_step": step, "epoch": history[-1]["epoch"],
                       "train_batch_size": 8, "num_train_epochs": 2,
                       "log_history": history}, indent=2)


def write_sample(folder: Path) -> dict:
    out = folder / "hf_out"
    (out / "checkpoint-20").mkdir(parents=True)
    (out / "checkpoint-40").mkdir()
    (out / "checkpoint-20" / "trainer_state.json").write_text(state([*TRAIN, EVAL], 20))
    (out / "checkpoint-40" / "trainer_state.json").write_text(
        state([*TRAIN, EVAL, *LATER, SUMMARY], 40)
    )
    tags = {"loss": 4, "grad_norm": 4, "learning_rate": 4, "eval_loss": 2,
            "eval_accuracy": 2, "eval_runtime": 2}
    return {"path": out, "tags": tags, "n": sum(tags.values())}
