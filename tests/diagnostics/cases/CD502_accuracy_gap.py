import numpy as np
from _build import STEPS, VSTEPS, falling, run


def _run(val_acc_cap):
    train_acc = 1 - falling(STEPS, 0.9, 0.0, 600)
    val_acc = np.minimum(1 - falling(VSTEPS, 0.9, 0.0, 600), val_acc_cap)
    return run({"train/loss": (STEPS, falling(STEPS, 2.3, 0.05, 600)),
                "train/acc": (STEPS, train_acc), "val/acc": (VSTEPS, val_acc)})


def fires():
    return _run(0.7)  # validation follows training up to 0.7, then stalls as training -> 1


def quiet():
    return _run(1.0)
