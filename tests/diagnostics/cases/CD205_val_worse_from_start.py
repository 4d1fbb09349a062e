import numpy as np
from _build import falling, run

EPOCHS = np.arange(1, 26)
# validation worse from its first evaluation on: 2.6 rising to about 6
WORSE = 2.6 + 3.6 * (1 - np.exp(-(EPOCHS - 1) / 8))


def fires():
    # the training loss fell to 1.8, jumped back to 6.8 and stays near 3: a rate too high
    # throws the weights about
    train = np.where(EPOCHS < 3, falling(EPOCHS, 3.9, 1.8, 1),
                     np.where(EPOCHS < 6, 6.8, 3.2 - 0.01 * EPOCHS))
    return run({"train_loss": (EPOCHS, train), "val_loss": (EPOCHS, WORSE)})


def quiet():
    # the same validation beside a training loss that falls smoothly: a model that
    # memorises from its first epoch (overfitting), not an unstable rate
    return run({"train_loss": (EPOCHS, falling(EPOCHS, 1.5, 0.05, 4)),
                "val_loss": (EPOCHS, WORSE)})
