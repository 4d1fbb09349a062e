from _build import STEPS, falling, healthy, run


def fires():
    return run({"train/loss": (STEPS, falling(STEPS, 12.0, 0.2, 150))}, {"num_classes": 10})


def quiet():
    return healthy(num_classes=10)  # starts at ln(10)
