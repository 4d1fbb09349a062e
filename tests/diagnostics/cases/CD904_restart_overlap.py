import numpy as np
from _build import STEPS, falling, healthy, run


def fires():
    again = STEPS[(STEPS >= 800) & (STEPS <= 1000)]
    steps = np.concatenate([STEPS, again])
    loss = np.concatenate([falling(STEPS, 2.3, 0.1, 250), falling(again, 1.0, 0.1, 250)])
    return run({"train/loss": (steps, loss)})


def quiet():
    return healthy()
