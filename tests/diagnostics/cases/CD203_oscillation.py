import numpy as np
from _build import STEPS, falling, rng, run


def fires():
    swing = 1 + 0.4 * np.sin(2 * np.pi * STEPS / 200)  # the trend itself swings
    loss = falling(STEPS, 2.3, 0.9, 200) * swing * (1 + 0.03 * rng().standard_normal(
        len(STEPS)))
    return run({"train/loss": (STEPS, loss)})


def quiet():
    # heavy minibatch noise around a falling trend is no oscillation
    steps = np.arange(0, 20001, 10)
    loss = falling(steps, 2.3, 0.3, 3000) * np.abs(1 + 0.4 * rng().standard_normal(len(steps)))
    return run({"train/loss": (steps, loss)})
