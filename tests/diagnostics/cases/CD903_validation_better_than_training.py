from _build import STEPS, VSTEPS, falling, healthy, run


def fires():
    return run({"train/loss": (STEPS, falling(STEPS, 2.3, 0.5, 250)),
                "val/loss": (VSTEPS, falling(VSTEPS, 2.0, 0.3, 250))})


def quiet():
    return healthy()
