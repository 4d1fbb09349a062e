import numpy as np
from _build import STEPS, healthy, run


def fires():
    lr = np.geomspace(1e-6, 1.0, len(STEPS))
    x = np.log10(lr)
    loss = 2.3 - 1.5 / (1 + np.exp(-(x + 3) * 3)) + np.where(x > -1, 5 * (x + 1) ** 2, 0)
    return run({"train/loss": (STEPS, loss), "lr": (STEPS, lr)})


def quiet():
    return healthy()
