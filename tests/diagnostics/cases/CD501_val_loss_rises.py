import numpy as np
from _build import STEPS, VSTEPS, falling, healthy, run


def fires():
    val = np.where(VSTEPS < 900, falling(VSTEPS, 2.2, 0.5, 250),
                   falling(VSTEPS, 2.2, 0.5, 250).min() + 0.0005 * (VSTEPS - 900))
    return run({"train/loss": (STEPS, falling(STEPS, 2.3, 0.01, 250)), "val/loss": (VSTEPS, val)})


def quiet():
    return healthy()
