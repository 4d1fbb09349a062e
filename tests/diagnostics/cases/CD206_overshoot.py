import numpy as np
from _build import falling, run

EPOCHS = np.arange(1, 41)
LR = np.where(EPOCHS <= 3, 0.01 * EPOCHS / 3, 0.01 * (1 - (EPOCHS - 3) / 40))


def fires():
    # a pre-trained classifier fine-tuned at a rate warming up to 0.01: its first epoch is
    # its best; at the rate's peak the training loss doubles and the validation loss
    # triples together, then the run climbs back slowly
    train = np.where(EPOCHS == 1, 0.55, np.where(EPOCHS <= 3, 1.25,
                                                 falling(EPOCHS, 0.75, 0.35, 12)))
    val = np.where(EPOCHS == 1, 0.42, np.where(EPOCHS <= 3, 1.4,
                                               falling(EPOCHS, 0.7, 0.3, 12)))
    return run({"train/loss": (EPOCHS, train), "val/loss": (EPOCHS, val),
                "lr/pg0": (EPOCHS, LR)})


def quiet():
    # the validation loss triples after its best while the training loss keeps falling:
    # memorising (the overfitting rules' business), not weights thrown about
    train = falling(EPOCHS, 0.55, 0.02, 6)
    val = np.where(EPOCHS <= 5, falling(EPOCHS, 0.6, 0.42, 2), 0.42 + 0.05 * (EPOCHS - 5))
    return run({"train/loss": (EPOCHS, train), "val/loss": (EPOCHS, val),
                "lr/pg0": (EPOCHS, LR)})
