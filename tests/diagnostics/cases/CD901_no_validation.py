from _build import STEPS, falling, healthy, run


def fires():
    return run({"train/loss": (STEPS, falling(STEPS, 2.3, 0.1, 250))})


def quiet():
    return healthy()
