import numpy as np
from _build import STEPS, healthy, rng, run


def fires():
    loss = np.abs(np.log(10) * 1.1 * (1 + 0.3 * rng().standard_normal(len(STEPS))))
    return run({"train/loss": (STEPS, loss), "grad_norm": (STEPS, np.full(len(STEPS), 30.0))})


def quiet():
    return healthy()
