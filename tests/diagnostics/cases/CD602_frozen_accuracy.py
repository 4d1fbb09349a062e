import numpy as np
from _build import falling, run

EPOCHS = np.arange(1, 21)


def fires():
    # a binary classifier that answers the majority class for every input: its accuracy
    # is the majority rate at every evaluation while its loss creeps down
    loss = falling(EPOCHS, 0.69, 0.23, 4)
    return run({"train_loss": (EPOCHS, loss), "val_loss": (EPOCHS, loss + 0.01),
                "val_accuracy": (EPOCHS, np.full(20, 0.9375))})


def quiet():
    # the same accuracy level, moving by a prediction or two between evaluations
    acc = 0.9375 + 0.003 * np.sin(EPOCHS)
    loss = falling(EPOCHS, 0.69, 0.23, 4)
    return run({"train_loss": (EPOCHS, loss), "val_loss": (EPOCHS, loss + 0.01),
                "val_accuracy": (EPOCHS, acc)})
