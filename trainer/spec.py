"""What one training run is: a frozen, torch-free description of its hyper-parameters.

A :class:`RunSpec` holds everything that decides a run's numbers (data, model,
initialisation, optimiser, schedule, length, seed) plus how it logs. The
training loop (:mod:`curvedoc.trainer.loop`) turns it into a run; the scenario
table (:mod:`curvedoc.trainer.scenarios`) names the interesting ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar


@dataclass(frozen=True)
class RunSpec:
    """The hyper-parameters of one run; every field is recorded as an hparam."""

    dataset: str = "digits"
    #: number of training examples to keep (None: the whole training split)
    train_size: int | None = None
    #: "mlp" or "cnn" (the CNN needs the 8x8 digit images)
    model: str = "mlp"
    hidden: tuple[int, ...] = (128,)
    activation: str = "relu"
    dropout: float = 0.0
    #: "default" (PyTorch's), "normal" (N(0, init_std) weights, zero biases)
    init: str = "default"
    init_std: float = 0.0
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 20
    schedule: str = "constant"
    #: step: the epochs at which the LR is multiplied by ``gamma``
    milestones: tuple[int, ...] = ()
    #: step / exponential: factor per milestone / per epoch
    gamma: float = 1.0
    #: range_test: the LR goes from ``lr`` to ``lr_end`` exponentially over all steps
    lr_end: float = 0.0
    #: range_test: stop once the smoothed loss exceeds this many times its minimum
    stop_factor: float = 0.0
    seed: int = 0
    #: log the training loss every this many optimiser steps
    log_every: int = 5
    #: "tensorboard" (SummaryWriter) or "lightning_csv" (metrics.csv + hparams.yaml)
    logger: str = "tensorboard"
    #: a trainer gives up after this many consecutive non-finite losses
    nan_patience: int = 20
    # -- fields added for the benchmark corpus; left out of hparams() at their defaults,
    # so the runs made before they existed keep exactly their hparams --
    #: warmup / warmup_cosine / onecycle: the fraction of all steps the LR warms up over
    warmup: float = 0.0
    #: how the run logs: a preset of :mod:`curvedoc.trainer.styles` ("default": as above)
    log_style: str = "default"
    #: the style's "eval every N steps" (0: the style's own choice)
    eval_every: int = 0

    #: fields whose default is left out of hparams()
    QUIET_DEFAULTS: ClassVar[dict[str, Any]] = {"warmup": 0.0, "log_style": "default",
                                                 "eval_every": 0}

    def with_(self, **changes: Any) -> RunSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def hparams(self) -> dict[str, Any]:
        """The hyper-parameters as plain scalars (tuples become strings)."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key in self.QUIET_DEFAULTS and value == self.QUIET_DEFAULTS[key]:
                continue
            if isinstance(value, tuple):
                value = "x".join(str(v) for v in value) or "none"
            elif value is None:
                value = "all"
            out[key] = value
        return out
