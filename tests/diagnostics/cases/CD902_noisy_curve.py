import numpy as np
from _build import STEPS, falling, healthy, rng, run


def fires():
    loss = falling(STEPS, 2.3, 0.5, 250) * np.abs(1 + 0.5 * rng().standard_normal(len(STEPS)))
    return run({"train/loss": (STEPS, loss)})


def quiet():
    return healthy()
