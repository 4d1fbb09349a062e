import numpy as np
from _build import STEPS, falling, healthy, run


def fires():
    epochs = np.arange(0, 30)  # validation against the epoch, training against the step
    return run({"Loss/train": (STEPS * 10, falling(STEPS, 2.3, 0.1, 250)),
                "Loss/val": (epochs, falling(epochs, 2.3, 0.15, 8))})


def quiet():
    return healthy()
