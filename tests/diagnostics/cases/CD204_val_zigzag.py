import numpy as np
from _build import falling, run

EPOCHS = np.arange(1, 31)
# validation that jumps up and down by 80%, again and again, after learning
ZIGZAG = falling(EPOCHS, 2.3, 0.5, 3) * np.where(EPOCHS % 2 == 0, 1.0, 1.8)


def fires():
    # the training loss climbs back to 1.6 for epochs 12-18 after reaching 0.5: a rate
    # too high throws it out of the valley it had found
    train = np.where((EPOCHS >= 12) & (EPOCHS <= 18), 1.6, falling(EPOCHS, 2.2, 0.45, 3))
    return run({"train_loss": (EPOCHS, train), "val_loss": (EPOCHS, ZIGZAG)})


def quiet():
    # the same validation beside a training loss that falls steadily: a small, noisy
    # validation set, not a rate too high
    return run({"train_loss": (EPOCHS, falling(EPOCHS, 2.2, 0.3, 4)),
                "val_loss": (EPOCHS, ZIGZAG)})
