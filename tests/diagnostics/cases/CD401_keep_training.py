from _build import STEPS, VSTEPS, falling, healthy, run


def fires():
    return run({"train/loss": (STEPS, falling(STEPS, 2.3, 0.05, 1500)),
                "val/loss": (VSTEPS, falling(VSTEPS, 2.3, 0.08, 1500))})


def quiet():
    return healthy()
