import numpy as np
from _build import falling, run

EPOCHS = np.arange(1, 27)
TRAIN = falling(EPOCHS, 0.4, 0.005, 6)  # training falls smoothly throughout
VAL = falling(EPOCHS, 1.3, 0.03, 2)


def fires():
    # at a rate too high the validation loss is thrown to 60-180x its best, twice, and
    # comes back each time
    val = VAL.copy()
    val[[4, 8, 9]] = [3.3, 7.3, 9.4]
    return run({"train_loss": (EPOCHS, TRAIN), "val_loss": (EPOCHS, val)})


def quiet():
    # a small validation set: a loss near zero doubles on one hard example, twice, but
    # never comes near where the run began
    val = VAL.copy()
    val[[12, 18]] = val[[12, 18]] * 12
    return run({"train_loss": (EPOCHS, TRAIN), "val_loss": (EPOCHS, val)})
