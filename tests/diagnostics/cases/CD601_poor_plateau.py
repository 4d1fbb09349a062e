from _build import STEPS, VSTEPS, falling, healthy, run


def fires():
    return run({"train/loss": (STEPS, falling(STEPS, 2.3, 1.5, 100)),
                "val/loss": (VSTEPS, falling(VSTEPS, 2.3, 1.55, 100))}, {"num_classes": 10})


def quiet():
    return healthy(num_classes=10)
