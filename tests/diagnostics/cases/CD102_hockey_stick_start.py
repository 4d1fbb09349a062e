import numpy as np
from _build import STEPS, healthy, run


def fires():
    flat = np.clip(STEPS - 800, 0, None)
    return run({"train/loss": (STEPS, 0.1 + 2.2 * np.exp(-flat / 150))})


def quiet():
    return healthy()
