import numpy as np
from _build import STEPS, VSTEPS, falling, healthy, rng, run


def fires():
    val = np.where(VSTEPS < 800, falling(VSTEPS, 2.3, 0.8, 200), 0.8 + 0.02)
    val = val * (1 + 0.03 * rng().standard_normal(len(VSTEPS)))
    return run({"train/loss": (STEPS, falling(STEPS, 2.3, 0.05, 500)), "val/loss": (VSTEPS, val)})


def quiet():
    return healthy()
