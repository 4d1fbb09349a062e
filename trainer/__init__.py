"""The bundled PyTorch trainer: real runs that show each learning-curve problem.

``curvedoc train`` (or ``python -m curvedoc.trainer``) trains small models on
data that ships with scikit-learn and writes TensorBoard logs, the way any
user's trainer does; it imports nothing else from curvedoc. Needs the
``trainer`` extra (torch, scikit-learn); importing this package does not.

    from curvedoc.trainer import SCENARIOS, select, RunSpec
    from curvedoc.trainer.loop import train      # needs torch
    train(select("overfitting")[0].spec, "runs/overfitting")
"""

from .scenarios import GROUPS, SCENARIOS, Scenario, select
from .spec import RunSpec

__all__ = ["GROUPS", "SCENARIOS", "RunSpec", "Scenario", "select"]
