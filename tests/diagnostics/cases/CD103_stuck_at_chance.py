import numpy as np
from _build import STEPS, healthy, rng, run


def fires():
    loss = np.log(10) * (1 + 0.002 * rng().standard_normal(len(STEPS)))
    grad = np.geomspace(1.0, 1e-6, len(STEPS))
    return run({"train/loss": (STEPS, loss), "grad_norm": (STEPS, grad)}, {"num_classes": 10})


def quiet():
    return healthy(num_classes=10)
