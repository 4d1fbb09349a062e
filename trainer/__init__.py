"""The bundled PyTorch trainer: real runs that show each learning-curve problem.

``curvedoc train`` (or ``python -m curvedoc.trainer``) trains small models on
data that ships with scikit-learn and writes TensorBoard logs, the way any
user's trainer does; it imports nothing else from curvedoc. Needs the
``trainer`` extra (torch, scikit-learn); importing this package does not.

    from curvedoc.trainer import SCENARIOS, select, RunSpec
    from curvedoc.trainer.loop import train      # needs torch
    train(select("overfitting")[0].spec, "runs/overfitting")

``RunSpec(log_style=...)`` picks how a run logs (:mod:`curvedoc.trainer.styles`:
TensorBoard tag spellings, Lightning metrics.csv, HF trainer_state.json, Keras
training.log; per step, per epoch, eval every N steps); the default is the layout
the sample runs use.
"""

from .scenarios import GROUPS, SCENARIOS, Scenario, select
from .spec import RunSpec

__all__ = ["GROUPS", "SCENARIOS", "RunSpec", "Scenario", "select"]
