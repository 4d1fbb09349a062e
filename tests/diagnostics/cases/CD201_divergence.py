import numpy as np
from _build import STEPS, falling, healthy, run


def fires():
    loss = falling(STEPS, 2.3, 0.3, 200)
    loss[150:] = np.nan
    return run({"train/loss": (STEPS, loss)})


def quiet():
    return healthy()
